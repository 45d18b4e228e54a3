//! The tower layer: the SDK's middleware for any tower service (axum routers included).
//!
//! It answers the SDK routes (login, callback, logout, profile, access token). Every other
//! request gets its [`RequestSession`] (which knows its client) in its extensions (the axum extractors
//! and the client's helpers read and write through them); after the inner service answers,
//! the layer writes the session once (when it changed or rolls) and adds its `Set-Cookie` and
//! cache headers to the response.

use std::prelude::rust_2024::*;

use super::client::{Auth0Client, Outcome};
use bytes::Bytes;
use http_body_util::{Either, Full};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The layer; see the module documentation.
#[derive(Clone, Debug)]
pub struct Auth0Layer {
    client: Auth0Client,
}

impl Auth0Layer {
    /// A layer for `client`.
    pub fn new(client: Auth0Client) -> Self {
        Auth0Layer { client }
    }
}

impl<S> tower_layer::Layer<S> for Auth0Layer {
    type Service = Auth0Service<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth0Service {
            inner,
            client: self.client.clone(),
        }
    }
}

/// The service made by [`Auth0Layer`].
#[derive(Clone, Debug)]
pub struct Auth0Service<S> {
    inner: S,
    client: Auth0Client,
}

/// A plain-text answer.
fn text(status: http::StatusCode, body: &'static str) -> http::Response<Full<Bytes>> {
    let mut r = http::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl<S, B, ResBody> tower_service::Service<http::Request<B>> for Auth0Service<S>
where
    S: tower_service::Service<http::Request<B>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResBody: Send,
{
    type Response = http::Response<Either<Full<Bytes>, ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        // The clone that was made ready is the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let client = self.client.clone();
        Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            if client.wants_body(&parts) {
                // Back-channel logout: the form body, at most MAX_BACKCHANNEL_BODY bytes.
                let limited = http_body_util::Limited::new(body, crate::flow::MAX_BACKCHANNEL_BODY);
                let res = match http_body_util::BodyExt::collect(limited).await {
                    Ok(b) => match client.handle(&parts, &b.to_bytes()).await {
                        Outcome::Respond(r) => r,
                        Outcome::Next(_) => http::Response::new(Full::new(Bytes::new())),
                    },
                    Err(_) => text(
                        http::StatusCode::PAYLOAD_TOO_LARGE,
                        "the back-channel logout request body is too large or could not be read",
                    ),
                };
                return Ok(res.map(Either::Left));
            }
            match client.handle(&parts, &[]).await {
                Outcome::Respond(r) => Ok(r.map(Either::Left)),
                Outcome::Next(session) => {
                    parts.extensions.insert(session.clone());
                    let mut res = inner.call(http::Request::from_parts(parts, body)).await?;
                    // The policy of the middleware path: a session that cannot be written is
                    // not written (logged); the application's response goes out.
                    if let Err(e) = session.finish_into(res.headers_mut()).await {
                        crate::flow::log_error(&e);
                    }
                    Ok(res.map(Either::Right))
                }
            }
        })
    }
}
