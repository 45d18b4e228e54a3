//! [`Auth0Client`]: the core's flows on tokio, with owned inputs and outputs in `http` types.

use std::prelude::rust_2024::*;

use super::builder::Builder;
use super::cache::SharedCache;
use super::clock::SystemClock;
use super::convert::{
    HeaderView, append_headers, cookie_header, error_response, to_http, unauthorized,
};
use super::hooks::{DynHooks, session_saved};
use super::owned::{AccessTokenData, SessionData};
use super::pool::{Pool, with_buffer};
use super::refresh::Coordinator;
use super::session::RequestSession;
use super::store::{CoreStore, DynStore, LocalReplay};
use super::transport::HyperTransport;
use crate::ConfigError;
use crate::config::{Config, OwnedConfig};
use crate::flow::{
    AccessToken, AccessTokenOptions, Auth0, AuthError, DefaultHooks, Handled, Keys, LoginOptions,
    Route,
};
use crate::http::{Request as CoreRequest, ResponseBuilder};
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::Full;
use std::sync::Arc;

/// The core flows as one request of the tokio runtime sees them: what [`Auth0Client::core`]
/// returns (the client's configuration, keys, HTTP client and cache, lent for the request).
pub type CoreClient<'a> = Auth0<
    'a,
    &'a HyperTransport,
    SystemClock,
    &'a SharedCache,
    CoreStore<'a>,
    DefaultHooks,
    &'a crate::flow::Keys,
>;

pub(crate) struct Inner {
    pub(crate) config: OwnedConfig,
    pub(crate) keys: Keys,
    pub(crate) transport: HyperTransport,
    pub(crate) cache: SharedCache,
    pub(crate) store: Option<Box<dyn DynStore>>,
    pub(crate) replay: std::sync::Mutex<LocalReplay>,
    pub(crate) hooks: Box<dyn DynHooks>,
    pub(crate) coordinator: Coordinator,
    pub(crate) pool: Pool,
    /// The cookie sessions opened recently ([`super::Builder::opened_sessions`]).
    pub(crate) opened: super::opened::OpenedSessions<super::session::Cached>,
    /// Finds the session cookie's name in a `Cookie` header (made once, with the client).
    pub(crate) session_cookie: memchr::memmem::Finder<'static>,
    /// What every request reads of the configuration, taken out of it once.
    pub(crate) hot: Hot,
}

/// The settings an application request reads (the session read, the opened-sessions cache,
/// the roll), kept apart from the configuration so that such a request does not build the
/// core's client.
pub(crate) struct Hot {
    /// The session cookie's name.
    pub(crate) cookie_name: String,
    /// The session's lifetime settings.
    pub(crate) durations: crate::session::Durations,
    /// `token_refresh_buffer`.
    pub(crate) token_refresh_buffer: i64,
}

impl Hot {
    pub(crate) fn of(config: &crate::config::Config<'_>) -> Hot {
        Hot {
            cookie_name: config.session.cookie_name.to_string(),
            durations: config.session.durations,
            token_refresh_buffer: config.token_refresh_buffer,
        }
    }
}

/// The Auth0 client of a tokio application: configuration, HTTP client, discovery/JWKS cache,
/// session store, hooks and the refresh coordination. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Auth0Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth0Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.config();
        f.debug_struct("Auth0Client")
            .field("domain", &c.domain)
            .field("client_id", &c.client_id)
            .finish_non_exhaustive()
    }
}

/// What the client did with a request ([`Auth0Client::handle`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// One of the SDK routes: send this response.
    Respond(http::Response<Full<Bytes>>),
    /// Any other path: call the application with this session in the request's extensions,
    /// then add [`RequestSession::finish`]'s headers to its response.
    Next(RequestSession),
}

/// A request as the client's helpers read it: its headers, and its extensions (where
/// [`super::Auth0Layer`] puts the [`RequestSession`]). Implemented for `http::Request`,
/// `http::request::Parts` and a bare `HeaderMap` (no extensions).
pub trait RequestHead {
    /// The request's headers.
    fn headers(&self) -> &HeaderMap;
    /// The request's session, when a layer put one in its extensions.
    fn request_session(&self) -> Option<&RequestSession>;
}

