//! Owned values for application code: [`SessionData`] (editable, its maps [`Members`]) and
//! [`AccessTokenData`].

use std::prelude::rust_2024::*;

use crate::codec::json::Object;
use crate::oauth::id_token::DEFAULT_ID_TOKEN_CLAIMS;
use crate::session::{KNOWN_MEMBERS, Session};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

/// A session, owned and editable: the user's claims and the document's extra top-level members
/// as `serde_json` values; the token set and `internal` are kept as they were read (they change
/// through the flows: a refresh, a login). Change it and give it to
/// [`super::RequestSession::update`] (or [`super::Auth0Client::update_session`]) to save it.
///
/// ```
/// use auth0_edge::tokio::SessionData;
/// let mut s = SessionData::from_json(r#"{"user":{"sub":"auth0|1"},"tokenSet":{"accessToken":"at"},"internal":{"sid":"s","createdAt":1}}"#)?;
/// s.user.insert("nickname".into(), "z".into());
/// s.extra.insert("preferences".into(), serde_json::json!({"theme": "dark"}));
/// assert_eq!(s.claim("nickname"), Some("z"));
/// assert!(s.to_json().contains(r#""preferences":{"theme":"dark"}"#));
/// # Ok::<(), auth0_edge::Error>(())
/// ```
///
/// Copies are cheap: a copy shares the maps and the SDK members' text with the session it was
/// made from until one of them is changed (each request's [`super::axum::User`] is such a copy).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SessionData {
    /// `user`: the claims kept of the ID token (see [`filter_default_id_token_claims`]).
    pub user: Members,
    /// Top-level members beyond the SDK's (`user`, `tokenSet`, `accessTokens`, `internal`,
    /// `connectionTokenSets`), such as what a `before_session_saved` hook adds. Members named
    /// like the SDK's are ignored when the session is written.
    pub extra: Members,
    /// The SDK's other members, as read (JSON text).
    sdk: Arc<Vec<(&'static str, Text)>>,
}

/// A JSON object's members (a `serde_json` map), shared by the copies of a [`SessionData`]
/// until one of them is changed: reading goes through [`Deref`](std::ops::Deref) to the
/// map, changing through [`DerefMut`](std::ops::DerefMut), which first makes this copy's own
/// map when another copy shares it. It serializes as the map does (`Json(session.user)`).
///
/// ```
/// use auth0_edge::tokio::Members;
/// let mut a: Members = serde_json::json!({"sub": "auth0|1"}).as_object().unwrap().clone().into();
/// let b = a.clone();
/// a.insert("nickname".into(), "z".into());
/// assert_eq!(a.len(), 2);
/// assert_eq!(b.len(), 1); // `b` still has the map as it was
/// assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"sub":"auth0|1"}"#);
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Members(Arc<Map<String, Value>>);

impl Members {
    /// The map, without a copy when no other copy shares it.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::try_unwrap(self.0).unwrap_or_else(|shared| (*shared).clone())
    }
}

impl std::ops::Deref for Members {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Map<String, Value> {
        &self.0
    }
}

impl std::ops::DerefMut for Members {
    fn deref_mut(&mut self) -> &mut Map<String, Value> {
        Arc::make_mut(&mut self.0)
    }
}

impl From<Map<String, Value>> for Members {
    fn from(map: Map<String, Value>) -> Members {
        Members(Arc::new(map))
    }
}

impl From<Members> for Map<String, Value> {
    fn from(m: Members) -> Map<String, Value> {
        m.into_map()
    }
}

impl From<Members> for Value {
    fn from(m: Members) -> Value {
        Value::Object(m.into_map())
    }
}

impl FromIterator<(String, Value)> for Members {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Members {
        Members(Arc::new(iter.into_iter().collect()))
    }
}

