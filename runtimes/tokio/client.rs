//! [`Auth0Client`]: the core's flows on tokio, with owned inputs and outputs in `http` types.

use std::prelude::rust_2024::*;

use super::cache::SharedCache;
use super::store::Store;
use super::transport::{HyperTransport, TransportOptions};
use crate::ConfigError;
use crate::config::Config;
use crate::flow::{
    self, AccessTokenOptions, Auth0, AuthError, DefaultHooks, Handled, Hooks, LoginOptions, Route,
};
use crate::http::{Clock, Headers, Request as CoreRequest, Response as CoreResponse};
use crate::json::Object;
use crate::session::Session;
use crate::time::UnixTime;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;
use std::sync::{Arc, Mutex};

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// Hooks behind an `Arc`, so a client stays cheap to clone.
#[derive(Clone)]
pub struct SharedHooks(Arc<dyn Hooks + Send + Sync>);

impl Hooks for SharedHooks {
    fn before_session_saved(
        &self,
        s: &mut flow::SessionToSave<'_, '_, '_>,
    ) -> Result<(), crate::Error> {
        self.0.before_session_saved(s)
    }
    fn on_callback(
        &self,
        outcome: Result<&Session<'_>, &AuthError>,
        ctx: &flow::CallbackContext<'_>,
        res: &mut crate::http::ResponseBuilder<'_>,
        body: &mut crate::buf::Writer<'_>,
    ) -> Result<(), crate::Error> {
        self.0.on_callback(outcome, ctx, res, body)
    }
    fn before_session_rolled(&self, req: &CoreRequest<'_>) -> bool {
        self.0.before_session_rolled(req)
    }
}

type Core = Auth0<'static, HyperTransport, SystemClock, SharedCache, Store, SharedHooks>;

/// Work buffers reused across requests, so a request does not zero 192 KB.
#[derive(Default)]
struct Pool(Mutex<Vec<Box<[u8]>>>);

struct Pooled<'p> {
    pool: &'p Pool,
    buf: Option<Box<[u8]>>,
}

impl Pool {
    fn get(&self) -> Pooled<'_> {
        let buf = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        Pooled {
            pool: self,
            buf: Some(buf.unwrap_or_else(|| vec![0u8; flow::FLOW_BUFFER_LEN].into_boxed_slice())),
        }
    }
}

impl Pooled<'_> {
    fn buf(&mut self) -> &mut [u8] {
        self.buf.as_deref_mut().unwrap_or(&mut [])
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            let mut pool = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < 64 {
                pool.push(b);
            }
        }
    }
}

struct Inner {
    core: Core,
    pool: Pool,
}

