//! [`Hooks`]: the SDK's `beforeSessionSaved`, `onCallback` and `beforeSessionRolled` as async
//! methods on owned values (the core's [`crate::flow::Hooks`] stay for `no_std`).

use std::prelude::rust_2024::*;

use super::owned::{SessionData, filter_default_id_token_claims};
use crate::flow::{AuthError, CallbackContext, DefaultHooks};
use bytes::Bytes;
use http_body_util::Full;
use std::future::{Future, ready};
use std::pin::Pin;

/// What a hook can fail with: any error (it is logged, and the request answered with the
/// SDK's error for the route).
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// Custom logic at the session's lifecycle events, async (a hook may look up a database).
/// Every method has the SDK's default; [`DefaultHooks`] is the SDK's behaviour.
///
/// ```
/// use auth0_edge::tokio::{HookError, Hooks, SessionData, filter_default_id_token_claims};
///
/// struct Roles;
///
/// impl Hooks for Roles {
///     async fn before_session_saved(&self, session: &mut SessionData, _id_token: &str) -> Result<(), HookError> {
///         let sub = session.claim("sub").unwrap_or_default().to_string();
///         let roles = lookup_roles(&sub).await?; // a database, an API, …
///         session.user = filter_default_id_token_claims(&session.user);
///         session.user.insert("roles".into(), roles.into());
///         Ok(())
///     }
/// }
/// # async fn lookup_roles(_sub: &str) -> Result<Vec<String>, HookError> { Ok(vec!["admin".into()]) }
/// ```
pub trait Hooks: Send + Sync + 'static {
    /// Decides what the session keeps (`beforeSessionSaved`), after a login and after a refresh
    /// that brought a new ID token. `session.user` has every claim of the ID token; the
    /// default keeps [`crate::oauth::id_token::DEFAULT_ID_TOKEN_CLAIMS`]
    /// ([`filter_default_id_token_claims`]). Members added to `session.extra` are saved at the
    /// document's top level.
    fn before_session_saved(
        &self,
        session: &mut SessionData,
        id_token: &str,
    ) -> impl Future<Output = Result<(), HookError>> + Send {
        let _ = id_token;
        session.user = filter_default_id_token_claims(&session.user);
        ready(Ok(()))
    }

    /// Answers the callback (`onCallback`): `Some(response)` is sent instead of the default (a
    /// 307 to the app base URL plus `returnTo`, or a 500 with the error's message). On success
    /// `outcome` is the session that will be saved (after `before_session_saved`); the session
    /// cookie and cache headers are added to the response returned.
    fn on_callback(
        &self,
        outcome: Result<&SessionData, &AuthError>,
        ctx: &CallbackContext<'_>,
    ) -> impl Future<Output = Option<http::Response<Full<Bytes>>>> + Send {
        let _ = (outcome, ctx);
        ready(None)
    }

    /// Whether to extend (roll) the session on this request (`beforeSessionRolled`); default
    /// true.
    fn before_session_rolled(
        &self,
        request: &http::request::Parts,
    ) -> impl Future<Output = bool> + Send {
        let _ = request;
        ready(true)
    }
}

impl Hooks for DefaultHooks {}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`Hooks`] behind a pointer: what a client holds.
pub(crate) trait DynHooks: Send + Sync {
    fn before_session_saved<'a>(
        &'a self,
        session: &'a mut SessionData,
        id_token: &'a str,
    ) -> BoxFuture<'a, Result<(), HookError>>;
    fn on_callback<'a>(
        &'a self,
        outcome: Result<&'a SessionData, &'a AuthError>,
        ctx: &'a CallbackContext<'a>,
    ) -> BoxFuture<'a, Option<http::Response<Full<Bytes>>>>;
    fn before_session_rolled<'a>(
        &'a self,
        request: &'a http::request::Parts,
    ) -> BoxFuture<'a, bool>;
}

impl<H: Hooks> DynHooks for H {
    fn before_session_saved<'a>(
        &'a self,
        session: &'a mut SessionData,
        id_token: &'a str,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(Hooks::before_session_saved(self, session, id_token))
    }
    fn on_callback<'a>(
        &'a self,
        outcome: Result<&'a SessionData, &'a AuthError>,
        ctx: &'a CallbackContext<'a>,
    ) -> BoxFuture<'a, Option<http::Response<Full<Bytes>>>> {
        Box::pin(Hooks::on_callback(self, outcome, ctx))
    }
    fn before_session_rolled<'a>(
        &'a self,
        request: &'a http::request::Parts,
    ) -> BoxFuture<'a, bool> {
        Box::pin(Hooks::before_session_rolled(self, request))
    }
}

/// Runs `before_session_saved`; a failure is logged and becomes [`AuthError::Hook`].
pub(crate) async fn session_saved(
    hooks: &dyn DynHooks,
    session: &mut SessionData,
    id_token: &str,
) -> Result<(), AuthError> {
    hooks
        .before_session_saved(session, id_token)
        .await
        .map_err(|e| {
            event!(warn, error = %e, "auth0-edge: the before_session_saved hook failed");
            AuthError::Hook("before_session_saved")
        })
}
