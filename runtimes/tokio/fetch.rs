//! The fetcher (the SDK's `fetchWithAuth` and `createFetcher`): calls an API with the user's
//! access token, got through the request's [`RequestSession`] (refreshed when needed, once for
//! all the requests that need it, and saved by the layer).
//!
//! The protocol is the core's ([`CoreClient::fetch_with_auth`], [`dpop_resource`]): the
//! `Authorization` scheme (`DPoP` with a proof carrying `ath` for a DPoP-bound token, else
//! `Bearer`), the nonce kept per origin in the client's [`super::SharedCache`], the one retry on
//! `WWW-Authenticate: DPoP error="use_dpop_nonce"` after the configured delay, the URL joining.
//! This file moves bytes: `http` types to the core's view and back, through the application's
//! HTTP function ([`HttpFn`]: a closure or a tower service) or, by default, the client's
//! [`HyperTransport`].

use std::prelude::rust_2024::*;

use super::client::{Auth0Client, CoreClient};
use super::session::RequestSession;
use super::transport::{HyperTransport, MAX_RESPONSE};
use crate::flow::{AccessTokenOptions, AuthError};
use crate::http::{OutgoingRequest, ResponseHead};
use crate::oauth::dpop_resource::{self, ResourceError, ResourceRequest};
use crate::runtime::{Transport, TransportError};
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// An error of the application's HTTP function.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What an [`HttpFn`] returns.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<http::Response<Bytes>, BoxError>> + Send>>;

/// The HTTP function of a fetcher (the SDK's custom `fetch`): a closure or a tower service
/// from a request to a response, both with whole bodies. Cheap to clone.
///
/// ```
/// use auth0_edge::tokio::HttpFn;
/// let http = HttpFn::new(|req: http::Request<bytes::Bytes>| async move {
///     // Send it with your client; here every request is answered at once.
///     let _ = req;
///     Ok::<_, std::io::Error>(http::Response::new(bytes::Bytes::from_static(b"{}")))
/// });
/// # let _ = http;
/// ```
#[derive(Clone)]
pub struct HttpFn(Arc<dyn Fn(http::Request<Bytes>) -> HttpFuture + Send + Sync>);

impl std::fmt::Debug for HttpFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpFn")
    }
}

impl HttpFn {
    /// An HTTP function from a closure returning a future of the response.
    pub fn new<F, Fut, E>(f: F) -> Self
    where
        F: Fn(http::Request<Bytes>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<http::Response<Bytes>, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        HttpFn(Arc::new(move |req| {
            let fut = f(req);
            Box::pin(async move { fut.await.map_err(Into::into) })
        }))
    }

    /// An HTTP function from a tower service (cloned for each request, then made ready).
    pub fn service<S>(service: S) -> Self
    where
        S: tower_service::Service<http::Request<Bytes>, Response = http::Response<Bytes>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
    {
        HttpFn::new(move |req| {
            let mut svc = service.clone();
            async move {
                std::future::poll_fn(|cx| svc.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
                svc.call(req).await.map_err(Into::<BoxError>::into)
            }
        })
    }

    /// Sends `req`.
    pub fn call(&self, req: http::Request<Bytes>) -> HttpFuture {
        (self.0)(req)
    }
}

/// Options of a fetcher (`createFetcher(options)`).
#[derive(Clone, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct FetcherOptions {
    /// The base URL that relative URLs are joined to (`baseUrl`).
    pub base_url: Option<String>,
    /// The API the access token must be for (multi-resource refresh tokens); default the
    /// configured audience.
    pub audience: Option<String>,
    /// The scope the access token needs.
    pub scope: Option<String>,
    /// The HTTP function (`fetch`); default the client's [`HyperTransport`] (its timeout and
    /// trusted roots), reading at most [`MAX_RESPONSE`] bytes.
    pub fetch: Option<HttpFn>,
}

/// Why a fetch failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum FetchError {
    /// No access token: no session, or the refresh failed (`AuthError::code` says which).
    AccessToken(AuthError),
    /// The request could not be made or answered, or the nonce error persisted after the
    /// retry ([`ResourceError::NonceErrorPersisted`]).
    Resource(ResourceError),
    /// The application's HTTP function failed.
    Http(BoxError),
}

