//! The Token Vault exchange of `@auth0/nextjs-auth0` v4's `getAccessTokenForConnection`: a
//! refresh token (or access token) traded at the token endpoint for an access token of a
//! federated connection (Auth0's profile of RFC 8693), and the session's
//! `connectionTokenSets` entries that cache the result.
//!
//! A flow calls, in order: [`plan`] with the session's entries (a valid cached token, or an
//! exchange, or `missing_refresh_token`); [`Request::from_token_set`] and [`request`] for the
//! body; [`parse_response`] for the answer; [`ConnectionTokenSet::from_response`] for the entry
//! to store (in place of [`Plan::Exchange::replace`], or appended), sealed as an `__FC_<i>`
//! cookie with [`ConnectionTokenSet::write_json`]; on `failed_to_exchange_refresh_token` it
//! removes the stale entry, as the SDK does.
//!
//! The body has the SDK's order (its parameters, then oauth4webapi's `grant_type`, then client
//! authentication): `connection`, `subject_token_type`, `subject_token`,
//! `requested_token_type`, `login_hint` (when given), `grant_type`, client authentication.

use super::client_auth::{ClientAuth, write_client_auth};
use super::form_body::{finish, push_form_json};
use super::token::{OAuthError, TokenRequest, TokenResponse, TokenResponseError};
use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::codec::json::{JsonStr, Object, ObjectWriter, Value};
use crate::codec::time::UnixTime;
use crate::session::{Document, TokenSet};
use crate::{Error, SessionError};
use core::fmt;
use rand_core::CryptoRngCore;

/// The `grant_type` of the exchange.
pub const GRANT_TYPE: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// The `requested_token_type` of the exchange, and the `issued_token_type` expected back.
pub const REQUESTED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
/// `subject_token_type` for a refresh token (the default).
pub const SUBJECT_TYPE_REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";
/// `subject_token_type` for an access token.
pub const SUBJECT_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The codes of the SDK's `AccessTokenForConnectionError`, with its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessTokenForConnectionErrorCode {
    /// `missing_session`: no session (the flow's check).
    MissingSession,
    /// `missing_refresh_token`: no refresh token, and no valid cached token.
    MissingRefreshToken,
    /// `failed_to_exchange_refresh_token`: the exchange failed; the cause is the provider's
    /// error.
    FailedToExchangeRefreshToken,
}

impl AccessTokenForConnectionErrorCode {
    /// The code, as the SDK spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            AccessTokenForConnectionErrorCode::MissingSession => "missing_session",
            AccessTokenForConnectionErrorCode::MissingRefreshToken => "missing_refresh_token",
            AccessTokenForConnectionErrorCode::FailedToExchangeRefreshToken => {
                "failed_to_exchange_refresh_token"
            }
        }
    }

    /// The SDK's message for the code.
    pub fn message(&self) -> &'static str {
        match self {
            AccessTokenForConnectionErrorCode::MissingSession => {
                "The user does not have an active session."
            }
            AccessTokenForConnectionErrorCode::MissingRefreshToken => {
                "A refresh token was not present, Connection Access Token requires a refresh token. The user needs to re-authenticate."
            }
            AccessTokenForConnectionErrorCode::FailedToExchangeRefreshToken => {
                "There was an error trying to exchange the refresh token for a connection access token."
            }
        }
    }
}

/// Why a connection token could not be had.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ConnectionTokenError<'a> {
    /// The token set has no refresh token (or, with [`SUBJECT_TYPE_ACCESS_TOKEN`], no access
    /// token) and no valid cached token matches.
    MissingRefreshToken,
    /// The token endpoint answered with an OAuth error.
    Provider {
        /// The HTTP status.
        status: u16,
        /// The provider's error.
        error: OAuthError<'a>,
    },
    /// The answer is not a usable token response.
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// `issued_token_type` is present and not [`REQUESTED_TOKEN_TYPE`].
    IssuedTokenType,
}

impl<'a> ConnectionTokenError<'a> {
    /// The SDK's code for this error ([`AccessTokenForConnectionErrorCode::message`] is its
    /// message).
    pub fn code(&self) -> AccessTokenForConnectionErrorCode {
        match self {
            ConnectionTokenError::MissingRefreshToken => {
                AccessTokenForConnectionErrorCode::MissingRefreshToken
            }
            _ => AccessTokenForConnectionErrorCode::FailedToExchangeRefreshToken,
        }
    }