impl<B> RequestHead for http::Request<B> {
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
    fn request_session(&self) -> Option<&RequestSession> {
        self.extensions().get()
    }
}

impl RequestHead for http::request::Parts {
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn request_session(&self) -> Option<&RequestSession> {
        self.extensions.get()
    }
}

impl RequestHead for HeaderMap {
    fn headers(&self) -> &HeaderMap {
        self
    }
    fn request_session(&self) -> Option<&RequestSession> {
        None
    }
}

fn rng() -> ThreadRng {
    ThreadRng
}

/// The tokio runtime's randomness (IVs, PKCE verifiers, `state`, DPoP `jti`s): `rand`'s
/// thread-local generator (ChaCha12, seeded and reseeded from the operating system), as a
/// handle that holds nothing, so the flows' futures stay `Send`. It makes a session write's IV
/// without a system call.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct ThreadRng;

impl rand_core::RngCore for ThreadRng {
    fn next_u32(&mut self) -> u32 {
        rand::thread_rng().next_u32()
    }

    fn next_u64(&mut self) -> u64 {
        rand::thread_rng().next_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        rand::thread_rng().fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        rand::thread_rng().try_fill_bytes(dest)
    }
}

impl rand_core::CryptoRng for ThreadRng {}

impl Auth0Client {
    /// A client configured from the environment ([`OwnedConfig::from_env`]); see
    /// [`crate::config::read_dotenv`] for `.env` files.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder(OwnedConfig::from_env()?).build()
    }

    /// A builder for `config`: an [`OwnedConfig`], or a borrowed [`Config`] (copied).
    pub fn builder(config: impl Into<OwnedConfig>) -> Builder {
        Builder::new(config.into())
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Auth0Client {
            inner: Arc::new(inner),
        }
    }

    /// The configuration.
    pub fn config(&self) -> Config<'_> {
        self.inner.config.as_config()
    }

    /// The core flows, for one request (cheap: the configuration and keys are lent).
    pub fn core(&self) -> CoreClient<'_> {
        let i = &*self.inner;
        Auth0::with_keys(
            i.config.as_config(),
            &i.keys,
            &i.transport,
            SystemClock,
            &i.cache,
        )
        .with_optional_store(i.store.as_deref().map(|s| CoreStore::new(s, &i.replay)))
    }

    /// Whether a request is for the route that reads a body (back-channel logout): give
    /// [`Auth0Client::handle`] its body, at most [`crate::flow::MAX_BACKCHANNEL_BODY`] bytes.
    pub fn wants_body(&self, parts: &http::request::Parts) -> bool {
        parts.method == http::Method::POST
            && matches!(
                self.core().route(&CoreRequest {
                    method: "POST",
                    path: parts.uri.path(),
                    query: "",
                    headers: &HeaderView {
                        map: &HeaderMap::new(),
                        cookie: "",
                    },
                    body: &[],
                }),
                Some(Route::BackchannelLogout)
            )
    }

    /// Handles a request: an SDK route gets its response; any other path gets its
    /// [`RequestSession`] (put it in the request's extensions, call the application, then add
    /// [`RequestSession::finish`]'s headers to its response: what [`super::Auth0Layer`] does).
    /// `body` is read by the back-channel logout route only ([`Auth0Client::wants_body`]);
    /// pass `&[]` for any other request. Errors of the routes are answered with the SDK's
    /// message; a store that is down makes other paths go on without a session.
    pub async fn handle(&self, parts: &http::request::Parts, body: &[u8]) -> Outcome {
        let cookie = cookie_header(&parts.headers);
        let view = HeaderView {
            map: &parts.headers,
            cookie: &cookie,
        };
        let req = CoreRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &view,
            body,
        };
        // The SDK routes' work is boxed, and the core's client is made for the route's
        // choice only: the future of every other request (the application's path) stays small.
        let route = self.core().route(&req);
        match route {
            Some(Route::Callback) => Outcome::Respond(Box::pin(self.callback(&req)).await),
            Some(Route::AccessToken) => {
                Outcome::Respond(Box::pin(self.access_token_route(&req, &parts.headers)).await)
            }
            Some(route) => Outcome::Respond(Box::pin(self.sdk_route(route, &req)).await),
            None => {
                let roll = self.inner.hot.durations.rolling
                    && (self.may_have_session(&cookie)
                        || RequestSession::may_exist(self, &parts.headers))
                    && self.inner.hooks.before_session_rolled(parts).await;
                match RequestSession::read_in(self, &parts.headers, &cookie, roll).await {
                    Err(e) => Outcome::Respond(error_response(&e)),
                    Ok(session) => Outcome::Next(session),
                }
            }
        }
    }

    /// Whether a `Cookie` header has the session cookie's name in it (the session cookie, or
    /// one of its chunks, may be there).
    pub(crate) fn may_have_session(&self, cookie: &str) -> bool {
        self.inner.session_cookie.find(cookie.as_bytes()).is_some()
    }

    /// The SDK routes answered by the core alone (login, logout, profile, back-channel
    /// logout). The profile route of a cookie session gets a work buffer sized to its cookies
    /// (a whole one when they do not fit), the others a whole one.
    async fn sdk_route(&self, route: Route, req: &CoreRequest<'_>) -> http::Response<Full<Bytes>> {
        let core = self.core();
        if route == Route::Profile && core.store().is_none() {
            let need = req.cookie().len() * 5 + 4096;
            return match with_buffer!(self.inner.pool, need, |buf| {
                core.profile(req, buf).await.map(|r| to_http(&r))
            }) {
                Ok(r) => r,
                Err(e) => {
                    crate::flow::log_error(&e);
                    error_response(&e)
                }
            };
        }
        let mut pooled = self.inner.pool.get();
        match core.handle(req, &mut rng(), pooled.buf()).await {
            Ok(Handled::Response(r)) => to_http(&r),
            Ok(_) => http::Response::new(Full::new(Bytes::new())),
            Err(e) => error_response(&e),
        }
    }

    /// The callback route with the async hooks: the core checks and exchanges, the hooks
    /// decide, the core writes.
    async fn callback(&self, req: &CoreRequest<'_>) -> http::Response<Full<Bytes>> {
        let core = self.core();
        let hooks = &*self.inner.hooks;
        let mut pooled = self.inner.pool.get();
        let ex = match core.callback_exchange(req, &mut rng(), pooled.buf()).await {
            Ok(ex) => ex,
            Err(e) => return error_response(&e),
        };
        let ctx = ex.ctx;
        let outcome = match ex.outcome {
            Ok(cs) => match SessionData::doc_of(&cs.session)
                .and_then(|doc| Ok(SessionData::from_json(&doc)?))
            {
                Ok(mut data) => session_saved(hooks, &mut data, cs.id_token)
                    .await
                    .map(|()| data),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let custom = hooks.on_callback(outcome.as_ref(), &ctx).await;
        let mut out = self.inner.pool.get();
        let mut res = match custom {
            Some(r) => r,
            None => match default_callback_response(&outcome, &ctx, out.buf()) {
                Ok(r) => r,
                Err(e) => return error_response(&e),
            },
        };
        if let Ok(data) = &outcome {
            let json = data.to_json();
            let written = match crate::session::Session::parse(&json) {
                Ok(o) => {
                    core.write_session(
                        &o.session,
                        ex.request_cookie,
                        None,
                        true,
                        &mut rng(),
                        out.buf(),
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            };
            match written {
                Ok(w) => append_headers(res.headers_mut(), &w),
                Err(e) => {
                    crate::flow::log_error(&e);
                    return error_response(&e);
                }
            }
        }
        if let Some(name) = ex.transaction_cookie
            && let Ok(d) = core.delete_transaction_cookie(name, out.buf())
        {
            append_headers(res.headers_mut(), &d);
        }
        res
    }

    /// The access-token route, through the request's session (single-flight refresh).
    async fn access_token_route(
        &self,
        req: &CoreRequest<'_>,
        headers: &HeaderMap,
    ) -> http::Response<Full<Bytes>> {
        let core = self.core();
        let mut qbuf = vec![0u8; req.query.len() * 2 + 64];
        let opts = match CoreClient::access_token_options(req.query, &mut qbuf) {
            Ok(o) => o,
            Err(e) => return error_response(&e),
        };
        let session = match RequestSession::read(self, headers).await {
            Ok(s) => s,
            Err(e) => return error_response(&e),
        };
        let token = session.get_access_token(&opts).await;
        let mfa = session.mfa_challenge().await;
        let headers = match session.finish().await {
            Ok(h) => h,
            Err(e) => return error_response(&e),
        };
        let view = token.as_ref().map(|t| AccessToken {
            token: &t.token,
            scope: t.scope.as_deref(),
            expires_at: t.expires_at,
            token_type: t.token_type.as_deref(),
            headers: crate::http::Response::EMPTY,
        });
        let mut pooled = self.inner.pool.get();
        let challenge = mfa.as_ref().map(|m| crate::flow::MfaChallenge {
            mfa_token: &m.mfa_token,
            mfa_requirements: m.mfa_requirements.as_deref(),
        });
        match core.access_token_response(
            view.as_ref().map_err(|e| *e),
            challenge,
            req.cookie(),
            pooled.buf(),
        ) {
            Ok(r) => {
                let mut res = to_http(&r);
                for (k, v) in &headers {
                    res.headers_mut().append(k, v.clone());
                }
                res
            }
            Err(e) => error_response(&e),
        }
    }

    /// The request's session: the layer's, or one read from its headers.
    async fn session_of(
        &self,
        req: &(impl RequestHead + ?Sized),
    ) -> Result<(RequestSession, bool), AuthError> {
        match req.request_session() {
            Some(s) => Ok((s.clone(), false)),
            None => Ok((RequestSession::read(self, req.headers()).await?, true)),
        }
    }

    /// The session of a request (`getSession`); `None` without a (valid) session.
    pub async fn get_session(
        &self,
        req: &(impl RequestHead + ?Sized),
    ) -> Result<Option<SessionData>, AuthError> {
        Ok(self.session_of(req).await?.0.get().await)
    }

    /// Replaces the session (`updateSession`). Behind [`super::Auth0Layer`] the layer saves it
    /// with the response and the headers returned are empty; without the layer, add the
    /// headers returned to the response.
    #[must_use = "without the layer, the headers returned carry the update"]
    pub async fn update_session(
        &self,
        req: &(impl RequestHead + ?Sized),
        session: &SessionData,
    ) -> Result<HeaderMap, AuthError> {
        let (s, own) = self.session_of(req).await?;
        s.update(session).await?;
        if own {
            s.finish().await
        } else {
            Ok(HeaderMap::new())
        }
    }

    /// An access token (`getAccessToken`), refreshed when needed (once for every concurrent
    /// request that needs the same refresh). Behind [`super::Auth0Layer`] the layer saves a
    /// refresh with the response and the headers returned are empty; without the layer, add
    /// the headers returned to the response.
    #[must_use = "without the layer, the headers returned carry a refresh"]
    pub async fn get_access_token(
        &self,
        req: &(impl RequestHead + ?Sized),
        options: &AccessTokenOptions<'_>,
    ) -> Result<(AccessTokenData, HeaderMap), AuthError> {
        let (s, own) = self.session_of(req).await?;
        let token = s.get_access_token(options).await?;
        let headers = if own {
            s.finish().await?
        } else {
            HeaderMap::new()
        };
        Ok((token, headers))
    }

    /// A connection access token (`getAccessTokenForConnection`; see
    /// [`RequestSession::get_access_token_for_connection`]). Behind [`super::Auth0Layer`] the
    /// layer saves a new token with the response and the headers returned are empty; without
    /// the layer, add the headers returned to the response.
    #[must_use = "without the layer, the headers returned carry a new connection token"]
    pub async fn get_access_token_for_connection(
        &self,
        req: &(impl RequestHead + ?Sized),
        options: &crate::flow::ConnectionTokenOptions<'_>,
    ) -> Result<(super::ConnectionTokenData, HeaderMap), AuthError> {
        let (s, own) = self.session_of(req).await?;
        let token = s.get_access_token_for_connection(options).await?;
        let headers = if own {
            s.finish().await?
        } else {
            HeaderMap::new()
        };
        Ok((token, headers))
    }

    /// Starts a login from application code (`startInteractiveLogin`): the 307 to the
    /// provider, with the transaction cookie.
    pub async fn start_interactive_login(
        &self,
        headers: &HeaderMap,
        options: &LoginOptions<'_>,
    ) -> Result<http::Response<Full<Bytes>>, AuthError> {
        let cookie = cookie_header(headers);
        let mut pooled = self.inner.pool.get();
        let r = self
            .core()
            .start_interactive_login(options, &cookie, &mut rng(), pooled.buf())
            .await?;
        Ok(to_http(&r))
    }

    /// Guards a page: the session, or a redirect to the login route with `returnTo` set to
    /// `path_and_query` (the SDK's `withPageAuthRequired`).
    pub async fn require_page_session(
        &self,
        path_and_query: &str,
        req: &(impl RequestHead + ?Sized),
    ) -> Result<SessionData, http::Response<Full<Bytes>>> {
        match self.get_session(req).await {
            Ok(Some(s)) => Ok(s),
            _ => Err(self.login_redirect(path_and_query)),
        }
    }

    /// A 307 to the login route (under the base path) with `returnTo`.
    pub fn login_redirect(&self, return_to: &str) -> http::Response<Full<Bytes>> {
        let mut buf = vec![0u8; return_to.len() * 3 + 512];
        match self.core().page_login_redirect(return_to, &mut buf) {
            Ok(r) => to_http(&r),
            Err(e) => error_response(&AuthError::Core(e)),
        }
    }

    /// Guards an API: the session, or 401 with the SDK's JSON (`withApiAuthRequired`).
    pub async fn require_api_session(
        &self,
        req: &(impl RequestHead + ?Sized),
    ) -> Result<SessionData, http::Response<Full<Bytes>>> {
        match self.get_session(req).await {
            Ok(Some(s)) => Ok(s),
            _ => Err(unauthorized()),
        }
    }

    /// Whether `uri` is one of the SDK routes.
    pub fn is_auth_route(&self, method: &str, uri: &http::Uri) -> bool {
        let empty = HeaderMap::new();
        let view = HeaderView {
            map: &empty,
            cookie: "",
        };
        let req = CoreRequest {
            method,
            path: uri.path(),
            query: "",
            headers: &view,
            body: &[],
        };
        self.core().route(&req).is_some()
    }
}

/// The core's default `on_callback` answer: a 307 to `returnTo`, or 500 with the message.
fn default_callback_response(
    outcome: &Result<SessionData, AuthError>,
    ctx: &crate::flow::CallbackContext<'_>,
    buf: &mut [u8],
) -> Result<http::Response<Full<Bytes>>, AuthError> {
    let (head, body_buf) = buf.split_at_mut(buf.len() / 2);
    let mut res = ResponseBuilder::new(head, 200);
    let mut body = crate::codec::buf::Writer::new(body_buf, "callback body");
    let empty = crate::session::Session::new(
        crate::codec::json::Object::EMPTY,
        crate::session::TokenSet::default(),
        None,
        0,
    );
    crate::flow::Hooks::on_callback(
        &DefaultHooks,
        outcome.as_ref().map(|_| &empty),
        ctx,
        &mut res,
        &mut body,
    )?;
    let body: &str = body.into_str();
    Ok(to_http(&res.body(None, body.as_bytes())?))
}
