//! The SDK's testing helper, `generateSessionCookie`, with owned inputs and outputs.

use std::prelude::rust_2024::*;

use super::clock::SystemClock;
use crate::runtime::Clock;

/// Makes a session cookie value for tests (the SDK's `generateSessionCookie`): the session
/// (with `internal` added when missing: `sid` `auth0-sid`, `createdAt` now) sealed with
/// `secret`, `exp` an hour from now. Use it as `__session=<value>` in test requests.
pub fn generate_session_cookie(session_json: &str, secret: &str) -> Result<String, crate::Error> {
    let key = crate::jose::jwe::Key::from_secret(secret)?;
    let mut buf = vec![0u8; session_json.len() * 3 + 1024];
    Ok(crate::session::generate_session_cookie(
        session_json,
        &key,
        SystemClock.now(),
        &mut rand_core::OsRng,
        &mut buf,
    )?
    .to_string())
}
