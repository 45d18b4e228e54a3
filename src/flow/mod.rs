//! The flows of `@auth0/nextjs-auth0` v4, written once over the runtime traits: the routes
//! (login, callback, logout, profile, access token) and the helpers (`get_session`,
//! `update_session`, `get_access_token`, `start_interactive_login`, the rolling touch).
//!
//! An [`Auth0`] borrows the configuration and holds the runtime's [`Transport`], [`Clock`],
//! [`ProviderCache`], optional [`SessionStore`] and [`Hooks`]. Every flow takes `&self`, a
//! random generator and one work buffer (see [`FLOW_BUFFER_LEN`]); its output (a [`Response`])
//! lives in that buffer. Flows compose the message-level modules ([`crate::authorize`],
//! [`crate::oauth`], [`crate::id_token`], [`crate::logout`], [`crate::session`]) and never parse
//! or format bytes themselves.

// Errors carry the provider's error text inline (no heap to box it in).
#![allow(clippy::result_large_err)]

mod callback;
mod error;
mod hooks;
mod login;
mod logout;
mod tokens;

pub use error::{AuthError, DiscoveryFailure, ErrorText, GrantFailure, ProviderError};
pub use hooks::{CallbackContext, DefaultHooks, Hooks, SessionToSave};
pub use login::LoginOptions;
pub use tokens::{AccessToken, AccessTokenOptions};

use crate::buf::Writer;
use crate::config::{ClientAuth as ConfigClientAuth, Config};
use crate::cookie::{self, CookieName, Lifetime, SetCookie};
use crate::discovery::{self, Entry, Metadata, ProviderCache};
use crate::dpop::Dpop;
use crate::http::{
    Clock, IncomingResponse, OutgoingRequest, Request, Response, ResponseBuilder, Transport,
    TransportError,
};
use crate::json::{JsonStr, Object};
use crate::jwk::{EcKeyPair, Jwks};
use crate::oauth::ClientAuth;
use crate::session::{self, Session};
use crate::store::{self, NoStore, RecordInfo, SessionId, SessionStore};
use crate::time::UnixTime;
use crate::{CookieError, Error, JweError, jwe};
use rand_core::CryptoRngCore;

/// A work buffer size that fits every flow with a typical Auth0 tenant (discovery document,
/// JWKS, token response, a session of a few KB and its cookies).
pub const FLOW_BUFFER_LEN: usize = 192 * 1024;
/// The most a discovery document or JWKS may take in the work buffer.
pub const PROVIDER_DOCUMENT_MAX: usize = 16 * 1024;

/// The 401 body of an API without a session (the SDK's `withApiAuthRequired`).
pub const NOT_AUTHENTICATED_JSON: &str = r#"{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}"#;

/// The SDK routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// `GET /auth/login`.
    Login,
    /// `GET /auth/callback`.
    Callback,
    /// `GET /auth/logout`.
    Logout,
    /// `GET /auth/profile`.
    Profile,
    /// `GET /auth/access-token`.
    AccessToken,
}

/// The result of [`Auth0::handle`]: answer the request, or pass it on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled<'b> {
    /// One of the auth routes: send this response.
    Response(Response<'b>),
    /// Any other path: call the application, then add these headers (the rolling session's
    /// `Set-Cookie` values and cache headers; none when there is nothing to roll) to its
    /// response.
    Next(Response<'b>),
}

/// The result of [`Auth0::touch`]: the request's session, and the headers that roll it.
#[derive(Debug)]
pub struct Touched<'b> {
    /// The session, if the request has one.
    pub session: Option<Session<'b>>,
    /// Headers to add to the application's response (empty when nothing was rolled).
    pub headers: Response<'b>,
}