    /// The provider's error, the SDK's `OAuth2Error` cause.
    pub fn oauth_error(&self) -> Option<OAuthError<'a>> {
        match self {
            ConnectionTokenError::Provider { error, .. } => Some(*error),
            _ => None,
        }
    }
}

impl fmt::Display for ConnectionTokenError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectionTokenError::MissingRefreshToken => f.write_str(
                "no refresh token to exchange for a connection access token; the user must sign in again",
            ),
            ConnectionTokenError::Provider { status, error } => {
                write!(
                    f,
                    "the connection token exchange was refused (HTTP {status}): {}",
                    error.error
                )?;
                match error.error_description {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            ConnectionTokenError::Malformed { status, reason } => {
                write!(f, "unusable connection token response (HTTP {status}): {reason}")
            }
            ConnectionTokenError::IssuedTokenType => f.write_str(
                "the provider issued another token type than a federated connection access token",
            ),
        }
    }
}

impl core::error::Error for ConnectionTokenError<'_> {}

impl<'a> From<TokenResponseError<'a>> for ConnectionTokenError<'a> {
    fn from(e: TokenResponseError<'a>) -> Self {
        match e {
            TokenResponseError::OAuth { status, error } => {
                ConnectionTokenError::Provider { status, error }
            }
            TokenResponseError::Malformed { status, reason } => {
                ConnectionTokenError::Malformed { status, reason }
            }
        }
    }
}

/// What to exchange, for which connection.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Request<'a> {
    /// `connection`: the federated connection (`google-oauth2`, …).
    pub connection: &'a str,
    /// `subject_token_type` ([`SUBJECT_TYPE_REFRESH_TOKEN`] or [`SUBJECT_TYPE_ACCESS_TOKEN`]).
    pub subject_token_type: &'a str,
    /// `subject_token`: the refresh token (or access token).
    pub subject_token: JsonStr<'a>,
    /// `login_hint`: which of the user's accounts at the connection (sent when not empty).
    pub login_hint: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// The request for the session's `token_set`: `subject_token_type` defaults to
    /// [`SUBJECT_TYPE_REFRESH_TOKEN`]; the subject token is the access token for
    /// [`SUBJECT_TYPE_ACCESS_TOKEN`], else the refresh token.
    ///
    /// A token set without a refresh token is [`ConnectionTokenError::MissingRefreshToken`]
    /// whatever the subject type, as in the SDK.
    pub fn from_token_set(
        token_set: &TokenSet<'a>,
        connection: &'a str,
        subject_token_type: Option<&'a str>,
        login_hint: Option<&'a str>,
    ) -> Result<Self, ConnectionTokenError<'static>> {
        let refresh_token = token_set
            .refresh_token
            .ok_or(ConnectionTokenError::MissingRefreshToken)?;
        let subject_token_type = subject_token_type.unwrap_or(SUBJECT_TYPE_REFRESH_TOKEN);
        let subject_token = if subject_token_type == SUBJECT_TYPE_ACCESS_TOKEN {
            token_set
                .access_token
                .ok_or(ConnectionTokenError::MissingRefreshToken)?
        } else {
            refresh_token
        };
        Ok(Request {
            connection,
            subject_token_type,
            subject_token,
            login_hint,
        })
    }
}

/// Writes the exchange request into `buf` (see the module documentation for the order).
///
/// ```
/// use auth0_edge::oauth::{ClientAuth, token_exchange::{self, Request}};
/// let r = Request {
///     connection: "google-oauth2",
///     subject_token_type: token_exchange::SUBJECT_TYPE_REFRESH_TOKEN,
///     subject_token: "rt".into(),
///     login_hint: None,
/// };
/// let mut buf = [0u8; 512];
/// let req = token_exchange::request(&r, "cid", &ClientAuth::SecretPost("s"), "https://t/", 0, &mut rand_core::OsRng, &mut buf)?;
/// assert!(req.body.starts_with("connection=google-oauth2&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token&subject_token=rt&"));
/// assert!(req.body.ends_with("&client_id=cid&client_secret=s"));
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn request<'b>(
    r: &Request<'_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let mut w = Writer::new(buf, "connection token request");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        f.pair("connection", r.connection)?;
        f.pair("subject_token_type", r.subject_token_type)?;
        push_form_json(f.pair_with("subject_token")?, r.subject_token)?;
        f.pair("requested_token_type", REQUESTED_TOKEN_TYPE)?;
        if let Some(hint) = r.login_hint.filter(|h| !h.is_empty()) {
            f.pair("login_hint", hint)?;
        }
        f.pair("grant_type", GRANT_TYPE)?;
        write_client_auth(&mut f, client_id, auth, issuer, now, rng)?;
    }
    finish(w, client_id, auth)
}

