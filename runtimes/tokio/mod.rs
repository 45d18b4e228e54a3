//! The tokio runtime (feature `tokio`): everything that moves bytes for the core on a server.
//!
//! - [`HyperTransport`]: the HTTP client (hyper 1, rustls with the webpki roots, pooled
//!   connections, connect and request timeouts, optional extra roots for tests).
//! - [`Auth0Client`]: the flows with owned, `http`-typed inputs and outputs; built from the
//!   environment ([`Auth0Client::from_env`]) or a [`Builder`]; cheap to clone.
//! - [`Auth0Layer`]: a tower layer that mounts the SDK routes and rolls the session on every
//!   other request (the SDK's middleware); with the `axum` feature, extractors in [`axum`].
//! - [`MemoryStore`] and (feature `redis`) [`RedisStore`]: session stores.
//! - [`generate_session_cookie`]: the SDK's testing helper.
//!
//! | file | job |
//! |---|---|
//! | `client.rs` | [`Auth0Client`]: the flows with `http` types in and out |
//! | `builder.rs` | [`Builder`]: transport options, store, hooks |
//! | `convert.rs` | the core's HTTP view to and from the `http` crate |
//! | `owned.rs` | [`SessionData`], [`AccessTokenData`] |
//! | `pool.rs` | reused work buffers |
//! | `transport.rs` | [`HyperTransport`] |
//! | `cache.rs` | [`SharedCache`], the discovery and JWKS cache of all requests |
//! | `clock.rs`, `hooks.rs` | [`SystemClock`], [`SharedHooks`] |
//! | `layer.rs`, `axum.rs` | the tower layer and the axum extractors |
//! | `store/` | [`MemoryStore`], [`RedisStore`], and [`Store`], the choice between them |
//! | `testing.rs` | [`generate_session_cookie`] |
//!
//! No protocol logic lives here: requests and responses are made and read by the core.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use auth0_edge::tokio::{Auth0Client, Auth0Layer, axum::User};
//! let client = Auth0Client::from_env()?;
//! let app = axum::Router::new()
//!     .route("/api/me", axum::routing::get(|User(s): User| async move { s.json().to_string() }))
//!     .layer(Auth0Layer::new(client));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "axum")]
pub mod axum;
mod builder;
mod cache;
mod client;
mod clock;
mod convert;
mod hooks;
mod layer;
mod owned;
mod pool;
mod store;
mod testing;
mod transport;

pub use builder::Builder;
pub use cache::SharedCache;
pub use client::{Auth0Client, CoreClient, Outcome};
pub use clock::SystemClock;
pub use convert::{append_headers, cookie_header, error_response, to_http, unauthorized};
pub use hooks::SharedHooks;
pub use layer::{Auth0Layer, Auth0Service, RequestSession};
pub use owned::{AccessTokenData, SessionData};
pub use store::{DEFAULT_MAX_ENTRIES, MemoryStore, Store};
#[cfg(feature = "redis")]
pub use store::{RedisOptions, RedisStore};
pub use testing::generate_session_cookie;
pub use transport::{DEFAULT_TIMEOUT, HyperTransport, MAX_RESPONSE, TransportOptions};
