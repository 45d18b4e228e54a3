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
mod cache;
mod client;
mod layer;
#[cfg(feature = "redis")]
mod redis_store;
mod store;
mod transport;

pub use cache::SharedCache;
pub use client::{
    AccessTokenData, Auth0Client, Builder, Outcome, SessionData, SharedHooks, SystemClock,
    append_headers, cookie_header, error_response, generate_session_cookie, read_dotenv, to_http,
    unauthorized,
};
pub use layer::{Auth0Layer, Auth0Service, RequestSession};
#[cfg(feature = "redis")]
pub use redis_store::RedisStore;
pub use store::{MemoryStore, Store};
pub use transport::{DEFAULT_TIMEOUT, HyperTransport, MAX_RESPONSE, TransportOptions};
