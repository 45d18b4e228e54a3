//! The `mfa_required` step-up answer of the token endpoint, and the encrypted MFA token of
//! `@auth0/nextjs-auth0` v4 (`src/utils/mfa-utils.ts`, `MfaRequiredError`).
//!
//! When a refresh (or another grant) answers `{"error":"mfa_required","mfa_token":…,
//! "mfa_requirements":…}`, the flow: recognises it ([`MfaRequired::parse`]); seals the raw
//! `mfa_token` with its context ([`MfaRequired::context`], [`MfaContext::seal`]: a JWE with the
//! session key whose payload is `{mfaToken, audience, scope, mfaRequirements, createdAt, exp}`),
//! so the raw token never reaches the application; and answers the access-token route with
//! HTTP 403 and [`write_required_body`]. The MFA routes open the token again with
//! [`MfaContext::open`].

use crate::codec::buf::Writer;
use crate::codec::json::{self, JsonStr, Object, ObjectWriter, Value};
use crate::codec::time::UnixTime;
use crate::jose::jwe;
use crate::{Error, JweError};
use core::fmt;
use rand_core::CryptoRngCore;

/// The OAuth error code of the step-up answer (and the SDK's `MfaRequiredError` code).
pub const MFA_REQUIRED: &str = "mfa_required";
/// Seconds an encrypted MFA token stays valid by default (`AUTH0_MFA_TOKEN_TTL`).
pub const DEFAULT_MFA_TOKEN_TTL: i64 = 300;
/// The SDK's `error_description` when the provider sends none.
pub const DEFAULT_DESCRIPTION: &str = "Multi-factor authentication is required.";
/// The SDK's `error_description` when the provider sends no `mfa_token` (the user must sign
/// in again).
pub const REAUTHENTICATE_DESCRIPTION: &str =
    "Multi-factor authentication is required. Please log in again.";
/// The status of the access-token route's answer.
pub const STATUS: u16 = 403;

/// A token endpoint's `mfa_required` answer, viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct MfaRequired<'a> {
    /// `error_description`.
    pub error_description: Option<JsonStr<'a>>,
    /// `mfa_token` (when a non-empty string): the token for Auth0's MFA API.
    pub mfa_token: Option<JsonStr<'a>>,
    /// `mfa_requirements`, kept as raw JSON (`{"challenge":[{"type":"otp"}]}`, …); `null` is
    /// read as absent.
    pub mfa_requirements: Option<Value<'a>>,
    /// The whole answer.
    pub raw: Object<'a>,
}

impl<'a> MfaRequired<'a> {
    /// Recognises a token endpoint error body whose `error` is `mfa_required` (`None` for
    /// anything else).
    pub fn parse(body: &'a [u8]) -> Option<MfaRequired<'a>> {
        let raw = Object::parse_bytes(body).ok()?;
        if !raw.get_str("error").is_some_and(|e| e == MFA_REQUIRED) {
            return None;
        }
        Some(MfaRequired {
            error_description: raw.get_str("error_description"),
            mfa_token: raw.get_str("mfa_token").filter(|t| !t.is_empty()),
            mfa_requirements: raw.get("mfa_requirements").filter(|v| *v != Value::Null),
            raw,
        })
    }

    /// The `error_description` of the answer to give: the provider's, else
    /// [`DEFAULT_DESCRIPTION`] (or [`REAUTHENTICATE_DESCRIPTION`] without an `mfa_token`).
    pub fn description(&self) -> JsonStr<'a> {
        match (self.error_description, self.mfa_token) {
            (Some(d), _) => d,
            (None, Some(_)) => JsonStr::new(DEFAULT_DESCRIPTION),
            (None, None) => JsonStr::new(REAUTHENTICATE_DESCRIPTION),
        }
    }

    /// The context to seal for the request that needed MFA (`audience` and `scope` as the
    /// SDK records them: the request's, or `""`), created at `created_at_ms` (milliseconds
    /// since the Unix epoch). `None` without an `mfa_token`: the answer then carries an empty
    /// `mfa_token` and [`REAUTHENTICATE_DESCRIPTION`].
    pub fn context(
        &self,
        audience: &'a str,
        scope: &'a str,
        created_at_ms: i64,
    ) -> Option<MfaContext<'a>> {
        Some(MfaContext {
            mfa_token: self.mfa_token?,
            audience: JsonStr::new(audience),
            scope: JsonStr::new(scope),
            mfa_requirements: self.mfa_requirements,
            created_at: created_at_ms,
        })
    }
}