/// The flows, bound to a configuration and a runtime.
pub struct Auth0<'c, T, C, P, S = NoStore, H = DefaultHooks> {
    config: Config<'c>,
    /// The path of the application base URL, without a trailing slash.
    base_path: &'c str,
    key: jwe::Key,
    client_key: Option<EcKeyPair>,
    dpop: Option<Dpop>,
    /// The HTTP client.
    pub transport: T,
    /// The clock.
    pub clock: C,
    /// The discovery and JWKS cache.
    pub cache: P,
    /// The session store, for stateful sessions.
    pub store: Option<S>,
    /// The hooks.
    pub hooks: H,
}

impl<'c, T: Transport, C: Clock, P: ProviderCache> Auth0<'c, T, C, P> {
    /// Checks `config` and derives the keys.
    ///
    /// ```
    /// use auth0_edge::{config::{ClientAuth, Config}, discovery::MemoryCache, flow::Auth0, http::FixedClock};
    /// # struct Nope;
    /// # impl auth0_edge::http::Transport for Nope {
    /// #     async fn send(&self, _: &auth0_edge::http::OutgoingRequest<'_>, _: &mut [u8]) -> Result<auth0_edge::http::ResponseHead, auth0_edge::http::TransportError> { Err(auth0_edge::http::TransportError::Connect) }
    /// # }
    /// let config = Config {
    ///     secret: "a-test-secret-that-is-at-least-32-characters-long!",
    ///     ..Config::new("tenant.auth0.com", "client-id", ClientAuth::SecretPost("s"), "http://localhost:3000")
    /// };
    /// let auth0 = Auth0::new(config, Nope, FixedClock(1_800_000_000), MemoryCache::<8192>::new())?;
    /// # Ok::<(), auth0_edge::ConfigError>(())
    /// ```
    pub fn new(
        config: Config<'c>,
        transport: T,
        clock: C,
        cache: P,
    ) -> Result<Self, crate::ConfigError> {
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
        let base_path = crate::url::Url::parse(config.app_base_url)
            .map(|u| u.path.trim_end_matches('/'))
            .unwrap_or("");
        Ok(Auth0 {
            config,
            base_path,
            key,
            client_key,
            dpop,
            transport,
            clock,
            cache,
            store: None,
            hooks: DefaultHooks,
        })
    }
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks>
    Auth0<'c, T, C, P, S, H>
{
    /// Uses `store` for stateful sessions (the cookie then only holds a sealed id).
    pub fn with_store<S2: SessionStore>(self, store: S2) -> Auth0<'c, T, C, P, S2, H> {
        self.with_optional_store(Some(store))
    }