/// The Auth0 client of a tokio application: configuration, HTTP client, discovery/JWKS cache,
/// session store and hooks. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Auth0Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth0Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth0Client")
            .field("domain", &self.config().domain)
            .field("client_id", &self.config().client_id)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Auth0Client`].
pub struct Builder {
    config: Config<'static>,
    transport: TransportOptions,
    store: Store,
    hooks: Option<SharedHooks>,
}

impl Builder {
    /// Transport options (timeouts, extra trusted roots).
    pub fn transport(mut self, options: TransportOptions) -> Self {
        self.transport = options;
        self
    }

    /// A session store (stateful sessions).
    pub fn store(mut self, store: Store) -> Self {
        self.store = store;
        self
    }

    /// Hooks (`before_session_saved`, `on_callback`, `before_session_rolled`).
    pub fn hooks(mut self, hooks: impl Hooks + Send + Sync + 'static) -> Self {
        self.hooks = Some(SharedHooks(Arc::new(hooks)));
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Auth0Client, ConfigError> {
        let transport =
            HyperTransport::with_options(self.transport).map_err(|_| ConfigError::Invalid {
                option: "transport",
                reason: "the TLS configuration could not be built (check extra_roots_pem)",
            })?;
        let core = Auth0::new(self.config, transport, SystemClock, SharedCache::default())?
            .with_optional_store(match self.store {
                Store::None => None,
                store => Some(store),
            })
            .with_hooks(
                self.hooks
                    .unwrap_or_else(|| SharedHooks(Arc::new(DefaultHooks))),
            );
        Ok(Auth0Client {
            inner: Arc::new(Inner {
                core,
                pool: Pool::default(),
            }),
        })
    }
}

/// A session read from a request, owning its JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionData {
    json: String,
}

impl SessionData {
    /// Wraps a session document (as `Session::to_json` writes it).
    pub fn from_json(json: String) -> Result<Self, crate::Error> {
        Session::parse(&json)?;
        Ok(SessionData { json })
    }

    fn from_session(s: &Session<'_>) -> Result<Self, crate::Error> {
        // A session read from a cookie or store keeps its whole document: copy it as is
        // (its `exp`, if any, is ignored when it is read back).
        if let Some(raw) = s.raw
            && raw.get("user").is_some_and(|u| u.raw() == s.user.raw())
        {
            return Ok(SessionData {
                json: raw.raw().to_string(),
            });
        }
        let mut buf = vec![0u8; s.user.raw().len() + 16 * 1024];
        let json = s.to_json(&mut buf, None)?.to_string();
        Ok(SessionData { json })
    }

    /// The session document (a view over this value).
    pub fn session(&self) -> Session<'_> {
        // The JSON was validated when this value was made: read it without validating again.
        Session::from_object(Object::assume_valid(&self.json))
            .map(|o| o.session)
            .unwrap_or_else(|_| {
                Session::new(Object::EMPTY, crate::session::TokenSet::default(), None, 0)
            })
    }

    /// The user claims.
    pub fn user(&self) -> Object<'_> {
        self.session().user
    }

    /// A string claim of the user, escapes decoded.
    pub fn claim(&self, name: &str) -> Option<String> {
        self.user().get_str(name).map(|s| s.to_string())
    }

    /// The JSON of the whole session (without `exp`).
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// An access token, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessTokenData {
    /// The token.
    pub token: String,
    /// The scope granted, when known.
    pub scope: Option<String>,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// `token_type`, lower case, when stored.
    pub token_type: Option<String>,
}

/// A header map seen through the core's [`Headers`], with the `Cookie` headers joined.
pub(crate) struct HeaderView<'a> {
    pub(crate) map: &'a HeaderMap,
    pub(crate) cookie: &'a str,
}

impl Headers for HeaderView<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        if name.eq_ignore_ascii_case("cookie") {
            return Some(self.cookie);
        }
        self.map.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The `Cookie` headers of a request joined with `"; "` (HTTP/2 sends several).
pub fn cookie_header(headers: &HeaderMap) -> String {
    let mut out = String::new();
    for v in headers.get_all(http::header::COOKIE) {
        if let Ok(v) = v.to_str() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(v);
        }
    }
    out
}

/// Converts a core response into an `http` response.
pub fn to_http(r: &CoreResponse<'_>) -> http::Response<Full<Bytes>> {
    let mut res = http::Response::new(Full::new(Bytes::copy_from_slice(r.body)));
    *res.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    append_headers(res.headers_mut(), r);
    res
}

/// Appends a core response's headers to `map`.
pub fn append_headers(map: &mut HeaderMap, r: &CoreResponse<'_>) {
    for (k, v) in r.headers() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(name, value);
        }
    }
}

/// A plain-text error response for an error of a flow.
pub fn error_response(e: &AuthError) -> http::Response<Full<Bytes>> {
    let mut res = http::Response::new(Full::new(Bytes::from(e.message())));
    *res.status_mut() =
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// What the client did with a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// One of the SDK routes: send this response.
    Respond(http::Response<Full<Bytes>>),
    /// Any other path: call the application with this session, then add these headers (the
    /// rolled session cookie and cache headers) to its response.
    Next {
        /// The request's session.
        session: Option<SessionData>,
        /// Headers to add to the application's response.
        headers: HeaderMap,
    },
}

fn rng() -> rand_core::OsRng {
    rand_core::OsRng
}

impl Auth0Client {
    /// A client configured from the environment ([`Config::from_env`]); see [`read_dotenv`]
    /// for `.env` files.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::builder(Config::from_env()?).build()
    }

    /// A builder for `config`.
    pub fn builder(config: Config<'static>) -> Builder {
        Builder {
            config,
            transport: TransportOptions::default(),
            store: Store::None,
            hooks: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config<'static> {
        self.inner.core.config()
    }

    /// The core flows.
    pub fn core(
        &self,
    ) -> &Auth0<'static, HyperTransport, SystemClock, SharedCache, Store, SharedHooks> {
        &self.inner.core
    }

    /// Handles a request: an SDK route gets its response; any other path gets its session and
    /// the rolling headers (the SDK's middleware). Errors of the routes are answered with the
    /// SDK's message; an unavailable store makes other paths go on without a session.
    pub async fn handle(&self, method: &str, uri: &http::Uri, headers: &HeaderMap) -> Outcome {
        let cookie = cookie_header(headers);
        let view = HeaderView {
            map: headers,
            cookie: &cookie,
        };
        let req = CoreRequest {
            method,
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers: &view,
            body: &[],
        };
        let core = &self.inner.core;
        let mut pooled = self.inner.pool.get();
        let buf = pooled.buf();
        match core.route(&req) {
            Some(_) => match core.handle(&req, &mut rng(), buf).await {
                Ok(Handled::Response(r)) => Outcome::Respond(to_http(&r)),
                Ok(_) => Outcome::Respond(http::Response::new(Full::new(Bytes::new()))),
                Err(e) => Outcome::Respond(error_response(&e)),
            },
            None => match core.touch(&req, &mut rng(), buf).await {
                Ok(t) => {
                    let mut map = HeaderMap::new();
                    append_headers(&mut map, &t.headers);
                    let session = t
                        .session
                        .as_ref()
                        .and_then(|s| SessionData::from_session(s).ok());
                    Outcome::Next {
                        session,
                        headers: map,
                    }
                }
                Err(_) => Outcome::Next {
                    session: None,
                    headers: HeaderMap::new(),
                },
            },
        }
    }

    /// The session of a request (`getSession`); `None` without a (valid) session.
    pub async fn get_session(&self, headers: &HeaderMap) -> Result<Option<SessionData>, AuthError> {
        let cookie = cookie_header(headers);
        let mut pooled = self.inner.pool.get();
        let s = self.inner.core.get_session(&cookie, pooled.buf()).await?;
        Ok(match s {
            Some(s) => Some(SessionData::from_session(&s)?),
            None => None,
        })
    }

    /// Replaces the session (`updateSession`); returns the headers to add to the response.
    pub async fn update_session(
        &self,
        headers: &HeaderMap,
        session: &Session<'_>,
    ) -> Result<HeaderMap, AuthError> {
        let cookie = cookie_header(headers);
        let mut pooled = self.inner.pool.get();
        let r = self
            .inner
            .core
            .update_session(&cookie, session, &mut rng(), pooled.buf())
            .await?;
        let mut map = HeaderMap::new();
        append_headers(&mut map, &r);
        Ok(map)
    }

    /// An access token (`getAccessToken`), refreshed when needed; the headers persist the
    /// refresh and must be added to the response.
    pub async fn get_access_token(
        &self,
        headers: &HeaderMap,
        options: &AccessTokenOptions<'_>,
    ) -> Result<(AccessTokenData, HeaderMap), AuthError> {
        let cookie = cookie_header(headers);
        let mut pooled = self.inner.pool.get();
        let t = self
            .inner
            .core
            .get_access_token(&cookie, options, &mut rng(), pooled.buf())
            .await?;
        let mut map = HeaderMap::new();
        append_headers(&mut map, &t.headers);
        Ok((
            AccessTokenData {
                token: t.token.to_string(),
                scope: t.scope.map(String::from),
                expires_at: t.expires_at,
                token_type: t.token_type.map(String::from),
            },
            map,
        ))
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
            .inner
            .core
            .start_interactive_login(options, &cookie, &mut rng(), pooled.buf())
            .await?;
        Ok(to_http(&r))
    }

    /// Guards a page: the session, or a redirect to the login route with `returnTo` set to
    /// `path_and_query` (the SDK's `withPageAuthRequired`).
    pub async fn require_page_session(
        &self,
        path_and_query: &str,
        headers: &HeaderMap,
    ) -> Result<SessionData, http::Response<Full<Bytes>>> {
        match self.get_session(headers).await {
            Ok(Some(s)) => Ok(s),
            _ => Err(self.login_redirect(path_and_query)),
        }
    }

    /// A 307 to the login route with `returnTo`.
    pub fn login_redirect(&self, return_to: &str) -> http::Response<Full<Bytes>> {
        let mut buf = vec![0u8; return_to.len() * 3 + 512];
        match self.inner.core.page_login_redirect(return_to, &mut buf) {
            Ok(r) => to_http(&r),
            Err(e) => error_response(&AuthError::Core(e)),
        }
    }

    /// Guards an API: the session, or 401 with the SDK's JSON (`withApiAuthRequired`).
    pub async fn require_api_session(
        &self,
        headers: &HeaderMap,
    ) -> Result<SessionData, http::Response<Full<Bytes>>> {
        match self.get_session(headers).await {
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
        matches!(
            self.inner.core.route(&req),
            Some(
                Route::Login
                    | Route::Callback
                    | Route::Logout
                    | Route::Profile
                    | Route::AccessToken
            )
        )
    }
}

/// 401 `{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}`.
pub fn unauthorized() -> http::Response<Full<Bytes>> {
    let body = flow::NOT_AUTHENTICATED_JSON;
    let mut res = http::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *res.status_mut() = StatusCode::UNAUTHORIZED;
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Reads `KEY=VALUE` lines from a `.env` file. Blank lines and `#` comments are skipped;
/// values may be quoted; `export ` prefixes are allowed. A missing file gives an empty map.
///
/// Use it with [`Config::from_lookup`], real environment variables first:
/// `Config::from_lookup(|k| std::env::var(k).ok().or_else(|| vars.get(k).cloned()))`.
pub fn read_dotenv(
    path: impl AsRef<std::path::Path>,
) -> std::io::Result<std::collections::HashMap<String, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e),
    };
    let mut vars = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let mut v = v.trim();
        if v.len() >= 2
            && ((v.starts_with('"') && v.ends_with('"'))
                || (v.starts_with('\'') && v.ends_with('\'')))
        {
            v = &v[1..v.len() - 1];
        }
        vars.insert(k.trim().to_string(), v.to_string());
    }
    Ok(vars)
}

/// Makes a session cookie value for tests (the SDK's `generateSessionCookie`): the session
/// (with `internal` added when missing: `sid` `auth0-sid`, `createdAt` now) sealed with
/// `secret`, `exp` an hour from now. Use it as `__session=<value>` in test requests.
pub fn generate_session_cookie(session_json: &str, secret: &str) -> Result<String, crate::Error> {
    let key = crate::jwe::Key::from_secret(secret)?;
    let now = SystemClock.now();
    let mut opened = Session::parse(session_json)?;
    if opened.session.internal.created_at.is_none() && opened.session.internal.sid.is_none() {
        opened.session.internal.sid = Some("auth0-sid".into());
        opened.session.internal.created_at = Some(now);
    }
    let mut buf = vec![0u8; session_json.len() * 3 + 1024];
    Ok(opened
        .session
        .seal(&key, &mut rand_core::OsRng, now + 3600, &mut buf)?
        .to_string())
}
