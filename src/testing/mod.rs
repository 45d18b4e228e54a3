//! Test devices (feature `testing`; no_std, no alloc), shipped for your tests as smoltcp ships
//! its loopback and fault-injecting devices: drive the real flows with no network, no clock
//! and no heap.
//!
//! | device | plays the part of |
//! |---|---|
//! | [`Script`] | the network, scripted: asserts each request the flows make and answers it |
//! | [`FakeProvider`] | an OpenID provider: discovery, JWKS, RS256/ES256 ID tokens, and (as a transport) the authorization and token endpoints with PKCE and rotating refresh tokens |
//! | [`Unreachable`] | a provider that is down, hangs or fails TLS |
//! | [`ManualClock`] | virtual time |
//! | [`Jar`] | the browser's cookie store |
//! | [`block_on`] | an executor for flows on these devices |
//! | [`generate_session_cookie`] | the SDK's `generateSessionCookie`: a session cookie without a login |
//!
//! A whole login, then an access token, against the fake provider:
//!
//! ```
//! use auth0_edge::config::{ClientAuth, Config};
//! use auth0_edge::flow::{AccessTokenOptions, Auth0};
//! use auth0_edge::http::Request;
//! use auth0_edge::runtime::MemoryCache;
//! use auth0_edge::testing::{FakeProvider, Jar, ManualClock, block_on};
//!
//! let clock = ManualClock::new(1_800_000_000);
//! let provider = FakeProvider::new("t.example.com", "client-1", &clock, &mut rand_core::OsRng);
//! let config = Config {
//!     secret: "a-test-secret-that-is-at-least-32-characters-long!",
//!     ..Config::new("t.example.com", "client-1", ClientAuth::SecretPost("s"), "https://app.example.com")
//! };
//! let auth0 = Auth0::new(config, &provider, &clock, MemoryCache::<8192>::new())?;
//! let (mut rng, mut jar) = (rand_core::OsRng, Jar::<8192>::new());
//! let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
//!
//! // The login redirects to the provider, which sends the browser back with a code.
//! let login = block_on(auth0.login(&Request::get("/auth/login", &[("cookie", "")]), &mut rng, &mut buf))?;
//! jar.apply(&login);
//! let mut query = [0u8; 512];
//! let query = provider.authorize(login.header("Location").unwrap(), &mut query).unwrap();
//! let mut path = [0u8; 600];
//! let path = auth0_edge::codec::buf::display(&mut path, &format_args!("/auth/callback?{query}"))?;
//! let cookie = [("cookie", jar.header())];
//! let mut buf2 = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
//! let callback = block_on(auth0.callback(&Request::get(path, &cookie), &mut rng, &mut buf2))?;
//! assert_eq!(callback.status, 307);
//! jar.apply(&callback);
//!
//! // The session holds the provider's tokens.
//! let token = block_on(auth0.get_access_token(jar.header(), &AccessTokenOptions::default(), &mut rng, &mut buf))?;
//! assert_eq!(token.token, "at-2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clock;
mod executor;
mod faults;
mod jar;
mod provider;
mod script;

pub use crate::session::generate_session_cookie;
pub use clock::ManualClock;
pub use executor::block_on;
pub use faults::Unreachable;
pub use jar::Jar;
pub use provider::{EC_KID, FakeProvider, RSA_KID, SID, SUB};
pub use script::{Check, Reply, Script, Sent};
