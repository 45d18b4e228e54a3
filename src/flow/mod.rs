//! The flows of `@auth0/nextjs-auth0` v4, written once over the runtime traits: the routes
//! (login, callback, logout, profile, access token) and the helpers (`get_session`,
//! `update_session`, `get_access_token`, `start_interactive_login`, the rolling touch).
//!
//! An [`Auth0`] borrows the configuration and holds the runtime's [`Transport`], [`Clock`],
//! [`ProviderCache`], optional [`SessionStore`] and [`Hooks`]. Every flow takes `&self`, a
//! random generator and one work buffer (see [`FLOW_BUFFER_LEN`]); its output (a [`Response`])
//! lives in that buffer. Flows compose the message-level modules ([`crate::oauth::authorize`],
//! [`crate::oauth`], [`crate::oauth::id_token`], [`crate::oauth::logout`], [`crate::session`]) and never parse
//! or format bytes themselves.

// Errors carry the provider's error text inline (no heap to box it in).
#![allow(clippy::result_large_err)]

mod arena;
mod backchannel;
mod callback;
mod ciba;
mod connection;
mod error;
mod hooks;
mod login;
mod logout;
mod provider;
mod routing;
mod session_io;
mod token_endpoint;
mod tokens;

pub(crate) use arena::*;
pub use arena::{MAX_QUERY_LEN, MAX_SDK_COOKIES_LEN};
pub use backchannel::MAX_BACKCHANNEL_BODY;
pub use callback::{CallbackExchange, CallbackSession};
pub use ciba::{BackchannelFailure, BackchannelOptions, BackchannelTokens};
pub use connection::{
    ConnectionFailure, ConnectionToken, ConnectionTokenFor, ConnectionTokenOptions,
};
pub(crate) use error::log_error;
pub use error::{
    AuthError, DiscoveryFailure, ErrorText, GrantFailure, MfaRequiredError, ProviderError,
};
pub use hooks::{CallbackContext, DefaultHooks, Hooks, SessionToSave};
pub use login::LoginOptions;
pub use routing::{Handled, Route};
pub(crate) use session_io::Loaded;
#[cfg(feature = "tokio")]
pub(crate) use session_io::is_connection_cookie;
pub use session_io::{ReadSession, Rolled, Touched};
pub use tokens::{AccessToken, AccessTokenOptions, MfaChallenge, Refreshed, TokenFor};

use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object};
use crate::codec::time::UnixTime;
use crate::config::{ClientAuth as ConfigClientAuth, Config};
use crate::cookie::{self, CookieName, Lifetime, SetCookie};
use crate::http::{IncomingResponse, OutgoingRequest, Request, Response, ResponseBuilder};
use crate::jose::jwe;
use crate::jose::jwk::{EcKeyPair, Jwks};
use crate::oauth::ClientAuth;
use crate::oauth::discovery::{self, Metadata};
use crate::oauth::dpop::Dpop;
use crate::runtime::{
    Clock, Entry, NoStore, ProviderCache, RecordInfo, SessionStore, Transport, TransportError,
};
use crate::session::{self, Session, SessionId};
use crate::{CookieError, Error};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

/// The server's work buffer: it fits every flow with the largest session the SDK's cookies
/// allow ([`MAX_SDK_COOKIES_LEN`], 64 KiB, chunked), with a typical Auth0 tenant (discovery
/// document, JWKS, token response). A third of it is the response's room for the session's
/// `Set-Cookie` lines.
///
/// A device needs far less with an Auth0-sized session (a cookie of about 4 KB): about 9 KB for
/// the login, 14.2 KB for the callback and 16.6 KB for a refresh (measured by
/// `tests/embassy_ram.rs`; see EMBEDDED.md).
pub const FLOW_BUFFER_LEN: usize = 192 * 1024;
/// The most a discovery document or JWKS may take in the work buffer.
pub const PROVIDER_DOCUMENT_MAX: usize = 16 * 1024;

