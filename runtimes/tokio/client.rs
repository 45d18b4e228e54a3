//! [`Auth0Client`]: the core's flows on tokio, with owned inputs and outputs in `http` types.

use std::prelude::rust_2024::*;

use super::builder::Builder;
use super::cache::SharedCache;
use super::clock::SystemClock;
use super::convert::{
    HeaderView, append_headers, cookie_header, error_response, to_http, unauthorized,
};
use super::hooks::SharedHooks;
use super::owned::{AccessTokenData, SessionData};
use super::pool::Pool;
use super::store::Store;
use super::transport::{HyperTransport, TransportOptions};
use crate::ConfigError;
use crate::config::Config;
use crate::flow::{AccessTokenOptions, Auth0, AuthError, Handled, LoginOptions};
use crate::http::Request as CoreRequest;
use crate::session::Session;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::Full;
use std::sync::Arc;

/// The core flows as the tokio runtime instantiates them: what [`Auth0Client::core`] returns.
pub type CoreClient = Auth0<'static, HyperTransport, SystemClock, SharedCache, Store, SharedHooks>;

pub(crate) struct Inner {
    pub(crate) core: CoreClient,
    pub(crate) pool: Pool,
}

/// The Auth0 client of a tokio application: configuration, HTTP client, discovery/JWKS cache,
/// session store and hooks. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Auth0Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Auth0Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth0Client")
            .field("domain", &self.config().domain)
            .field("client_id", &self.config().client_id)
            .finish_non_exhaustive()
    }
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
    /// A client configured from the environment ([`Config::from_env`]); see [`crate::config::read_dotenv`]
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
    pub fn core(&self) -> &CoreClient {
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
                Err(e) => Outcome::Respond(error_response(&e)),
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
        self.inner.core.route(&req).is_some()
    }
}