impl FetchError {
    /// A short code: the access token's error code (`missing_session`,
    /// `failed_to_refresh_token`, …), [`ResourceError::code`] (`dpop_nonce_retry_failed`, …),
    /// or `request_failed`.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::AccessToken(e) => e.code(),
            FetchError::Resource(e) => e.code(),
            FetchError::Http(_) => "request_failed",
        }
    }

    /// The HTTP status to answer with: the access token error's (401 without a session), 500
    /// for a request the application cannot make (a relative URL without a base URL, a bad
    /// header), 502 when the API failed or kept refusing the nonce.
    pub fn status(&self) -> u16 {
        match self {
            FetchError::AccessToken(e) => e.status(),
            FetchError::Resource(
                ResourceError::RelativeUrl | ResourceError::Url(_) | ResourceError::Header,
            ) => 500,
            FetchError::Resource(_) | FetchError::Http(_) => 502,
        }
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::AccessToken(e) => write!(
                f,
                "the fetcher could not get the user's access token ({}; see the source error)",
                e.code()
            ),
            // The core's message as it is: "DPoP nonce error persisted after retry: …".
            FetchError::Resource(e) => std::fmt::Display::fmt(e, f),
            FetchError::Http(_) => f.write_str(
                "the fetcher's HTTP function failed to send the request or read the answer",
            ),
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FetchError::AccessToken(e) => Some(e),
            FetchError::Resource(e) => std::error::Error::source(e),
            FetchError::Http(e) => Some(&**e),
        }
    }
}

/// A fetcher bound to a request's session (`createFetcher(req, options)`).
#[derive(Clone, Debug)]
pub struct Fetcher {
    session: RequestSession,
    options: FetcherOptions,
}

impl Fetcher {
    /// A fetcher for the request whose session this is.
    pub fn new(session: &RequestSession, options: FetcherOptions) -> Self {
        Fetcher {
            session: session.clone(),
            options,
        }
    }

    /// Sends `request` with the session's access token (`fetchWithAuth(url, init)`): its URI
    /// absolute, or relative to [`FetcherOptions::base_url`]. `Authorization` (and `DPoP`) are
    /// set by the fetcher. The answer is returned whatever its status; the errors are the ones
    /// of [`FetchError`], the SDK's "DPoP nonce error persisted after retry" among them.
    pub async fn fetch_with_auth(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, FetchError> {
        self.fetch_with_auth_using(request, &AccessTokenOptions::default())
            .await
    }

    /// [`Fetcher::fetch_with_auth`] with options for the access token (the SDK's third
    /// argument): `refresh`, and an `audience` or `scope` that replace the fetcher's.
    pub async fn fetch_with_auth_using(
        &self,
        request: http::Request<Bytes>,
        token_options: &AccessTokenOptions<'_>,
    ) -> Result<http::Response<Bytes>, FetchError> {
        let client = self.session.client();
        let (parts, body) = request.into_parts();
        let target = parts.uri.to_string();
        let mut url_buf =
            vec![0u8; target.len() + self.options.base_url.as_ref().map_or(0, String::len) + 2];
        let url = dpop_resource::join_url(self.options.base_url.as_deref(), &target, &mut url_buf)
            .map_err(FetchError::Resource)?;
        let mut headers = Vec::with_capacity(parts.headers.len());
        for (k, v) in &parts.headers {
            let v = v
                .to_str()
                .map_err(|_| FetchError::Resource(ResourceError::Header))?;
            headers.push((k.as_str(), v));
        }
        let options = AccessTokenOptions {
            audience: token_options.audience.or(self.options.audience.as_deref()),
            scope: token_options.scope.or(self.options.scope.as_deref()),
            ..*token_options
        };
        let token = self
            .session
            .get_access_token(&options)
            .await
            .map_err(FetchError::AccessToken)?;
        let http = match &self.options.fetch {
            Some(f) => Http::Custom(f.clone()),
            None => Http::Hyper(&client.inner.transport),
        };
        let adapter = Adapter {
            http,
            answer: Mutex::new(None),
            failure: Mutex::new(None),
        };
        let req = ResourceRequest {
            method: parts.method.as_str(),
            url,
            headers: &headers,
            body: &body,
            access_token: &token.token,
            token_type: token.token_type.as_deref(),
        };
        let core: CoreClient<'_> = client.core();
        let mut pooled = client.inner.pool.get_len(token.token.len() * 2 + 16 * 1024);
        let outcome = core
            .fetch_with_auth(&adapter, &req, &mut super::ThreadRng, pooled.buf())
            .await;
        match outcome {
            Ok(res) => match adapter
                .answer
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take()
            {
                Some(answer) => Ok(answer),
                None => Ok(response_of(res.status, res.headers, res.body)),
            },
            Err(ResourceError::Transport(e)) => {
                match adapter
                    .failure
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                {
                    Some(cause) => Err(FetchError::Http(cause)),
                    None => Err(FetchError::Resource(ResourceError::Transport(e))),
                }
            }
            Err(e) => Err(FetchError::Resource(e)),
        }
    }
}

/// `fetch_with_auth` and `create_fetcher` on a request's session (the SDK's
/// `auth0.fetchWithAuth` and `auth0.createFetcher(req, options)`).
///
/// ```no_run
/// use auth0_edge::tokio::{FetchWithAuth, FetcherOptions, RequestSession};
///
/// async fn orders(session: RequestSession) -> Result<String, Box<dyn std::error::Error>> {
///     let api = session.create_fetcher(FetcherOptions {
///         base_url: Some("https://api.example.com/v1".into()),
///         audience: Some("https://api.example.com".into()),
///         ..Default::default()
///     });
///     // DPoP with a proof (and the nonce retry) for a DPoP-bound token, else Bearer.
///     let res = api.fetch_with_auth(http::Request::get("/orders").body(bytes::Bytes::new())?).await?;
///     Ok(String::from_utf8_lossy(res.body()).into_owned())
/// }
/// ```
pub trait FetchWithAuth {
    /// A fetcher with `options` for this request.
    fn create_fetcher(&self, options: FetcherOptions) -> Fetcher;

