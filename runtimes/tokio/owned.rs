//! Owned views for application code: [`SessionData`] and [`AccessTokenData`].

use std::prelude::rust_2024::*;

use crate::codec::json::Object;
use crate::session::Session;

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

    pub(crate) fn from_session(s: &Session<'_>) -> Result<Self, crate::Error> {
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
#[non_exhaustive]
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
