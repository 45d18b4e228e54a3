//! axum extractors (feature `axum`), reading the session the [`super::Auth0Layer`] put in the
//! request: [`Session`] (optional) and [`User`] (required: 401 JSON without a session), and a
//! page guard, [`PageUser`] (a redirect to the login route without a session).

use std::prelude::rust_2024::*;

use super::Auth0Client;
use super::convert::unauthorized;
use super::layer::RequestSession;
use super::owned::SessionData;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

/// The request's session, if any. Needs [`super::Auth0Layer`].
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `Session(s)` in handlers
pub struct Session(pub Option<SessionData>);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Session(
            parts
                .extensions
                .get::<RequestSession>()
                .and_then(|s| s.0.clone()),
        ))
    }
}

/// The signed-in user's session; without one the request is rejected with 401 and
/// `{"error":"not_authenticated",…}` (the SDK's `withApiAuthRequired`). Needs
/// [`super::Auth0Layer`].
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `User(s)` in handlers
pub struct User(pub SessionData);

/// The rejection of [`User`]: 401 JSON.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct NotAuthenticated;

impl IntoResponse for NotAuthenticated {
    fn into_response(self) -> Response {
        unauthorized().map(axum::body::Body::new)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = NotAuthenticated;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts
            .extensions
            .get::<RequestSession>()
            .and_then(|s| s.0.clone())
        {
            Some(s) => Ok(User(s)),
            None => Err(NotAuthenticated),
        }
    }
}

/// The signed-in user's session for a page; without one, a 307 to the login route with
/// `returnTo` set to this page (the SDK's `withPageAuthRequired`). Needs the layer and an
/// [`Auth0Client`] in the router's extensions (`.layer(Extension(client))`).
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `User(s)` in handlers
pub struct PageUser(pub SessionData);

/// The rejection of [`PageUser`]: the redirect to log in.
#[derive(Debug)]
pub struct LoginRedirect(http::Response<http_body_util::Full<bytes::Bytes>>);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        self.0.map(axum::body::Body::new)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(s) = parts
            .extensions
            .get::<RequestSession>()
            .and_then(|s| s.0.clone())
        {
            return Ok(PageUser(s));
        }
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let redirect = match parts.extensions.get::<Auth0Client>() {
            Some(client) => client.login_redirect(&path),
            None => {
                let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::new()));
                *r.status_mut() = http::StatusCode::TEMPORARY_REDIRECT;
                r.headers_mut().insert(
                    http::header::LOCATION,
                    http::HeaderValue::from_static("/auth/login"),
                );
                r
            }
        };
        Err(LoginRedirect(redirect))
    }
}