    /// Sends `request` (an absolute URI) with the session's access token; see
    /// [`Fetcher::fetch_with_auth`].
    fn fetch_with_auth(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, FetchError>> + Send;
}

impl FetchWithAuth for RequestSession {
    fn create_fetcher(&self, options: FetcherOptions) -> Fetcher {
        Fetcher::new(self, options)
    }

    fn fetch_with_auth(
        &self,
        request: http::Request<Bytes>,
    ) -> impl Future<Output = Result<http::Response<Bytes>, FetchError>> + Send {
        let fetcher = Fetcher::new(self, FetcherOptions::default());
        async move { fetcher.fetch_with_auth(request).await }
    }
}

/// The provider's `userinfo_endpoint` (from its discovery document, cached), to call through a
/// fetcher; `None` when it has none.
pub async fn userinfo_endpoint(client: &Auth0Client) -> Result<Option<String>, AuthError> {
    let mut pooled = client
        .inner
        .pool
        .get_len(crate::flow::PROVIDER_DOCUMENT_MAX * 2);
    let m = client.core().provider_metadata(pooled.buf()).await?;
    Ok(m.userinfo_endpoint.map(String::from))
}

/// The HTTP a fetch goes through.
enum Http<'a> {
    Hyper(&'a HyperTransport),
    Custom(HttpFn),
}

/// The core's [`Transport`] over the fetcher's HTTP: the answer is kept whole (its body never
/// goes through the core's buffer, which gets only the header lines the protocol reads).
struct Adapter<'a> {
    http: Http<'a>,
    answer: Mutex<Option<http::Response<Bytes>>>,
    failure: Mutex<Option<BoxError>>,
}

impl Transport for Adapter<'_> {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        let answer = match &self.http {
            Http::Hyper(t) => {
                // Large enough for the most the transport reads, and the header lines.
                let mut whole = vec![0u8; MAX_RESPONSE + 64 * 1024];
                let head = t.send(req, &mut whole).await?;
                let res = head.view(&whole).ok_or(TransportError::Io)?;
                response_of(res.status, res.headers, res.body)
            }
            Http::Custom(f) => {
                let mut builder = http::Request::builder().method(req.method).uri(req.url);
                for (k, v) in req.headers {
                    builder = builder.header(*k, *v);
                }
                let request = builder
                    .body(Bytes::copy_from_slice(req.body))
                    .map_err(|_| TransportError::Io)?;
                match f.call(request).await {
                    Ok(r) => r,
                    Err(e) => {
                        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        return Err(TransportError::Io);
                    }
                }
            }
        };
        let mut n = 0;
        for (name, value) in answer.headers() {
            let Ok(value) = value.to_str() else { continue };
            for piece in [name.as_str().as_bytes(), b": ", value.as_bytes(), b"\r\n"] {
                let dst = buf
                    .get_mut(n..n + piece.len())
                    .ok_or(TransportError::ResponseTooLarge)?;
                dst.copy_from_slice(piece);
                n += piece.len();
            }
        }
        let status = answer.status().as_u16();
        *self.answer.lock().unwrap_or_else(|p| p.into_inner()) = Some(answer);
        Ok(ResponseHead {
            status,
            headers_len: n,
            body_len: 0,
        })
    }
}

/// An `http` response from a status, `Name: value` header lines and a body.
fn response_of(status: u16, headers: &str, body: &[u8]) -> http::Response<Bytes> {
    let mut res = http::Response::new(Bytes::copy_from_slice(body));
    *res.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    for line in headers.split("\r\n") {
        if let Some((k, v)) = line.split_once(':')
            && let (Ok(k), Ok(v)) = (
                http::HeaderName::from_bytes(k.trim().as_bytes()),
                http::HeaderValue::from_str(v.trim()),
            )
        {
            res.headers_mut().append(k, v);
        }
    }
    res
}
