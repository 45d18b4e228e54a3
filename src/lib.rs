//! # auth0-edge
//!
//! An Auth0 / OpenID Connect relying party whose sessions are byte-compatible with
//! `@auth0/nextjs-auth0` v4, so a Rust service and a Next.js app can read each other's cookies.
//!
//! This crate root is the **core**: `#![no_std]`, no allocation, no I/O. It never reads a clock,
//! the environment or a random source of its own; time is passed in as `now` (Unix seconds),
//! randomness as a [`rand_core::CryptoRngCore`], and every output goes into a buffer the caller
//! provides. Too small a buffer is [`Error::BufferTooSmall`], never a truncation; bad input is a
//! typed [`Error`], never a panic.
//!
//! ## Design
//!
//! Two levels in the core, then thin runtimes (see `ARCHITECTURE.md`'s model, quinn-proto's
//! and smoltcp's): **messages** build a request or check a response into caller buffers, with
//! no traits and no async; **flows** compose messages over the runtime contract; **runtimes**
//! move bytes and own sockets, TLS, timers and memory.
//!
//! ```text
//!   messages (sans-IO)                 flows (async, over the contract)     runtimes (features)
//!  ┌─────────────────────────┐        ┌──────────────────────────┐        ┌──────────────────┐
//!  │ codec  jose  cookie      │──────▶│ flow::Auth0               │──────▶│ tokio: hyper,     │
//!  │ session  oauth  config   │        │  login callback logout   │        │  rustls, tower,   │
//!  │ http (the core's view)   │        │  profile access-token    │        │  axum, Redis      │
//!  └─────────────────────────┘        │  get_session touch …     │        └──────────────────┘
//!                                      └────────────┬─────────────┘
//!                                   runtime: Transport Clock ProviderCache SessionStore + RNG
//! ```
//!
//! ## Start here
//!
//! | module | what it does | reference |
//! |---|---|---|
//! | [`codec`] | base64url, the bounded [`codec::buf::Writer`], JSON views and writer, URLs and `returnTo`, form encoding, HTTP dates | RFC 4648, 8259, 3986, WHATWG URL |
//! | [`crypto`] | the crypto provider seam: AES-256-GCM, ES256, RS256, SHA-256, HMAC-SHA256 behind one [`crypto::CryptoProvider`]; RustCrypto (no_std, the default), *ring* (feature `ring`, on with `tokio`) | – |
//! | [`jose`] | JWE `dir` + `A256GCM` with the SDK's HKDF key, JWS (ES256, RS256, HS256), JWK/JWKS and RFC 7638 thumbprints, JWT claims | RFC 7515-7519, 7638, 5869 |
//! | [`cookie`] | `Cookie` parsing, `Set-Cookie` writing, chunking over `name__N` | RFC 6265 |
//! | [`session`] | the session document, its lifetime, its sealed cookies, stateful ids, MRRT lookup | Next.js SDK v4 |
//! | [`oauth`] | discovery, authorization request and response, transaction cookie, PKCE, token requests and responses, client authentication, ID tokens, logout URLs, scopes, DPoP | RFC 6749, 7636, 9207, 9449, OIDC Core, Discovery, RP-Initiated Logout |
//! | [`config`] | every SDK option with its default, validation, and the environment variables | Next.js SDK v4 |
//! | [`http`] | the core's own view of requests and responses (no HTTP crate in the API) | RFC 9110 |
//! | [`runtime`] | the runtime contract: [`runtime::Transport`], [`runtime::Clock`], [`runtime::ProviderCache`], [`runtime::SessionStore`], and their trivial implementations | – |
//! | [`flow`] | [`flow::Auth0`]: the SDK's routes and helpers, once, over the contract | Next.js SDK v4 |
//! | `testing` (feature `testing`) | test devices: a scripted transport, a fake provider, a manual clock, a cookie jar, `block_on` | – |
//! | `tokio` (feature `tokio`) | the server runtime: `Auth0Client`, the tower layer, axum extractors, memory and Redis stores | – |
//!
//! ## Features
//!
//! - `std` (default, implies `alloc`): `std::error::Error` through `core::error::Error`, PEM
//!   export of generated keys, `.env` reading, the `auth0-edge` command-line tool.
//! - `alloc`: conveniences that return owned values (`String`); the core never needs them.
//! - `testing`: [the test devices](#start-here); no_std and no alloc, like the core.
//! - `tokio` (default) and `axum` (default): the server runtime; `redis`: the Redis store.
//!
//! With `--no-default-features` the crate uses neither `std` nor `alloc`; `tests/nostd` is a
//! binary with no global allocator that links every primitive and runs the flows to prove it.
//!
//! ## Errors
//!
//! One enum per layer: [`Error`] (messages, with a category enum per area), the runtime
//! contract's [`runtime::TransportError`] and [`runtime::StoreError`], and
//! [`flow::AuthError`] (the SDK's codes, messages and statuses). `Display` says what went
//! wrong at that level and what to do; `source()` gives the cause; [`Report`] prints the chain.
//!
//! ## Example: open a session cookie written by the Next.js SDK
//!
//! ```
//! use auth0_edge::session;
//! use auth0_edge::jose::jwe::Key;
//!
//! let key = Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
//! let header = include_str!("../tests/vectors/session-small.cookie");
//! let mut buf = [0u8; 4096];
//! let opened = session::open(header, "__session", &key, 1_800_000_000, &mut buf)?;
//! assert_eq!(opened.session.user.get_str("sub").unwrap(), "user_123");
//! # Ok::<(), auth0_edge::Error>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::exhaustive_enums, clippy::exhaustive_structs, unreachable_pub)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
#[macro_use]
extern crate std;

/// Emits a `tracing` event when the `tracing` feature is on; nothing otherwise. Events carry
/// codes and reasons, never tokens, secrets or cookie values.
macro_rules! event {
    ($level:ident, $($args:tt)*) => {
        #[cfg(feature = "tracing")]
        {
            tracing::$level!(target: "auth0_edge", $($args)*);
        }
    };
}

pub mod codec;
pub mod config;
pub mod cookie;
pub mod crypto;
#[cfg(feature = "embassy")]
#[path = "../runtimes/embassy/mod.rs"]
pub mod embassy;
mod error;
pub mod flow;
pub mod http;
pub mod jose;
pub mod oauth;
pub mod runtime;
pub mod session;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "tokio")]
#[path = "../runtimes/tokio/mod.rs"]
pub mod tokio;

pub use codec::time::UnixTime;
pub use error::{
    ConfigError, CookieError, Error, JsonError, JweError, JwkError, JwsError, JwtError, Report,
    SessionError,
};

/// A `Result` whose error is the core's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