/// Reads the exchange's answer with the token endpoint's parser, and checks
/// `issued_token_type` when present.
pub fn parse_response(
    status: u16,
    body: &[u8],
) -> Result<TokenResponse<'_>, ConnectionTokenError<'_>> {
    let t = super::token::parse_token_response(status, body)?;
    match t.raw.get("issued_token_type") {
        None | Some(Value::Null) => Ok(t),
        Some(Value::String(s)) if s == REQUESTED_TOKEN_TYPE => Ok(t),
        Some(_) => Err(ConnectionTokenError::IssuedTokenType),
    }
}

/// An entry of the session's `connectionTokenSets`: one `__FC_<i>` cookie, whose JSON has the
/// SDK's members in its order (`accessToken`, `expiresAt`, `scope`, `connection`,
/// `loginHint`), unknown members kept in their place, and `exp` last.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct ConnectionTokenSet<'a> {
    /// `accessToken`.
    pub access_token: Option<JsonStr<'a>>,
    /// `expiresAt`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `scope`: granted.
    pub scope: Option<JsonStr<'a>>,
    /// `connection`.
    pub connection: Option<JsonStr<'a>>,
    /// `loginHint`: the `login_hint` the token was exchanged with.
    pub login_hint: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

fn string<'a>(v: Value<'a>, field: &'static str) -> Result<JsonStr<'a>, SessionError> {
    v.as_json_str().ok_or(SessionError::InvalidField(field))
}

impl<'a> ConnectionTokenSet<'a> {
    /// Reads an entry from its JSON (a decrypted `__FC_<i>` payload). Every member is
    /// optional; the string members must be strings (or `null`, read as absent).
    pub fn parse(json: &'a str) -> Result<ConnectionTokenSet<'a>, Error> {
        Ok(Self::from_object(Object::parse(json)?)?)
    }

    /// [`ConnectionTokenSet::parse`] for a parsed object.
    pub fn from_object(o: Object<'a>) -> Result<ConnectionTokenSet<'a>, SessionError> {
        let mut t = ConnectionTokenSet {
            raw: Some(o),
            ..ConnectionTokenSet::default()
        };
        for (k, v) in o.members() {
            if v == Value::Null {
                continue;
            }
            match k.as_str().unwrap_or("") {
                "accessToken" => {
                    t.access_token = Some(string(v, "connectionTokenSets.accessToken")?)
                }
                // `Math.floor`; a non-number counts as absent (and so as expired).
                "expiresAt" => t.expires_at = v.as_number().and_then(|n| n.floor_i64()),
                "scope" => t.scope = Some(string(v, "connectionTokenSets.scope")?),
                "connection" => t.connection = Some(string(v, "connectionTokenSets.connection")?),
                "loginHint" => t.login_hint = Some(string(v, "connectionTokenSets.loginHint")?),
                _ => {}
            }
        }
        Ok(t)
    }

    /// The entry the SDK stores for an exchange's answer: `expiresAt` = `now` + `expires_in`,
    /// the granted `scope`, the `connection`, and `loginHint` when a hint was sent.
    pub fn from_response(
        t: &TokenResponse<'a>,
        connection: &'a str,
        login_hint: Option<&'a str>,
        now: UnixTime,
    ) -> Self {
        ConnectionTokenSet {
            access_token: Some(t.access_token),
            expires_at: t.expires_in.map(|e| now.saturating_add(e)),
            scope: t.scope,
            connection: Some(JsonStr::new(connection)),
            login_hint: login_hint.filter(|h| !h.is_empty()).map(JsonStr::new),
            raw: None,
        }
    }

    /// Whether this entry is for `connection` and `login_hint`: the same connection, and the
    /// same hint, where no hint matches only entries without one (the SDK's multi-account
    /// rule).
    pub fn matches(&self, connection: &str, login_hint: Option<&str>) -> bool {
        let no_hint = |h: Option<JsonStr<'_>>| h.is_none_or(|h| h.is_empty());
        self.connection.is_some_and(|c| c == connection)
            && match login_hint.filter(|h| !h.is_empty()) {
                Some(hint) => self.login_hint.is_some_and(|h| h == hint),
                None => no_hint(self.login_hint),
            }
    }

    /// Whether the token is expired at `now`: `expiresAt <= now` (no buffer, as in the SDK),
    /// or no `expiresAt` or no `accessToken` at all.
    pub fn is_expired(&self, now: UnixTime) -> bool {
        self.access_token.is_none() || self.expires_at.is_none_or(|e| e <= now)
    }

    /// Whether `other` has another token than this one (`accessToken`, `expiresAt` or
    /// `scope` differ): the SDK writes the session only then.
    pub fn differs_from(&self, other: &ConnectionTokenSet<'_>) -> bool {
        self.access_token != other.access_token
            || self.expires_at != other.expires_at
            || self.scope != other.scope
    }

    /// Writes the entry's JSON with `exp` as the last member (or without `exp`), the plaintext
    /// of its `__FC_<i>` cookie.
    pub fn write_json(&self, w: &mut Writer<'_>, exp: Option<i64>) -> Result<(), Error> {
        self.write(w, |o| match exp {
            Some(exp) => o.i64("exp", exp),
            None => Ok(()),
        })
    }

    /// Writes the entry's JSON into `buf` and returns it.
    pub fn to_json<'b>(&self, buf: &'b mut [u8], exp: Option<i64>) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "connection token set JSON");
        self.write_json(&mut w, exp)?;
        Ok(w.into_str())
    }
}