/// What an encrypted MFA token holds (the SDK's `MfaContext`).
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct MfaContext<'a> {
    /// `mfaToken`: the raw token from the provider.
    pub mfa_token: JsonStr<'a>,
    /// `audience`: the API that required MFA.
    pub audience: JsonStr<'a>,
    /// `scope`: the scope requested.
    pub scope: JsonStr<'a>,
    /// `mfaRequirements`, raw JSON; left out when `None` (or `null`).
    pub mfa_requirements: Option<Value<'a>>,
    /// `createdAt`: milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Why an encrypted MFA token could not be opened (the SDK's `MfaTokenExpiredError` and
/// `MfaTokenInvalidError`; both are HTTP 401).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MfaTokenError {
    /// The token's `exp` is past (beyond jose's 15 s tolerance).
    Expired,
    /// Tampered with, malformed, sealed with another secret, not an MFA context, or larger
    /// than the buffer.
    Invalid,
}

impl MfaTokenError {
    /// The SDK's code: `mfa_token_expired` or `mfa_token_invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            MfaTokenError::Expired => "mfa_token_expired",
            MfaTokenError::Invalid => "mfa_token_invalid",
        }
    }

    /// The SDK's message.
    pub fn message(&self) -> &'static str {
        match self {
            MfaTokenError::Expired => "MFA token has expired. Please restart the MFA flow.",
            MfaTokenError::Invalid => "MFA token is invalid.",
        }
    }

    /// The HTTP status of the MFA routes' answer: 401.
    pub fn status(&self) -> u16 {
        401
    }
}

impl fmt::Display for MfaTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for MfaTokenError {}

impl<'a> MfaContext<'a> {
    /// Writes the payload as the SDK does (`JSON.stringify` of the context, then jose's
    /// `exp`): `mfaToken`, `audience`, `scope`, `mfaRequirements` (when present), `createdAt`,
    /// `exp`.
    pub fn write_json(&self, w: &mut Writer<'_>, exp: i64) -> Result<(), Error> {
        let mut o = ObjectWriter::begin(w)?;
        o.json_str("mfaToken", self.mfa_token)?;
        o.json_str("audience", self.audience)?;
        o.json_str("scope", self.scope)?;
        if let Some(r) = self.mfa_requirements.filter(|v| *v != Value::Null) {
            json::write_value(o.key("mfaRequirements")?, r)?;
        }
        o.i64("createdAt", self.created_at)?;
        o.i64("exp", exp)?;
        o.end()
    }

    /// Seals the context with the session key: `exp` = `now` + `ttl` (seconds;
    /// [`DEFAULT_MFA_TOKEN_TTL`] by default). Returns the compact JWE, which lives in `buf`
    /// (about 2.4 × the JSON's size is enough).
    pub fn seal<'b>(
        &self,
        key: &jwe::Key,
        rng: &mut impl CryptoRngCore,
        now: UnixTime,
        ttl: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        let capacity = buf.len();
        let mut w = Writer::new(buf, "MFA token");
        self.write_json(&mut w, now.saturating_add(ttl))?;
        // `seal` encrypts the plaintext (the raw MFA token) in place: nothing readable is left.
        let (plaintext, out) = w.into_parts();
        jwe::seal(key, rng, plaintext, out).map_err(|e| match e {
            Error::BufferTooSmall { .. } => Error::BufferTooSmall {
                what: "MFA token",
                capacity,
            },
            e => e,
        })
    }

    /// Opens an encrypted MFA token with the session key at `now`: its context, decoded into
    /// `buf` (as large as the token is enough).
    pub fn open<'b>(
        key: &jwe::Key,
        token: &str,
        now: UnixTime,
        buf: &'b mut [u8],
    ) -> Result<MfaContext<'b>, MfaTokenError> {
        let claims = jwe::open_jwt(key, token, now, buf).map_err(|e| match e {
            Error::Jwe(JweError::Expired) => MfaTokenError::Expired,
            _ => MfaTokenError::Invalid,
        })?;
        let s = |name| claims.get_str(name).ok_or(MfaTokenError::Invalid);
        Ok(MfaContext {
            mfa_token: s("mfaToken")?,
            audience: s("audience")?,
            scope: s("scope")?,
            mfa_requirements: claims.get("mfaRequirements").filter(|v| *v != Value::Null),
            created_at: claims
                .get("createdAt")
                .and_then(|v| v.as_number())
                .and_then(|n| n.floor_i64())
                .ok_or(MfaTokenError::Invalid)?,
        })
    }
}

