//! The tokio runtime (feature `tokio`): everything that moves bytes for the core on a server.
//!
//! - [`HyperTransport`]: the HTTP client (hyper 1, rustls with the webpki roots, pooled
//!   connections, connect and request timeouts, optional extra roots for tests).
//! - [`Auth0Client`]: the flows with owned, `http`-typed inputs and outputs; built from the
//!   environment ([`Auth0Client::from_env`]) or a [`Builder`] over an owned configuration;
//!   cheap to clone.
//! - [`Auth0Layer`]: a tower layer that mounts the SDK routes and gives every other request a
//!   [`RequestSession`], written once after the handler (the SDK's middleware); with the
//!   `axum` feature, extractors in [`axum`].
//! - Single-flight refresh: concurrent refreshes of one session make one request to the
//!   provider, and late requests with the old cookie get the new tokens (see
//!   [`RequestSession`]); across servers through Redis ([`RedisCoordination`]).
//! - [`Store`]: session stores, [`MemoryStore`], (feature `redis`) [`RedisStore`], or yours.
//! - [`Hooks`]: async `before_session_saved`, `on_callback`, `before_session_rolled`.
//! - [`generate_session_cookie`]: the SDK's testing helper.
//!
//! | file | job |
//! |---|---|
//! | `client.rs` | [`Auth0Client`]: the routes and helpers with `http` types in and out |
//! | `session.rs` | [`RequestSession`]: one request's session, read once, written once |
//! | `refresh.rs` | the single-flight refresh: locks and memo, in process and in Redis |
//! | `builder.rs` | [`Builder`]: transport options, store, hooks, coordination |
//! | `hooks.rs` | [`Hooks`], async |
//! | `convert.rs` | the core's HTTP view to and from the `http` crate |
//! | `owned.rs` | [`SessionData`] and its [`Members`], [`AccessTokenData`] |
//! | `pool.rs` | reused work buffers |
//! | `opened.rs` | the sessions opened recently, by their sealed cookie (a cookie sent again is not decrypted again) |
//! | `transport.rs` | [`HyperTransport`] |
//! | `cache.rs` | [`SharedCache`], the discovery, JWKS and DPoP nonce cache of all requests |
//! | `fetch.rs` | [`Fetcher`], [`FetchWithAuth`]: calling an API with the user's token (DPoP or Bearer) |
//! | `clock.rs` | [`SystemClock`] |
//! | `layer.rs`, `axum.rs` | the tower layer and the axum extractors |
//! | `store/` | [`Store`], [`MemoryStore`], [`RedisStore`] |
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
//!     .route("/api/me", axum::routing::get(|User(s): User| async move { s.to_json() }))
//!     .layer(Auth0Layer::new(client));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

// The flows' errors carry the provider's error text inline (the core has no heap to box it in).
#![allow(clippy::result_large_err)]

#[cfg(feature = "axum")]
pub mod axum;
mod builder;
mod cache;
mod ciba;
mod client;
mod clock;
mod convert;
mod fetch;
mod hooks;
mod layer;
mod opened;
mod owned;
mod pool;
pub(crate) mod refresh;
mod session;
mod store;
mod testing;
mod transport;

pub use builder::Builder;
pub use cache::{DPOP_NONCE_ORIGINS, SharedCache};
pub use ciba::BackchannelTokenData;
pub use client::{Auth0Client, CoreClient, Outcome, RequestHead, ThreadRng};
pub use clock::SystemClock;
pub use convert::{append_headers, cookie_header, error_response, to_http, unauthorized};
pub use fetch::{
    BoxError, FetchError, FetchWithAuth, Fetcher, FetcherOptions, HttpFn, HttpFuture,
    userinfo_endpoint,
};
pub use hooks::{HookError, Hooks};
pub use layer::{Auth0Layer, Auth0Service};
pub use opened::DEFAULT_OPENED_SESSIONS;
pub use owned::{
    AccessTokenData, ConnectionTokenData, Members, SessionData, filter_default_id_token_claims,
};
#[cfg(feature = "redis")]
pub use refresh::RedisCoordination;
pub use refresh::{DEFAULT_MEMO_ENTRIES, DEFAULT_MEMO_WINDOW};
pub use session::{MfaChallengeData, RequestSession};
pub use store::{CoreStore, DEFAULT_MAX_ENTRIES, MemoryStore, Record, Store, Updated};
#[cfg(feature = "redis")]
pub use store::{RedisOptions, RedisStore};
pub use testing::generate_session_cookie;
pub use transport::{DEFAULT_TIMEOUT, HyperTransport, MAX_RESPONSE, TransportOptions};