    /// Like [`Auth0::with_store`], with `None` meaning stateless (cookie) sessions.
    pub fn with_optional_store<S2: SessionStore>(
        self,
        store: Option<S2>,
    ) -> Auth0<'c, T, C, P, S2, H> {
        Auth0 {
            config: self.config,
            base_path: self.base_path,
            key: self.key,
            client_key: self.client_key,
            dpop: self.dpop,
            transport: self.transport,
            clock: self.clock,
            cache: self.cache,
            store,
            hooks: self.hooks,
        }
    }

    /// Uses `hooks` instead of the defaults.
    pub fn with_hooks<H2: Hooks>(self, hooks: H2) -> Auth0<'c, T, C, P, S, H2> {
        Auth0 {
            config: self.config,
            base_path: self.base_path,
            key: self.key,
            client_key: self.client_key,
            dpop: self.dpop,
            transport: self.transport,
            clock: self.clock,
            cache: self.cache,
            store: self.store,
            hooks,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'c> {
        &self.config
    }

    /// The cookie encryption key derived from `AUTH0_SECRET`.
    pub fn key(&self) -> &jwe::Key {
        &self.key
    }

    /// The DPoP key and proof maker, when DPoP is configured.
    pub fn dpop(&self) -> Option<&Dpop> {
        self.dpop.as_ref()
    }

    fn now(&self) -> UnixTime {
        self.clock.now()
    }

    pub(crate) fn client_auth(&self) -> ClientAuth<'_> {
        match (&self.config.client_auth, &self.client_key) {
            (_, Some(k)) => ClientAuth::PrivateKeyJwt(k),
            (ConfigClientAuth::SecretPost(s), _) => ClientAuth::SecretPost(s),
            (ConfigClientAuth::SecretBasic(s), _) => ClientAuth::SecretBasic(s),
            _ => ClientAuth::None,
        }
    }

    /// The request path with the application base path removed, and without a trailing
    /// slash; `None` when the path is outside the base path.
    fn route_path<'r>(&self, path: &'r str) -> Option<&'r str> {
        let base_path = self.base_path;
        let rest = path.strip_prefix(base_path)?;
        let rest = if rest.len() > 1 {
            rest.trim_end_matches('/')
        } else {
            rest
        };
        if rest.is_empty() {
            Some("/")
        } else {
            rest.starts_with('/').then_some(rest)
        }
    }

    /// Routes a request: the auth routes get their response; any other path gets the rolling
    /// session's headers to add to the application's response (the middleware of the SDK).
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::http::Transport, C: auth0_edge::http::Clock, P: auth0_edge::discovery::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::{flow::Handled, http::Request};
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request::get("/auth/login?returnTo=%2Fdashboard", &headers);
    /// match auth0.handle(&req, &mut rand_core::OsRng, &mut buf).await? {
    ///     Handled::Response(res) => { /* send res.status, res.headers(), res.body */ }
    ///     Handled::Next(extra) => { /* run the app, then append extra.headers() */ }
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn handle<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Handled<'b>, AuthError> {
        match self.route(req) {
            Some(Route::Login) => self.login(req, rng, buf).await.map(Handled::Response),
            Some(Route::Callback) => self.callback(req, rng, buf).await.map(Handled::Response),
            Some(Route::Logout) => self.logout(req, rng, buf).await.map(Handled::Response),
            Some(Route::Profile) => self.profile(req, buf).await.map(Handled::Response),
            Some(Route::AccessToken) => self
                .access_token_route(req, rng, buf)
                .await
                .map(Handled::Response),
            None => self
                .touch(req, rng, buf)
                .await
                .map(|t| Handled::Next(t.headers)),
        }
    }

    /// The redirect of a page that needs a session (the SDK's `withPageAuthRequired`): a 307
    /// to the login route with `returnTo` set to the page's path and query.
    pub fn page_login_redirect<'b>(
        &self,
        path_and_query: &str,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, Error> {
        let mut res = ResponseBuilder::new(buf, 307);
        let w = res.begin_header("Location")?;
        w.push_str(self.base_path)?;
        w.push_str(self.config.routes.login)?;
        w.push_str("?returnTo=")?;
        crate::url::push_form(w, path_and_query)?;
        res.end_header()?;
        res.finish()
    }

    /// Which SDK route `req` is for, if any (`GET`/`HEAD` on a configured path under the
    /// application's base path; a trailing slash is ignored).
    pub fn route(&self, req: &Request<'_>) -> Option<Route> {
        let r = &self.config.routes;
        let path = self.route_path(req.path)?;
        let get = req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD");
        if !get {
            return None;
        }
        if path == r.login {
            Some(Route::Login)
        } else if path == r.callback {
            Some(Route::Callback)
        } else if path == r.logout {
            Some(Route::Logout)
        } else if path == r.profile {
            Some(Route::Profile)
        } else if path == r.access_token && self.config.enable_access_token_endpoint {
            Some(Route::AccessToken)
        } else {
            None
        }
    }

    // -----------------------------------------------------------------------------------------
    // Provider metadata and keys
    // -----------------------------------------------------------------------------------------

    async fn fetch<'b>(
        &self,
        arena: &mut Arena<'b>,
        req: &OutgoingRequest<'_>,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        arena.fetch(&self.transport, req).await
    }

    /// The provider metadata, from the cache or fetched (`<domain>/.well-known/openid-configuration`).
    pub(crate) async fn metadata<'b>(
        &self,
        arena: &mut Arena<'b>,
    ) -> Result<Metadata<'b>, AuthError> {
        let now = self.now();
        if let Some(doc) = arena.fill(|buf| {
            let (n, at) = self.cache.load(Entry::Discovery, buf)?;
            (now - at < discovery::DISCOVERY_TTL && now >= at).then_some(n)
        }) && let Ok(text) = core::str::from_utf8(doc)
            && let Ok(m) = Metadata::parse(text)
        {
            return Ok(m);
        }
        let (scheme, host) = self.config.domain_parts();
        let url = arena.write(|w| {
            w.push_str(scheme)?;
            w.push_str("://")?;
            w.push_str(host)?;
            w.push_str("/.well-known/openid-configuration")
        })?;
        let text = self.fetch_document(url, Entry::Discovery, arena).await?;
        Metadata::parse(text).map_err(|e| AuthError::Discovery(DiscoveryFailure::Invalid(e)))
    }

    /// GETs a provider document (discovery or JWKS), checks it is 200 and UTF-8, and caches
    /// it as `entry` when it has the document's shape.
    async fn fetch_document<'b>(
        &self,
        url: &str,
        entry: Entry,
        arena: &mut Arena<'b>,
    ) -> Result<&'b str, AuthError> {
        let now = self.now();
        let req = OutgoingRequest {
            method: "GET",
            url,
            headers: &[("Accept", "application/json")],
            body: &[],
        };
        let res = self
            .fetch(arena, &req)
            .await
            .map_err(|e| AuthError::Discovery(DiscoveryFailure::Transport(e)))?;
        if res.status != 200 {
            return Err(AuthError::Discovery(DiscoveryFailure::Status(res.status)));
        }
        let text = core::str::from_utf8(res.body).map_err(|_| {
            AuthError::Discovery(DiscoveryFailure::Invalid(crate::JsonError::Utf8.into()))
        })?;
        // Only documents of the right shape are cached.
        let valid = match entry {
            Entry::Discovery => Metadata::parse(text).is_ok(),
            Entry::Jwks => Jwks::parse(text).is_ok(),
        };
        if valid {
            self.cache.store(entry, res.body, now);
        }
        Ok(text)
    }

    /// The JWKS, from the cache or fetched; `force` refetches (at most once per
    /// [`discovery::JWKS_REFETCH_INTERVAL`]).
    pub(crate) async fn jwks<'b>(
        &self,
        m: &Metadata<'_>,
        force: bool,
        arena: &mut Arena<'b>,
    ) -> Result<Option<Jwks<'b>>, AuthError> {
        let now = self.now();
        if force {
            if self
                .cache
                .last_forced_jwks_fetch()
                .is_some_and(|t| now - t < discovery::JWKS_REFETCH_INTERVAL && now >= t)
            {
                return Ok(None);
            }
            self.cache.set_last_forced_jwks_fetch(now);
        } else if let Some(doc) = arena.fill(|buf| {
            let (n, at) = self.cache.load(Entry::Jwks, buf)?;
            (now - at < discovery::JWKS_TTL && now >= at).then_some(n)
        }) && let Ok(text) = core::str::from_utf8(doc)
            && let Ok(set) = Jwks::parse(text)
        {
            return Ok(Some(set));
        }
        let text = self.fetch_document(m.jwks_uri, Entry::Jwks, arena).await?;
        let set =
            Jwks::parse(text).map_err(|e| AuthError::Discovery(DiscoveryFailure::Invalid(e)))?;
        Ok(Some(set))
    }

    /// Validates an ID token against the JWKS, refetching the JWKS once if no key fits.
    pub(crate) async fn validate_id_token<'b>(
        &self,
        token: &str,
        m: &Metadata<'_>,
        nonce: Option<&str>,
        max_age: Option<i64>,
        arena: &mut Arena<'b>,
    ) -> Result<Object<'b>, AuthError> {
        let expected = crate::id_token::Expected {
            issuer: m.issuer,
            client_id: self.config.client_id,
            nonce,
            max_age,
            leeway: self.config.clock_tolerance,
        };
        let now = self.now();
        let grant_err = |e| AuthError::AuthorizationCodeGrant(GrantFailure::IdToken(e));
        let no_key = crate::id_token::IdTokenError::Signature(crate::JwsError::NoMatchingKey);
        let mut force = false;
        loop {
            let result = {
                let mut scratch = arena.checkpoint();
                match self.jwks(m, force, &mut scratch).await? {
                    None => Err(no_key),
                    Some(jwks) => {
                        let buf = scratch.take(token.len())?;
                        crate::id_token::validate(
                            token,
                            &jwks,
                            |a| m.supports_id_token_alg(a),
                            &expected,
                            now,
                            buf,
                        )
                        .map(|_| ())
                    }
                }
            };
            match result {
                Ok(()) => break,
                // An unknown key: the provider may have rotated its keys; fetch the JWKS once.
                Err(e) if e == no_key && !force => force = true,
                Err(e) => return Err(grant_err(e)),
            }
        }
        // The signature and claims are good: decode the claims into memory that lasts.
        let compact = crate::jws::Compact::split(token)
            .map_err(|e| grant_err(crate::id_token::IdTokenError::Signature(e)))?;
        let out = arena.take(compact.payload.len())?;
        let n = crate::base64url::decode(compact.payload, out)
            .map_err(|_| grant_err(crate::id_token::IdTokenError::Claims))?
            .len();
        let out: &'b [u8] = &out[..n];
        Object::parse_bytes(out).map_err(|_| grant_err(crate::id_token::IdTokenError::Claims))
    }

    // -----------------------------------------------------------------------------------------
    // Sessions
    // -----------------------------------------------------------------------------------------

    /// Reads the session of a request's `Cookie` header: the sealed cookie, or the record its
    /// id points to when a store is configured. An expired, tampered or missing cookie is no
    /// session (`Ok(None)`), as in the SDK.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::http::Transport, C: auth0_edge::http::Clock, P: auth0_edge::discovery::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// let mut buf = vec![0u8; auth0_edge::session::DEFAULT_BUFFER_LEN];
    /// if let Some(session) = auth0.get_session(cookie_header, &mut buf).await? {
    ///     println!("signed in as {}", session.user.get_str("sub").unwrap());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_session<'b>(
        &self,
        cookie_header: &str,
        buf: &'b mut [u8],
    ) -> Result<Option<Session<'b>>, AuthError> {
        let mut arena = Arena::new(buf);
        Ok(self
            .load(cookie_header, &mut arena)
            .await?
            .map(|l| l.session))
    }

    /// Loads the session and, for stateful sessions, its record id.
    pub(crate) async fn load<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<Loaded<'b>>, AuthError> {
        let now = self.now();
        let name = self.config.session.cookie_name;
        match &self.store {
            None => {
                let need = cookie_header.len() * 2 + 1024;
                let buf = arena.take(need.min(arena.remaining()))?;
                match session::open(cookie_header, name, &self.key, now, buf) {
                    Ok(o) => Ok(Some(Loaded {
                        session: o.session,
                        id: None,
                    })),
                    Err(e) => no_session(e),
                }
            }
            Some(store) => {
                let Some(c) = cookie::get(cookie_header, name) else {
                    return Ok(None);
                };
                let id_buf = arena.take(c.value.len() + 64)?;
                let id = match jwe::open_jwt(&self.key, c.value, now, id_buf) {
                    Ok(payload) => match store::read_id(&payload).and_then(|i| i.as_str()) {
                        Some(id) => id,
                        None => return Ok(None),
                    },
                    Err(e) => return no_session(e),
                };
                let rest = arena.take(arena.remaining() / 2)?;
                let Some(json) = store.get(id, rest).await? else {
                    return Ok(None);
                };
                let opened = match session::open_payload(json, now) {
                    Ok(o) => o,
                    Err(e) => return no_session(e),
                };
                Ok(Some(Loaded {
                    session: opened.session,
                    id: Some(id),
                }))
            }
        }
    }

    /// Writes `session` for the response: the sealed cookie (chunked, with the stale chunks
    /// deleted) or, with a store, the record and its id cookie; then the cache headers.
    ///
    /// `fresh` is a new login: a store record gets a new id (the old record is deleted).
    /// A rolling write to a store record that no longer exists writes nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn save<'b>(
        &self,
        session: &Session<'_>,
        request_cookie: &'b str,
        existing_id: Option<&str>,
        fresh: bool,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let max_age = self
            .config
            .session
            .durations
            .max_age(session.internal.created_at, now);
        let exp = now + max_age as i64;
        let name = self.config.session.cookie_name;
        let opts = self.config.session_cookie();
        match &self.store {
            None => {
                let plain = arena.write_mut(|w| session.write_json(w, Some(exp)))?;
                let out = arena.take(jwe::sealed_len(plain.len()))?;
                let sealed = jwe::seal(&self.key, rng, plain, out)?;
                for c in session::set_cookies(name, sealed, &opts, max_age, now, request_cookie)? {
                    res.header_display("Set-Cookie", &c)?;
                }
            }
            Some(store) => {
                let json = arena.write(|w| session.write_json(w, None))?;
                let sid_buf = arena.take(256)?;
                let sid = session.internal.sid.and_then(|s| s.to_str_in(sid_buf).ok());
                let sub_buf = arena.take(256)?;
                let sub = session
                    .user
                    .get_str("sub")
                    .and_then(|s| s.to_str_in(sub_buf).ok());
                let info = RecordInfo {
                    expires_at: exp,
                    sid,
                    sub,
                };
                let new_id;
                let id = match (existing_id, fresh) {
                    (Some(id), false) => {
                        if !store.update(id, json, &info).await? {
                            return Ok(());
                        }
                        id
                    }
                    (old, _) => {
                        if let Some(old) = old {
                            store.delete(old).await?;
                        }
                        new_id = SessionId::generate(rng);
                        store.set(new_id.as_str(), json, &info).await?;
                        new_id.as_str()
                    }
                };
                let plain = arena.write_mut(|w| store::write_id_payload(w, id, exp))?;
                let out = arena.take(jwe::sealed_len(plain.len()))?;
                let sealed = jwe::seal(&self.key, rng, plain, out)?;
                let c = SetCookie {
                    name: CookieName::plain(name),
                    value: sealed,
                    options: &opts,
                    lifetime: Lifetime::MaxAge { max_age, now },
                };
                res.header_display("Set-Cookie", &c)?;
            }
        }
        res.no_cache()?;
        Ok(())
    }

    /// The SDK's middleware touch for a non-auth request: when rolling is on and a session
    /// exists, write it back with the same `createdAt` (a later expiry) and add the cache
    /// headers. The returned response carries only headers to add to the application's.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::http::Transport, C: auth0_edge::http::Clock, P: auth0_edge::discovery::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let touched = auth0.touch(&Request::get("/dashboard", &headers), &mut rand_core::OsRng, &mut buf).await?;
    /// for (name, value) in touched.headers.headers() { /* append to the application's response */ }
    /// # Ok(()) }
    /// ```
    pub async fn touch<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Touched<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        let cookie = copy_str(&mut arena, req.cookie())?;
        let loaded = self.load(cookie, &mut arena).await?;
        if let Some(l) = &loaded
            && self.config.session.durations.rolling
            && self.hooks.before_session_rolled(req)
        {
            self.save(&l.session, cookie, l.id, false, rng, &mut arena, &mut res)
                .await?;
        }
        Ok(Touched {
            session: loaded.map(|l| l.session),
            headers: res.finish()?,
        })
    }

    /// Replaces the session's document (`updateSession`): the `user`, token set and extra
    /// members of `session` are written back; `internal` (`sid`, `createdAt`) is kept from the
    /// current session. The returned headers (`Set-Cookie`, cache) must be added to the
    /// response. Without a session this is [`AuthError::MissingSession`].
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::http::Transport, C: auth0_edge::http::Clock, P: auth0_edge::discovery::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// let mut buf = vec![0u8; auth0_edge::session::DEFAULT_BUFFER_LEN];
    /// let mut session = auth0.get_session(cookie_header, &mut buf).await?.expect("signed in");
    /// session.user = auth0_edge::json::Object::parse(r#"{"sub":"auth0|1","nickname":"z"}"#).unwrap();
    /// let mut out = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let headers = auth0.update_session(cookie_header, &session, &mut rand_core::OsRng, &mut out).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_session<'b>(
        &self,
        cookie_header: &str,
        session: &Session<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        let cookie = copy_str(&mut arena, cookie_header)?;
        let current = self
            .load(cookie, &mut arena)
            .await?
            .ok_or(AuthError::MissingSession)?;
        let mut updated = session.clone();
        updated.internal = current.session.internal;
        self.save(
            &updated, cookie, current.id, false, rng, &mut arena, &mut res,
        )
        .await?;
        Ok(res.finish()?)
    }

    /// Deletion `Set-Cookie` values for the session cookie(s), transaction cookies and
    /// connection-token cookies of a request, added to `res`.
    pub(crate) fn clear_cookies(
        &self,
        request_cookie: &str,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), Error> {
        let opts = self.config.session_cookie();
        for c in session::delete_cookies(self.config.session.cookie_name, &opts, request_cookie) {
            res.header_display("Set-Cookie", &c)?;
        }
        for c in cookie::parse(request_cookie).filter(|c| is_connection_cookie(c.name)) {
            let d = SetCookie {
                name: CookieName::plain(c.name),
                value: "",
                options: &opts,
                lifetime: Lifetime::Delete,
            };
            res.header_display("Set-Cookie", &d)?;
        }
        let topts = self.config.transaction_cookie();
        for c in
            crate::authorize::delete_all(request_cookie, self.config.transaction.prefix, &topts)
        {
            res.header_display("Set-Cookie", &c)?;
        }
        Ok(())
    }
}

