//! Hooks: the SDK's `beforeSessionSaved`, `onCallback` and `beforeSessionRolled`, as a trait
//! with the SDK's default behaviour.

use super::AuthError;
use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::json::Object;
use crate::http::{Request, ResponseBuilder};
use crate::session::Session;

/// What `before_session_saved` gets and writes.
#[non_exhaustive]
pub struct SessionToSave<'s, 'a, 'w> {
    /// Every claim of the ID token.
    pub claims: &'s Object<'a>,
    /// The ID token.
    pub id_token: &'s str,
    /// Write the `user` object to store here (a JSON object).
    pub user: &'s mut Writer<'w>,
    /// Optionally write a JSON object here whose members are added to the session's top level
    /// (leave it empty for none).
    pub extra: &'s mut Writer<'w>,
}

/// The transaction a callback completes (the SDK's `ctx`).
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct CallbackContext<'a> {
    /// `responseType` (`code`); empty when the transaction could not be read.
    pub response_type: &'a str,
    /// `returnTo`: the relative path to land on; empty when unknown.
    pub return_to: &'a str,
    /// `challengeMode`, if the login was a popup.
    pub challenge_mode: Option<&'a str>,
    /// The application base URL.
    pub app_base_url: &'a str,
}

/// Custom logic at the session's lifecycle events. Every method has the SDK's default.
pub trait Hooks {
    /// Decides what of the ID token goes into the session (`beforeSessionSaved`). The default
    /// keeps the claims of [`crate::oauth::id_token::DEFAULT_ID_TOKEN_CLAIMS`]. `internal` is always
    /// kept, whatever this writes.
    fn before_session_saved(&self, s: &mut SessionToSave<'_, '_, '_>) -> Result<(), Error> {
        crate::oauth::id_token::write_default_claims(s.claims, s.user)
    }

    /// Builds the callback's response (`onCallback`): status and headers into `res`, a body
    /// into `body`. The session cookie and cache headers are added after it. The session
    /// given has every ID token claim (it has not been through `before_session_saved`).
    ///
    /// The default redirects (307) to the app base URL plus `returnTo` (or `/`), and answers
    /// an error with 500 and its message as text.
    fn on_callback(
        &self,
        outcome: Result<&Session<'_>, &AuthError>,
        ctx: &CallbackContext<'_>,
        res: &mut ResponseBuilder<'_>,
        body: &mut Writer<'_>,
    ) -> Result<(), Error> {
        match outcome {
            Ok(_) => {
                res.set_status(307);
                let return_to = if ctx.return_to.is_empty() {
                    "/"
                } else {
                    ctx.return_to
                };
                let w = res.begin_header("Location")?;
                w.push_str(ctx.app_base_url.trim_end_matches('/'))?;
                w.push_str(return_to)?;
                res.end_header()
            }
            Err(e) => {
                res.set_status(500);
                res.header("Content-Type", "text/plain; charset=utf-8")?;
                body.push_str(e.message())
            }
        }
    }

    /// Whether to extend (roll) the session on this request (`beforeSessionRolled`). Default
    /// true.
    fn before_session_rolled(&self, _req: &Request<'_>) -> bool {
        true
    }
}

/// The SDK's default hooks.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct DefaultHooks;

impl Hooks for DefaultHooks {}