impl Document for ConnectionTokenSet<'_> {
    const KEYS: &'static [&'static str] = &[
        "accessToken",
        "expiresAt",
        "scope",
        "connection",
        "loginHint",
        "exp",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        let s = |o: &mut ObjectWriter<'_, '_>, k: &str, v: Option<JsonStr<'_>>| match v {
            Some(v) => o.json_str(k, v),
            None => Ok(()),
        };
        match i {
            0 => s(o, "accessToken", self.access_token),
            1 => match self.expires_at {
                Some(e) => o.i64("expiresAt", e),
                None => Ok(()),
            },
            2 => s(o, "scope", self.scope),
            3 => s(o, "connection", self.connection),
            4 => s(o, "loginHint", self.login_hint),
            // `exp`, which `write_json` appends last.
            _ => Ok(()),
        }
    }
}

/// What a flow does for a connection token.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Plan<'a> {
    /// A cached entry matches and is not expired: answer with it.
    Cached {
        /// Its index in `connectionTokenSets`.
        index: usize,
        /// The entry.
        entry: ConnectionTokenSet<'a>,
    },
    /// Exchange the refresh token.
    Exchange {
        /// The index of the expired entry that matched: replace it with the new one (or, when
        /// the exchange fails, remove it); `None`: append the new one.
        replace: Option<usize>,
    },
}

