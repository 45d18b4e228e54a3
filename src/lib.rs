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
//! ## Layout
//!
//! | module | what it does | reference |
//! |---|---|---|
//! | [`base64url`] | base64url without padding | RFC 4648 §5 |
//! | [`json`] | validated JSON views and a JSON writer with `JSON.stringify`'s escaping | RFC 8259 |
//! | [`jwe`] | compact JWE `dir` + `A256GCM`, HKDF key derivation from `AUTH0_SECRET` | RFC 7516, 7518, 5869 |
//! | [`jws`] | compact JWS: ES256 sign/verify, RS256 and HS256 verify | RFC 7515, 7518 |
//! | [`jwk`] | JWK / JWKS parsing, key selection, RFC 7638 thumbprints, PEM import | RFC 7517, 7638, 7468 |
//! | [`jwt`] | JWT verification with `iss`/`aud`/`exp`/`nbf`/`iat` checks | RFC 7519 |
//! | [`pkce`] | PKCE verifier and S256 challenge; `state`, `nonce`, `jti` | RFC 7636 |
//! | [`dpop`] | DPoP proofs | RFC 9449 |
//! | [`cookie`] | `Cookie` parsing, `Set-Cookie` writing, chunking over `name__N` | RFC 6265 |
//! | [`session`] | the session document and its sealed cookie(s) | Next.js SDK v4 |
//! | [`transaction`] | the login transaction cookie `<ts>:<JWE>` | Next.js SDK v4 |
//!
//! ## Features
//!
//! - `std` (default, implies `alloc`): `std::error::Error` through `core::error::Error`, PEM
//!   export of generated keys, the `auth0-edge` command-line tool.
//! - `alloc`: conveniences that return owned values (`String`); the core never needs them.
//!
//! With `--no-default-features` the crate uses neither `std` nor `alloc`; `tests/nostd` is a
//! binary with no global allocator that links every primitive to prove it.
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

pub mod codec;
pub mod config;
pub mod cookie;
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