/// `__FC_<digits>`: a connection-token cookie.
fn is_connection_cookie(name: &str) -> bool {
    name.strip_prefix("__FC_")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Errors that mean "no session" in the SDK (missing, tampered, expired, malformed cookie);
/// others (a buffer too small) are reported.
fn no_session<T>(e: Error) -> Result<Option<T>, AuthError> {
    match e {
        Error::BufferTooSmall { .. } => Err(AuthError::Core(e)),
        Error::Cookie(
            CookieError::NotFound
            | CookieError::MissingChunk { .. }
            | CookieError::TooManyChunks
            | CookieError::InvalidEncoding
            | CookieError::BadChunkIndex
            | CookieError::InvalidName,
        )
        | Error::Jwe(_)
        | Error::Json(_)
        | Error::Session(_) => Ok(None),
        other => Err(AuthError::Core(other)),
    }
}

/// A session and, when stored, the id of its record.
pub(crate) struct Loaded<'b> {
    pub(crate) session: Session<'b>,
    pub(crate) id: Option<&'b str>,
}

/// The decoded value of query parameter `name`, in the arena.
pub(crate) fn query_value<'b>(
    arena: &mut Arena<'b>,
    query: &str,
    name: &str,
) -> Result<Option<&'b str>, AuthError> {
    match crate::url::query_get(query, name) {
        Some(raw) => Ok(Some(crate::url::decode_component(
            raw,
            arena.take(raw.len() * 3 + 4)?,
        )?)),
        None => Ok(None),
    }
}