/// The 401 body of an API without a session (the SDK's `withApiAuthRequired`).
pub const NOT_AUTHENTICATED_JSON: &str = r#"{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}"#;

/// What a configuration's secrets derive into, once: the cookie encryption key (HKDF of
/// `AUTH0_SECRET`), the client assertion key and the DPoP key. [`Auth0::new`] derives its own;
/// a runtime that makes an [`Auth0`] per request derives them once with [`Keys::derive`] and
/// lends them with [`Auth0::with_keys`].
pub struct Keys {
    key: jwe::Key,
    client_key: Option<EcKeyPair>,
    dpop: Option<Dpop>,
    /// Where the application base URL's path (without a trailing slash) lies in it.
    base_path: core::ops::Range<usize>,
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keys")
            .field("dpop", &self.dpop.is_some())
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// The cookie encryption key.
    pub fn key(&self) -> &jwe::Key {
        &self.key
    }

    /// Checks `config` ([`Config::validate`]) and derives its keys.
    pub fn derive(config: &Config<'_>) -> Result<Keys, crate::ConfigError> {
        config.validate()?;
        let key = jwe::Key::from_secret(config.secret)?;
        let client_key = match config.client_auth {
            ConfigClientAuth::PrivateKeyJwt(pem) => Some(EcKeyPair::from_pem(pem, None).map_err(
                |_| crate::ConfigError::Invalid {
                    option: "AUTH0_CLIENT_ASSERTION_SIGNING_KEY",
                    reason: "is not a P-256 private key in PEM",
                },
            )?),
            _ => None,
        };
        let dpop = match &config.dpop {
            Some(d) => Some(Dpop::new(
                EcKeyPair::from_pem(d.private_key_pem, d.public_key_pem).map_err(|_| {
                    crate::ConfigError::Invalid {
                        option: "AUTH0_DPOP_PRIVATE_KEY",
                        reason: "is not a matching P-256 key pair",
                    }
                })?,
            )),
            None => None,
        };
        let app = config.app_base_url;
        let base_path = crate::codec::url::Url::parse(app)
            .map(|u| {
                let path = u.path.trim_end_matches('/');
                let start = (path.as_ptr() as usize).saturating_sub(app.as_ptr() as usize);
                start..start + path.len()
            })
            .unwrap_or(0..0);
        Ok(Keys {
            key,
            client_key,
            dpop,
            base_path,
        })
    }
}

/// The flows, bound to a configuration and a runtime. `K` holds the keys: [`Keys`] owned (a
/// core made once, as a device makes it: no heap to box them in), or `&Keys` lent by a runtime
/// that makes a core per request ([`Auth0::with_keys`]), which then stays small.
pub struct Auth0<'c, T, C, P, S = NoStore, H = DefaultHooks, K = Keys> {
    config: Config<'c>,
    /// The path of the application base URL, without a trailing slash.
    base_path: &'c str,
    keys: K,
    /// The HTTP client.
    transport: T,
    /// The clock.
    clock: C,
    /// The discovery and JWKS cache.
    cache: P,
    /// The session store, for stateful sessions.
    store: Option<S>,
    /// The hooks.
    hooks: H,
}

impl<'c, T: Transport, C: Clock, P: ProviderCache> Auth0<'c, T, C, P> {
    /// Checks `config` and derives the keys.
    ///
    /// ```
    /// use auth0_edge::config::{ClientAuth, Config};
    /// use auth0_edge::{flow::Auth0, runtime::{FixedClock, MemoryCache}, testing::Unreachable};
    /// let config = Config {
    ///     secret: "a-test-secret-that-is-at-least-32-characters-long!",
    ///     ..Config::new("tenant.auth0.com", "client-id", ClientAuth::SecretPost("s"), "http://localhost:3000")
    /// };
    /// let auth0 = Auth0::new(config, Unreachable::default(), FixedClock(1_800_000_000), MemoryCache::<8192>::new())?;
    /// # Ok::<(), auth0_edge::ConfigError>(())
    /// ```
    pub fn new(
        config: Config<'c>,
        transport: T,
        clock: C,
        cache: P,
    ) -> Result<Self, crate::ConfigError> {
        let keys = Keys::derive(&config)?;
        Ok(Self::with(config, keys, transport, clock, cache))
    }
}

