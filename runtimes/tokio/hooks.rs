//! [`SharedHooks`]: the hooks of a client behind an `Arc`.

use std::prelude::rust_2024::*;

use crate::flow::{self, AuthError, Hooks};
use crate::http::Request as CoreRequest;
use crate::session::Session;
use std::sync::Arc;

/// Hooks behind an `Arc`, so a client stays cheap to clone.
#[derive(Clone)]
pub struct SharedHooks(pub(crate) Arc<dyn Hooks + Send + Sync>);

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
        body: &mut crate::codec::buf::Writer<'_>,
    ) -> Result<(), crate::Error> {
        self.0.on_callback(outcome, ctx, res, body)
    }
    fn before_session_rolled(&self, req: &CoreRequest<'_>) -> bool {
        self.0.before_session_rolled(req)
    }
}
