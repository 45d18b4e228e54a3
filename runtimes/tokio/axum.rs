//! axum extractors (feature `axum`), reading the session the [`super::Auth0Layer`] put in the
//! request: [`RequestSession`] itself (to update the session or get an access token),
//! [`Session`] (optional) and [`User`] (required: 401 JSON without a session), and a page
//! guard, [`PageUser`] (a redirect to the login route without a session). All need the layer,
//! and nothing else.

use std::prelude::rust_2024::*;

use super::convert::unauthorized;
use super::owned::SessionData;
use super::session::RequestSession;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

/// The rejection of an extractor used behind no [`super::Auth0Layer`]: 500, saying so.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct MissingLayer;

impl IntoResponse for MissingLayer {
    fn into_response(self) -> Response {
        (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            "auth0-edge: this route is not behind Auth0Layer; add `.layer(Auth0Layer::new(client))` to the router",
        )
            .into_response()
    }
}

fn request_session(parts: &Parts) -> Result<&RequestSession, MissingLayer> {
    parts.extensions.get::<RequestSession>().ok_or(MissingLayer)
}

impl<S: Send + Sync> FromRequestParts<S> for RequestSession {
    type Rejection = MissingLayer;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        request_session(parts).cloned()
    }
}

/// The request's session, if any.
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `Session(s)` in handlers
pub struct Session(pub Option<SessionData>);

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingLayer;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Session(request_session(parts)?.get().await))
    }
}

/// The signed-in user's session; without one the request is rejected with 401 and
/// `{"error":"not_authenticated",…}` (the SDK's `withApiAuthRequired`).
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `User(s)` in handlers
pub struct User(pub SessionData);

/// The rejection of [`User`]: 401 JSON (or [`MissingLayer`]).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum NotAuthenticated {
    /// No session.
    NoSession,
    /// No layer.
    MissingLayer,
}

impl IntoResponse for NotAuthenticated {
    fn into_response(self) -> Response {
        match self {
            NotAuthenticated::NoSession => unauthorized().map(axum::body::Body::new),
            NotAuthenticated::MissingLayer => MissingLayer.into_response(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = NotAuthenticated;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let session = request_session(parts).map_err(|_| NotAuthenticated::MissingLayer)?;
        session
            .get()
            .await
            .map(User)
            .ok_or(NotAuthenticated::NoSession)
    }
}

/// The signed-in user's session for a page; without one, a 307 to the login route (with the
/// configured routes and base path) with `returnTo` set to this page (the SDK's
/// `withPageAuthRequired`).
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // destructured as `PageUser(s)` in handlers
pub struct PageUser(pub SessionData);

/// The rejection of [`PageUser`]: the redirect to log in (or [`MissingLayer`]).
#[derive(Debug)]
pub struct LoginRedirect(Response);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = LoginRedirect;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let missing = || LoginRedirect(MissingLayer.into_response());
        let session = request_session(parts).map_err(|_| missing())?;
        if let Some(s) = session.get().await {
            return Ok(PageUser(s));
        }
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        Err(LoginRedirect(
            session
                .client()
                .login_redirect(path)
                .map(axum::body::Body::new),
        ))
    }
}