impl<'c, T: Transport, C: Clock, P: ProviderCache>
    Auth0<'c, T, C, P, NoStore, DefaultHooks, &'c Keys>
{
    /// The flows for `config` with keys derived before (by [`Keys::derive`] from the same
    /// configuration, which it checked): nothing is validated or derived, so a runtime can make
    /// one per request from a configuration it owns.
    pub fn with_keys(config: Config<'c>, keys: &'c Keys, transport: T, clock: C, cache: P) -> Self {
        Self::with(config, keys, transport, clock, cache)
    }
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, K: Borrow<Keys>>
    Auth0<'c, T, C, P, NoStore, DefaultHooks, K>
{
    fn with(config: Config<'c>, keys: K, transport: T, clock: C, cache: P) -> Self {
        let base_path = config
            .app_base_url
            .get(keys.borrow().base_path.clone())
            .unwrap_or("");
        Auth0 {
            config,
            base_path,
            keys,
            transport,
            clock,
            cache,
            store: None,
            hooks: DefaultHooks,
        }
    }
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'c, T, C, P, S, H, K>
{
    /// Uses `store` for stateful sessions (the cookie then only holds a sealed id).
    pub fn with_store<S2: SessionStore>(self, store: S2) -> Auth0<'c, T, C, P, S2, H, K> {
        self.with_optional_store(Some(store))
    }

    /// Like [`Auth0::with_store`], with `None` meaning stateless (cookie) sessions.
    pub fn with_optional_store<S2: SessionStore>(
        self,
        store: Option<S2>,
    ) -> Auth0<'c, T, C, P, S2, H, K> {
        self.with_parts(|_, hooks| (store, hooks))
    }

    /// Uses `hooks` instead of the defaults.
    pub fn with_hooks<H2: Hooks>(self, hooks: H2) -> Auth0<'c, T, C, P, S, H2, K> {
        self.with_parts(|store, _| (store, hooks))
    }

    /// The same flows with the store and hooks that `f` makes of the current ones.
    fn with_parts<S2, H2>(
        self,
        f: impl FnOnce(Option<S>, H) -> (Option<S2>, H2),
    ) -> Auth0<'c, T, C, P, S2, H2, K> {
        let (store, hooks) = f(self.store, self.hooks);
        Auth0 {
            config: self.config,
            base_path: self.base_path,
            keys: self.keys,
            transport: self.transport,
            clock: self.clock,
            cache: self.cache,
            store,
            hooks,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'c> {
        &self.config
    }

    /// The keys.
    pub(crate) fn keys(&self) -> &Keys {
        self.keys.borrow()
    }

    /// The cookie encryption key derived from `AUTH0_SECRET`.
    pub fn key(&self) -> &jwe::Key {
        &self.keys().key
    }

    /// The HTTP client.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The discovery and JWKS cache.
    pub fn cache(&self) -> &P {
        &self.cache
    }

    /// The session store, for stateful sessions (`None`: cookie sessions).
    pub fn store(&self) -> Option<&S> {
        self.store.as_ref()
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    /// The DPoP key and proof maker, when DPoP is configured.
    pub fn dpop(&self) -> Option<&Dpop> {
        self.keys().dpop.as_ref()
    }

    pub(crate) fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub(crate) fn client_auth(&self) -> ClientAuth<'_> {
        match (&self.config.client_auth, &self.keys().client_key) {
            (_, Some(k)) => ClientAuth::PrivateKeyJwt(k),
            (ConfigClientAuth::SecretPost(s), _) => ClientAuth::SecretPost(s),
            (ConfigClientAuth::SecretBasic(s), _) => ClientAuth::SecretBasic(s),
            _ => ClientAuth::None,
        }
    }
}