/// Copies a request string into the arena, so values borrowed from it live as long as the
/// work buffer.
pub(crate) fn copy_str<'b>(arena: &mut Arena<'b>, s: &str) -> Result<&'b str, Error> {
    arena.write(|w| w.push_str(s))
}

/// Hands out disjoint parts of the flow's work buffer.
pub(crate) struct Arena<'b> {
    rest: &'b mut [u8],
    capacity: usize,
}

impl<'b> Arena<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        let capacity = buf.len();
        Arena {
            rest: buf,
            capacity,
        }
    }

    /// An arena over the first part of `buf` and the rest kept for the response (a third, at
    /// least 8 KB when possible).
    pub(crate) fn split_for_response(buf: &'b mut [u8]) -> (Arena<'b>, &'b mut [u8]) {
        let res_len = (buf.len() / 3).max(8192.min(buf.len()));
        let at = buf.len() - res_len;
        let (a, r) = buf.split_at_mut(at);
        (Arena::new(a), r)
    }

    fn overflow(&self) -> Error {
        Error::BufferTooSmall {
            what: "flow work",
            capacity: self.capacity,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'b mut [u8], Error> {
        if n > self.rest.len() {
            return Err(self.overflow());
        }
        let (a, b) = core::mem::take(&mut self.rest).split_at_mut(n);
        self.rest = b;
        Ok(a)
    }

    /// A sub-arena over the rest, for temporary use; its space comes back when it is dropped
    /// (nothing it handed out may outlive it).
    pub(crate) fn checkpoint(&mut self) -> Arena<'_> {
        Arena {
            capacity: self.capacity,
            rest: &mut *self.rest,
        }
    }

    /// Writes with `f` into the rest and keeps what was written.
    pub(crate) fn write(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<&'b str, Error> {
        let s = self.write_mut(f)?;
        let s: &'b [u8] = s;
        core::str::from_utf8(s).map_err(|_| crate::JsonError::Utf8.into())
    }

    /// Like [`Arena::write`], handing the bytes out mutably (to encrypt in place).
    pub(crate) fn write_mut(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<&'b mut [u8], Error> {
        let buf = core::mem::take(&mut self.rest);
        let n = {
            let mut w = Writer::new(&mut *buf, "flow work");
            match f(&mut w) {
                Ok(()) => w.len(),
                Err(Error::BufferTooSmall { .. }) => {
                    self.rest = buf;
                    return Err(self.overflow());
                }
                Err(e) => {
                    self.rest = buf;
                    return Err(e);
                }
            }
        };
        let (a, b) = buf.split_at_mut(n);
        self.rest = b;
        Ok(a)
    }

    /// Lets `f` fill the rest and keeps the `n` bytes it reports (nothing when it reports
    /// `None`).
    pub(crate) fn fill(&mut self, f: impl FnOnce(&mut [u8]) -> Option<usize>) -> Option<&'b [u8]> {
        let buf = core::mem::take(&mut self.rest);
        match f(&mut *buf) {
            Some(n) if n <= buf.len() => {
                let (a, b) = buf.split_at_mut(n);
                self.rest = b;
                Some(a)
            }
            _ => {
                self.rest = buf;
                None
            }
        }
    }

    /// Sends `req` and keeps the response in the arena.
    pub(crate) async fn fetch<T: Transport>(
        &mut self,
        t: &T,
        req: &OutgoingRequest<'_>,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        let buf = core::mem::take(&mut self.rest);
        let head = match t.send(req, &mut *buf).await {
            Ok(h) => h,
            Err(e) => {
                self.rest = buf;
                return Err(e);
            }
        };
        let used = head.headers_len.saturating_add(head.body_len);
        if used > buf.len() {
            self.rest = buf;
            return Err(TransportError::ResponseTooLarge);
        }
        let (a, b) = buf.split_at_mut(used);
        self.rest = b;
        let a: &'b [u8] = a;
        head.view(a).ok_or(TransportError::Io)
    }
}

/// The session's ID token as text (escapes decoded into the arena when needed).
pub(crate) fn json_text<'b>(arena: &mut Arena<'b>, s: JsonStr<'_>) -> Result<&'b str, Error> {
    arena.write(|w| {
        for c in s.chars() {
            let mut tmp = [0u8; 4];
            w.push_str(c.encode_utf8(&mut tmp))?;
        }
        Ok(())
    })
}

impl From<JweError> for AuthError {
    fn from(e: JweError) -> Self {
        AuthError::Core(e.into())
    }
}