/// Whether JavaScript reads the value as false (`null`, `false`, `0`, `""`).
fn falsy(v: &Value<'_>) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Number(n) => n.as_f64().is_some_and(|f| f == 0.0 || f.is_nan()),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Writes the access-token route's 403 body, `MfaRequiredError.toJSON()`:
/// `{"error":"mfa_required","error_description":…,"mfa_token":<encrypted>,"mfa_requirements":…}`,
/// `mfa_requirements` left out when absent (or falsy, as the SDK's spread does).
///
/// ```
/// use auth0_edge::codec::buf::Writer;
/// use auth0_edge::oauth::mfa::{self, MfaRequired};
/// let answer = MfaRequired::parse(br#"{"error":"mfa_required","mfa_token":"raw"}"#).unwrap();
/// let mut buf = [0u8; 256];
/// let mut w = Writer::new(&mut buf, "body");
/// mfa::write_required_body(&mut w, answer.description(), "eyJ.sealed", answer.mfa_requirements)?;
/// assert_eq!(w.as_str(), r#"{"error":"mfa_required","error_description":"Multi-factor authentication is required.","mfa_token":"eyJ.sealed"}"#);
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn write_required_body(
    w: &mut Writer<'_>,
    error_description: JsonStr<'_>,
    encrypted_mfa_token: &str,
    mfa_requirements: Option<Value<'_>>,
) -> Result<(), Error> {
    let mut o = ObjectWriter::begin(w)?;
    o.str("error", MFA_REQUIRED)?;
    o.json_str("error_description", error_description)?;
    o.str("mfa_token", encrypted_mfa_token)?;
    if let Some(r) = mfa_requirements.filter(|v| !falsy(v)) {
        json::write_value(o.key("mfa_requirements")?, r)?;
    }
    o.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::String;

    const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
    const ANSWER: &[u8] = br#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"raw-mfa-token-from-auth0","mfa_requirements":{"challenge":[ {"type":"totp"} ],"enroll":[{"type":"otp"},{"type":"push-notification"}]}}"#;

    #[test]
    fn recognises_the_answer() {
        let a = MfaRequired::parse(ANSWER).unwrap();
        assert_eq!(a.mfa_token.unwrap(), "raw-mfa-token-from-auth0");
        assert_eq!(a.description(), "Multifactor authentication required");
        assert!(
            a.mfa_requirements
                .unwrap()
                .raw()
                .starts_with(r#"{"challenge":[ {"#)
        );
        for other in [
            &br#"{"error":"invalid_grant"}"#[..],
            br#"{"access_token":"x"}"#,
            b"mfa_required",
            b"",
        ] {
            assert!(MfaRequired::parse(other).is_none());
        }
        // No token: the SDK's re-authentication text, and nothing to seal.
        let a = MfaRequired::parse(
            br#"{"error":"mfa_required","mfa_token":"","mfa_requirements":null}"#,
        )
        .unwrap();
        assert_eq!(a.mfa_token, None);
        assert_eq!(a.mfa_requirements, None);
        assert_eq!(a.description(), REAUTHENTICATE_DESCRIPTION);
        assert!(a.context("", "openid", 0).is_none());
        let a = MfaRequired::parse(br#"{"error":"mfa_required","mfa_token":"t"}"#).unwrap();
        assert_eq!(a.description(), DEFAULT_DESCRIPTION);
    }

    /// The plaintext `JSON.stringify` gives for the SDK's context (checked with Node.js:
    /// `JSON.stringify({...context, exp})` of the same values).
    const SDK_PLAINTEXT: &str = r#"{"mfaToken":"raw-mfa-token-from-auth0","audience":"https://api.example.com","scope":"openid profile","mfaRequirements":{"challenge":[{"type":"totp"}],"enroll":[{"type":"otp"},{"type":"push-notification"}]},"createdAt":1700000000123,"exp":1700000300}"#;

    #[test]
    fn sealed_token_has_the_sdk_shape_and_opens() {
        let key = jwe::Key::from_secret(SECRET).unwrap();
        let a = MfaRequired::parse(ANSWER).unwrap();
        let ctx = a
            .context(
                "https://api.example.com",
                "openid profile",
                1_700_000_000_123,
            )
            .unwrap();
        let mut buf = [0u8; 2048];
        let sealed = ctx
            .seal(
                &key,
                &mut rand_core::OsRng,
                1_700_000_000,
                DEFAULT_MFA_TOKEN_TTL,
                &mut buf,
            )
            .unwrap();
        let sealed = String::from(sealed);
        assert!(sealed.starts_with(jwe::PROTECTED_HEADER_B64));
        assert!(!sealed.contains("raw-mfa-token"));
        let mut pbuf = [0u8; 2048];
        let plaintext = jwe::open(&key, &sealed, &mut pbuf).unwrap();
        assert_eq!(core::str::from_utf8(plaintext).unwrap(), SDK_PLAINTEXT);
        let mut obuf = [0u8; 2048];
        let opened = MfaContext::open(&key, &sealed, 1_700_000_100, &mut obuf).unwrap();
        assert_eq!(opened.mfa_token, "raw-mfa-token-from-auth0");
        assert_eq!(opened.audience, "https://api.example.com");
        assert_eq!(opened.scope, "openid profile");
        assert_eq!(opened.created_at, 1_700_000_000_123);
        assert_eq!(
            opened.mfa_requirements.unwrap().raw(),
            r#"{"challenge":[{"type":"totp"}],"enroll":[{"type":"otp"},{"type":"push-notification"}]}"#
        );
        // Expired past jose's 15 s tolerance; another secret; garbage; too small a buffer.
        assert_eq!(
            MfaContext::open(&key, &sealed, 1_700_000_315, &mut obuf),
            Err(MfaTokenError::Expired)
        );
        assert!(MfaContext::open(&key, &sealed, 1_700_000_314, &mut obuf).is_ok());
        let other = jwe::Key::from_secret("another-secret-that-is-at-least-32-chars").unwrap();
        assert_eq!(
            MfaContext::open(&other, &sealed, 1_700_000_100, &mut obuf),
            Err(MfaTokenError::Invalid)
        );
        assert_eq!(
            MfaContext::open(&key, "not-a-valid-jwe", 0, &mut obuf),
            Err(MfaTokenError::Invalid)
        );
        let mut small = [0u8; 16];
        assert_eq!(
            MfaContext::open(&key, &sealed, 1_700_000_100, &mut small),
            Err(MfaTokenError::Invalid)
        );
        let e = MfaTokenError::Expired;
        assert_eq!(
            (e.code(), e.message(), e.status()),
            (
                "mfa_token_expired",
                "MFA token has expired. Please restart the MFA flow.",
                401
            )
        );
        assert_eq!(MfaTokenError::Invalid.message(), "MFA token is invalid.");
        let mut tiny = [0u8; 64];
        assert!(matches!(
            ctx.seal(&key, &mut rand_core::OsRng, 0, 300, &mut tiny),
            Err(Error::BufferTooSmall {
                what: "MFA token",
                ..
            })
        ));
    }

    #[test]
    fn context_without_requirements_and_with_escapes() {
        // `JSON.stringify` drops `mfaRequirements: undefined` (checked with Node.js).
        let ctx = MfaContext {
            mfa_token: JsonStr::new("t\u{e9}\"x"),
            audience: JsonStr::new(""),
            scope: JsonStr::new("openid"),
            mfa_requirements: None,
            created_at: 5,
        };
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf, "t");
        ctx.write_json(&mut w, 305).unwrap();
        assert_eq!(
            w.as_str(),
            r#"{"mfaToken":"té\"x","audience":"","scope":"openid","createdAt":5,"exp":305}"#
        );
        // A payload sealed by us without requirements opens without them; one that is not an
        // MFA context is invalid.
        let key = jwe::Key::from_secret(SECRET).unwrap();
        let mut sbuf = [0u8; 1024];
        let sealed = String::from(
            ctx.seal(&key, &mut rand_core::OsRng, 0, 300, &mut sbuf)
                .unwrap(),
        );
        let mut obuf = [0u8; 1024];
        let opened = MfaContext::open(&key, &sealed, 0, &mut obuf).unwrap();
        assert_eq!(opened, ctx);
        let mut p = *br#"{"user":{},"exp":300}"#;
        let mut out = [0u8; 256];
        let session = jwe::seal(&key, &mut rand_core::OsRng, &mut p, &mut out).unwrap();
        assert_eq!(
            MfaContext::open(&key, session, 0, &mut obuf),
            Err(MfaTokenError::Invalid)
        );
    }

    #[test]
    fn the_403_body_in_the_sdk_order() {
        let a = MfaRequired::parse(ANSWER).unwrap();
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf, "t");
        write_required_body(&mut w, a.description(), "eyJ..", a.mfa_requirements).unwrap();
        // `JSON.stringify(new MfaRequiredError(…).toJSON())` (checked with Node.js).
        assert_eq!(
            w.as_str(),
            r#"{"error":"mfa_required","error_description":"Multifactor authentication required","mfa_token":"eyJ..","mfa_requirements":{"challenge":[{"type":"totp"}],"enroll":[{"type":"otp"},{"type":"push-notification"}]}}"#
        );
        for (req, kept) in [
            ("null", false),
            ("0", false),
            ("\"\"", false),
            ("false", false),
            ("[]", true),
            ("{}", true),
        ] {
            let v = Value::parse(req).unwrap();
            let mut buf = [0u8; 256];
            let mut w = Writer::new(&mut buf, "t");
            write_required_body(&mut w, "x".into(), "y", Some(v)).unwrap();
            assert_eq!(w.as_str().contains("mfa_requirements"), kept, "{req}");
        }
    }
}