impl fmt::Debug for Members {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Members {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// A member's JSON text: a part of the document it was read from (shared with the request's
/// session, not copied), or text of its own.
#[derive(Clone)]
enum Text {
    Part(Arc<str>, std::ops::Range<usize>),
    Own(String),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Part(doc, range) => doc.get(range.clone()).unwrap_or_default(),
            Text::Own(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl SessionData {
    /// Reads a session document (as the cookie or the store holds it; an `exp` is dropped).
    pub fn from_json(json: &str) -> Result<Self, crate::Error> {
        // The core's reader checks the document (`user` and `tokenSet` objects, …).
        let opened = Session::parse(json)?;
        Self::from_members(opened.session.raw.unwrap_or(Object::EMPTY), None, None)
    }

    /// A document this crate checked before (a request's session): not checked again, and its
    /// SDK members' text shared with `doc`, not copied. `known` is one of its member values (a
    /// part of `doc`, as the core's view of it hands out), walked over without being scanned.
    pub(crate) fn from_trusted(doc: &Arc<str>, known: Option<&str>) -> Result<Self, crate::Error> {
        Self::from_members(Object::assume_valid(doc), known, Some(doc))
    }

    /// The session of `doc`'s members; `shared` is the text `doc` is part of, when SDK members
    /// may borrow it.
    fn from_members(
        doc: Object<'_>,
        known: Option<&str>,
        shared: Option<&Arc<str>>,
    ) -> Result<Self, crate::Error> {
        let mut user = Map::new();
        let mut extra = Map::new();
        let mut sdk = Vec::new();
        let members = match known {
            Some(k) => doc.members_knowing(k),
            None => doc.members(),
        };
        for (k, v) in members {
            let Some(k) = k.as_str() else { continue };
            if k == "user" {
                if let Value::Object(u) = value(v)? {
                    user = u;
                }
            } else if let Some(known) = KNOWN_MEMBERS.iter().find(|n| **n == k) {
                if *known != "exp" {
                    sdk.push((*known, text(v, shared)));
                }
            } else {
                extra.insert(k.to_string(), value(v)?);
            }
        }
        Ok(SessionData {
            user: user.into(),
            extra: extra.into(),
            sdk: Arc::new(sdk),
        })
    }

    /// The session document, as it is saved (without `exp`).
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(
            256 + self
                .sdk
                .iter()
                .map(|(_, v)| v.as_str().len() + 24)
                .sum::<usize>(),
        );
        out.push_str(r#"{"user":"#);
        out.push_str(&serde_json::to_string(&*self.user).unwrap_or_default());
        for (k, v) in self.sdk.iter() {
            out.push_str(",\"");
            out.push_str(k);
            out.push_str("\":");
            out.push_str(v.as_str());
        }
        for (k, v) in self.extra.iter() {
            if KNOWN_MEMBERS.contains(&k.as_str()) {
                continue;
            }
            out.push(',');
            out.push_str(&Value::String(k.clone()).to_string());
            out.push(':');
            out.push_str(&v.to_string());
        }
        out.push('}');
        out
    }

    /// A string claim of the user.
    pub fn claim(&self, name: &str) -> Option<&str> {
        self.user.get(name).and_then(Value::as_str)
    }

    /// The SDK member `name` (`tokenSet`, `accessTokens`, `internal`, `connectionTokenSets`) as
    /// JSON text, when present.
    pub fn sdk_member(&self, name: &str) -> Option<&str> {
        self.sdk
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The refresh token, when the session has one.
    pub fn refresh_token(&self) -> Option<String> {
        let ts = Object::parse(self.sdk_member("tokenSet")?).ok()?;
        ts.get_str("refreshToken").map(|s| s.to_string())
    }

    /// Keeps `current`'s `internal` (`sid`, `createdAt`): what `updateSession` does.
    pub(crate) fn keep_internal_of(&mut self, current: &SessionData) {
        let sdk = Arc::make_mut(&mut self.sdk);
        sdk.retain(|(k, _)| *k != "internal");
        if let Some(v) = current.sdk_member("internal") {
            sdk.push(("internal", Text::Own(v.to_string())));
        }
    }

    /// This session with `other`'s tokens (`tokenSet`, `accessTokens`, `connectionTokenSets`):
    /// what a refresh made elsewhere replaces.
    pub(crate) fn take_tokens(&mut self, other: &SessionData) {
        let tokens = ["tokenSet", "accessTokens", "connectionTokenSets"];
        let sdk = Arc::make_mut(&mut self.sdk);
        sdk.retain(|(k, _)| !tokens.contains(k));
        for (k, v) in other.sdk.iter() {
            if tokens.contains(k) {
                sdk.push((k, v.clone()));
            }
        }
    }
}

/// A top-level member's value (already checked by the core's reader) as a `serde_json`
/// value: a string with its escapes decoded by the core (a lone surrogate is U+FFFD), anything
/// else as `serde_json` reads it.
fn value(v: crate::codec::json::Value<'_>) -> Result<Value, crate::Error> {
    match v {
        crate::codec::json::Value::String(s) => Ok(Value::String(match s.as_str() {
            Some(plain) => plain.to_string(),
            None => s.chars().collect(),
        })),
        other => nested(other),
    }
}

/// A value (already checked by the core's reader) as `serde_json::from_str` reads its text,
/// built from the core's view of it: objects and arrays member by member, strings without
/// escapes copied; escaped strings and numbers go through `serde_json` (its number types, its
/// refusal of lone surrogates).
fn nested(v: crate::codec::json::Value<'_>) -> Result<Value, crate::Error> {
    use crate::codec::json::Value as Json;
    let refused = |_| crate::Error::Json(crate::JsonError::TooDeep);
    Ok(match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::String(s) => Value::String(string(s)?),
        Json::Number(_) => serde_json::from_str(v.raw()).map_err(refused)?,
        Json::Array(a) => Value::Array(a.iter().map(nested).collect::<Result<_, _>>()?),
        Json::Object(o) => {
            let mut map = Map::new();
            for (k, v) in o.members() {
                // With duplicate keys the last value wins, in the first one's place, as
                // `serde_json` reads it.
                map.insert(string(k)?, nested(v)?);
            }
            Value::Object(map)
        }
    })
}

/// A string's content as `serde_json` reads it.
fn string(s: crate::codec::json::JsonStr<'_>) -> Result<String, crate::Error> {
    match s.as_str() {
        Some(plain) => Ok(plain.to_string()),
        None => {
            let raw = crate::codec::json::Value::String(s).raw();
            let quoted = ["\"", raw, "\""].concat();
            serde_json::from_str(&quoted).map_err(|_| crate::Error::Json(crate::JsonError::TooDeep))
        }
    }
}

/// A member's value as JSON text: a part of `shared` when it is one (objects and arrays as
/// read), else a copy (a string re-escaped as `JSON.stringify` writes it).
fn text(v: crate::codec::json::Value<'_>, shared: Option<&Arc<str>>) -> Text {
    match v {
        crate::codec::json::Value::String(s) => {
            Text::Own(Value::String(s.chars().collect()).to_string())
        }
        other => {
            let raw = other.raw();
            let part = shared.and_then(|doc| {
                let at = (raw.as_ptr() as usize).checked_sub(doc.as_ptr() as usize)?;
                let range = at..at.checked_add(raw.len())?;
                (doc.get(range.clone()) == Some(raw)).then(|| Text::Part(doc.clone(), range))
            });
            part.unwrap_or_else(|| Text::Own(raw.to_string()))
        }
    }
}

/// The claims of `user` the SDK keeps by default
/// ([`DEFAULT_ID_TOKEN_CLAIMS`]: `sub`, `name`, `email`, …), in their order (the SDK's
/// `filterDefaultIdTokenClaims`): `session.user = filter_default_id_token_claims(&session.user)`.
pub fn filter_default_id_token_claims(user: &Map<String, Value>) -> Members {
    user.iter()
        .filter(|(k, _)| DEFAULT_ID_TOKEN_CLAIMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
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
    /// The audience it is for: the one asked for, else the configured one (`None` when neither
    /// was given).
    pub audience: Option<String>,
}

/// A connection access token, owned ([`super::RequestSession::get_access_token_for_connection`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionTokenData {
    /// The token for the connection's API.
    pub token: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// The scope granted, when known.
    pub scope: Option<String>,
    /// The connection.
    pub connection: String,
}

impl ConnectionTokenData {
    pub(crate) fn new(t: &crate::flow::ConnectionToken<'_>) -> Self {
        ConnectionTokenData {
            token: t.token.to_string(),
            expires_at: t.expires_at,
            scope: t.scope.map(String::from),
            connection: t.connection.to_string(),
        }
    }
}

impl AccessTokenData {
    pub(crate) fn new(t: &crate::flow::AccessToken<'_>, audience: Option<&str>) -> Self {
        AccessTokenData {
            token: t.token.to_string(),
            scope: t.scope.map(String::from),
            expires_at: t.expires_at,
            token_type: t.token_type.map(String::from),
            audience: audience.map(String::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"user":{"sub":"u","z":1,"a":2},"tokenSet":{"accessToken":"at","refreshToken":"rt"},"internal":{"sid":"s","createdAt":5},"pref":"x","exp":99}"#;

    #[test]
    fn round_trips_keep_order_and_drop_exp() {
        let s = SessionData::from_json(DOC).unwrap();
        assert_eq!(s.refresh_token().as_deref(), Some("rt"));
        let json = s.to_json();
        assert_eq!(
            json,
            r#"{"user":{"sub":"u","z":1,"a":2},"tokenSet":{"accessToken":"at","refreshToken":"rt"},"internal":{"sid":"s","createdAt":5},"pref":"x"}"#
        );
        assert_eq!(SessionData::from_json(&json).unwrap(), s);
    }

    #[test]
    fn extra_members_cannot_replace_the_sdks() {
        let mut s = SessionData::from_json(DOC).unwrap();
        s.extra.insert("tokenSet".into(), Value::Null);
        s.extra.insert("exp".into(), 1.into());
        let back = SessionData::from_json(&s.to_json()).unwrap();
        assert_eq!(back.refresh_token().as_deref(), Some("rt"));
        assert!(!back.to_json().contains("exp"));
    }

    #[test]
    fn invalid_documents_are_refused() {
        assert!(SessionData::from_json(r#"{"tokenSet":{}}"#).is_err());
        assert!(SessionData::from_json("{").is_err());
    }

    #[test]
    fn default_claims_filter() {
        let s =
            SessionData::from_json(r#"{"user":{"sub":"u","email":"e","custom":1},"tokenSet":{}}"#)
                .unwrap();
        let f = filter_default_id_token_claims(&s.user);
        assert_eq!(Value::from(f).to_string(), r#"{"sub":"u","email":"e"}"#);
    }
}