/// Decides between a cached entry and an exchange, as the SDK does: the first entry that
/// [`ConnectionTokenSet::matches`] is used when not expired; otherwise an exchange needs a
/// refresh token ([`ConnectionTokenError::MissingRefreshToken`] without one).
pub fn plan<'a>(
    entries: impl IntoIterator<Item = ConnectionTokenSet<'a>>,
    connection: &str,
    login_hint: Option<&str>,
    has_refresh_token: bool,
    now: UnixTime,
) -> Result<Plan<'a>, ConnectionTokenError<'static>> {
    let found = entries
        .into_iter()
        .enumerate()
        .find(|(_, e)| e.matches(connection, login_hint));
    match found {
        Some((index, entry)) if !entry.is_expired(now) => Ok(Plan::Cached { index, entry }),
        _ if !has_refresh_token => Err(ConnectionTokenError::MissingRefreshToken),
        found => Ok(Plan::Exchange {
            replace: found.map(|(i, _)| i),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::jwk::EcKeyPair;

    fn body(r: &Request<'_>, auth: &ClientAuth<'_>) -> heapless::String<1024> {
        let mut buf = [0u8; 1024];
        let req = request(
            r,
            "cid",
            auth,
            "https://t/",
            0,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        heapless::String::try_from(req.body).unwrap()
    }

    #[test]
    fn request_in_the_sdk_order() {
        let r = Request {
            connection: "google-oauth2",
            subject_token_type: SUBJECT_TYPE_REFRESH_TOKEN,
            subject_token: "r/t".into(),
            login_hint: Some("a@b.c"),
        };
        assert_eq!(
            body(&r, &ClientAuth::SecretPost("s")),
            "connection=google-oauth2\
             &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Arefresh_token\
             &subject_token=r%2Ft\
             &requested_token_type=http%3A%2F%2Fauth0.com%2Foauth%2Ftoken-type%2Ffederated-connection-access-token\
             &login_hint=a%40b.c\
             &grant_type=urn%3Aauth0%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange%3Afederated-connection-access-token\
             &client_id=cid&client_secret=s"
        );
        // No hint (or an empty one) sends none; Basic puts the secret in a header.
        let r = Request {
            login_hint: Some(""),
            ..r
        };
        let mut buf = [0u8; 1024];
        let req = request(
            &r,
            "cid",
            &ClientAuth::SecretBasic("s"),
            "https://t/",
            0,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        assert!(!req.body.contains("login_hint") && !req.body.contains("client_id"));
        assert!(req.body.ends_with("federated-connection-access-token"));
        assert_eq!(req.authorization, Some("Basic Y2lkOnM="));
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        assert!(
            body(&r, &ClientAuth::PrivateKeyJwt(&key))
                .contains("access-token&client_id=cid&client_assertion_type=")
        );
        // An escaped subject token is written decoded, then form-encoded.
        let o = Object::parse(r#"{"t":"a\u0026b"}"#).unwrap();
        let r = Request {
            subject_token: o.get_str("t").unwrap(),
            ..r
        };
        assert!(body(&r, &ClientAuth::None).contains("&subject_token=a%26b&"));
        let mut small = [0u8; 32];
        assert!(matches!(
            request(
                &r,
                "cid",
                &ClientAuth::None,
                "i",
                0,
                &mut rand_core::OsRng,
                &mut small
            ),
            Err(Error::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn subject_token_from_the_session() {
        let ts = TokenSet {
            access_token: Some("at".into()),
            refresh_token: Some("rt".into()),
            ..TokenSet::default()
        };
        let r = Request::from_token_set(&ts, "c", None, None).unwrap();
        assert_eq!(
            (r.subject_token_type, r.subject_token),
            (SUBJECT_TYPE_REFRESH_TOKEN, "rt".into())
        );
        let r = Request::from_token_set(&ts, "c", Some(SUBJECT_TYPE_ACCESS_TOKEN), None).unwrap();
        assert_eq!(r.subject_token, "at");
        let no_rt = TokenSet {
            refresh_token: None,
            ..ts
        };
        for t in [None, Some(SUBJECT_TYPE_ACCESS_TOKEN)] {
            assert_eq!(
                Request::from_token_set(&no_rt, "c", t, None).unwrap_err(),
                ConnectionTokenError::MissingRefreshToken
            );
        }
    }

    #[test]
    fn responses() {
        let ok = br#"{"access_token":"fat","expires_in":3600,"scope":"read","token_type":"Bearer","issued_token_type":"http://auth0.com/oauth/token-type/federated-connection-access-token"}"#;
        let t = parse_response(200, ok).unwrap();
        assert_eq!(t.access_token, "fat");
        assert!(parse_response(200, br#"{"access_token":"fat"}"#).is_ok());
        assert_eq!(
            parse_response(
                200,
                br#"{"access_token":"a","issued_token_type":"urn:ietf:params:oauth:token-type:access_token"}"#
            ),
            Err(ConnectionTokenError::IssuedTokenType)
        );
        let e = parse_response(
            401,
            br#"{"error":"federated_connection_refresh_token_not_found","error_description":"none"}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.code(),
            AccessTokenForConnectionErrorCode::FailedToExchangeRefreshToken
        );
        assert_eq!(
            e.oauth_error().unwrap().error,
            "federated_connection_refresh_token_not_found"
        );
        assert_eq!(
            e.code().message(),
            "There was an error trying to exchange the refresh token for a connection access token."
        );
        assert!(matches!(
            parse_response(200, b"<html>"),
            Err(ConnectionTokenError::Malformed { status: 200, .. })
        ));
        assert_eq!(
            AccessTokenForConnectionErrorCode::MissingSession.message(),
            "The user does not have an active session."
        );
        assert_eq!(
            ConnectionTokenError::MissingRefreshToken.code().as_str(),
            "missing_refresh_token"
        );
    }

    #[test]
    fn entry_json_round_trips_in_the_sdk_order() {
        let t = parse_response(
            200,
            br#"{"access_token":"fat","expires_in":3600,"scope":"read"}"#,
        )
        .unwrap();
        let e = ConnectionTokenSet::from_response(&t, "google-oauth2", Some("me@x"), 1_000);
        let mut buf = [0u8; 256];
        assert_eq!(
            e.to_json(&mut buf, Some(5_000)).unwrap(),
            r#"{"accessToken":"fat","expiresAt":4600,"scope":"read","connection":"google-oauth2","loginHint":"me@x","exp":5000}"#
        );
        let e = ConnectionTokenSet::from_response(&t, "github", None, 1_000);
        assert_eq!(
            e.to_json(&mut buf, None).unwrap(),
            r#"{"accessToken":"fat","expiresAt":4600,"scope":"read","connection":"github"}"#
        );
        // Read back from the SDK's cookie: unknown members stay in place, exp goes last.
        let sdk = r#"{"accessToken":"a\u00e9","expiresAt":1.5e3,"x":[1],"scope":null,"connection":"c","exp":9,"y":true}"#;
        let e = ConnectionTokenSet::parse(sdk).unwrap();
        assert_eq!(e.expires_at, Some(1500));
        assert_eq!(e.scope, None);
        let mut buf = [0u8; 256];
        let json = e.to_json(&mut buf, Some(10)).unwrap();
        assert_eq!(
            json,
            r#"{"accessToken":"aé","expiresAt":1500,"x":[1],"connection":"c","y":true,"exp":10}"#
        );
        let e2 = ConnectionTokenSet::parse(json).unwrap();
        assert!(!e.differs_from(&e2));
        assert!(e.differs_from(&ConnectionTokenSet::default()));
        assert!(ConnectionTokenSet::parse(r#"{"connection":1}"#).is_err());
        assert!(ConnectionTokenSet::parse("[]").is_err());
    }

    #[test]
    fn cache_rule() {
        let entry = |c: &'static str, hint: Option<&'static str>, exp: i64| ConnectionTokenSet {
            access_token: Some("t".into()),
            expires_at: Some(exp),
            connection: Some(c.into()),
            login_hint: hint.map(JsonStr::new),
            ..ConnectionTokenSet::default()
        };
        let a = entry("google", None, 100);
        let b = entry("google", Some("work@x"), 200);
        let empty_hint = entry("github", Some(""), 100);
        assert!(a.matches("google", None) && a.matches("google", Some("")));
        assert!(!a.matches("google", Some("work@x")) && !a.matches("github", None));
        assert!(b.matches("google", Some("work@x")) && !b.matches("google", None));
        assert!(empty_hint.matches("github", None));
        assert!(!ConnectionTokenSet::default().matches("google", None));
        assert!(!a.is_expired(99) && a.is_expired(100));
        assert!(ConnectionTokenSet::default().is_expired(0));
        let all = [a, b];
        assert_eq!(
            plan(all, "google", Some("work@x"), false, 150),
            Ok(Plan::Cached { index: 1, entry: b })
        );
        assert_eq!(
            plan(all, "google", None, true, 150),
            Ok(Plan::Exchange { replace: Some(0) })
        );
        assert_eq!(
            plan(all, "google", None, false, 150),
            Err(ConnectionTokenError::MissingRefreshToken)
        );
        assert_eq!(
            plan(all, "slack", None, true, 0),
            Ok(Plan::Exchange { replace: None })
        );
        assert_eq!(
            plan(all, "google", None, false, 50),
            Ok(Plan::Cached { index: 0, entry: a })
        );
    }
}
