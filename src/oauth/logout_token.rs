//! Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6), as
//! `@auth0/nextjs-auth0` v4 checks them at `POST /auth/backchannel-logout`, and a bounded
//! `jti` replay cache.
//!
//! The flow reads the token from the form body ([`token_from_body`]), checks it
//! ([`validate`]), refuses a replay ([`ReplayCache`]) and deletes the sessions of
//! [`LogoutToken::sid`] / [`LogoutToken::sub`]. Every refusal is HTTP 400 with a text body
//! ([`LogoutTokenError::status`], [`LogoutTokenError::message`]).
//!
//! The checks, in order:
//!
//! 1. the header: `alg` RS256 or ES256 (the SDK allows only RS256; `none`, HS256 and anything
//!    else are refused), `typ` absent or `logout+jwt` (case-insensitive, with or without the
//!    `application/` prefix, RFC 8725 §3.11);
//! 2. the signature, with the provider's JWKS (an unknown key means: refetch the JWKS once);
//! 3. `iss` is the discovered issuer, `aud` contains the client id, `exp` (when present) and
//!    `nbf` with the configured leeway, `iat` present;
//! 4. the SDK's rules with its messages: `sid` or `sub` present, each a string, no `nonce`,
//!    `events` an object with an object member
//!    `http://schemas.openid.net/event/backchannel-logout`;
//! 5. beyond the SDK, `jti` is a non-empty string, for the replay cache.

use crate::codec::form;
use crate::codec::json::{JsonStr, Object, Value};
use crate::codec::time::UnixTime;
use crate::jose::jwk::Jwks;
use crate::jose::jws::{self, Algorithm};
use crate::jose::jwt::{self, Validation};
use crate::{Error, JwsError, JwtError};
use core::fmt;
use sha2::{Digest, Sha256};

/// The form parameter that carries the token.
pub const LOGOUT_TOKEN_PARAM: &str = "logout_token";
/// The member of `events` that makes a JWT a logout token.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` a logout token may carry (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// The signature algorithms accepted.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];
/// How long a `jti` is remembered after `iat` when the token has no `exp` (such a token never
/// expires, so replays are refused only while the cache remembers it).
pub const REMEMBER_WITHOUT_EXP: i64 = 600;
/// The code of the SDK's `BackchannelLogoutError`.
pub const ERROR_CODE: &str = "backchannel_logout_error";

/// Why a back-channel logout request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutTokenError {
    /// The body has no (or an empty) `logout_token`.
    MissingToken,
    /// The token does not fit the caller's buffer.
    TooLarge,
    /// Not a compact JWS with a JSON header.
    Malformed(JwsError),
    /// The header's `alg` is not RS256 or ES256.
    Algorithm,
    /// The header's `typ` is present and not `logout+jwt`.
    Type,
    /// The signature does not verify with the key the header names.
    Signature(JwsError),
    /// No key of the JWKS fits the header's `kid` and `alg`: refetch the JWKS (once, as for ID
    /// tokens) and validate again.
    UnknownKey,
    /// `iss` is missing or not the discovered issuer.
    Issuer,
    /// The (not yet verified) `iss` names another host than the configured domain: the SDK's
    /// pre-check, answered 403 before the signature is looked at.
    IssuerDomain,
    /// `aud` is missing or does not contain the client id.
    Audience,
    /// `exp` is past, beyond the leeway.
    Expired,
    /// Another registered-claim check failed (`iat` missing, `nbf` in the future, `iat` in the
    /// future, a time claim that is not a number, claims that are not an object).
    Claims(JwtError),
    /// Neither `sid` nor `sub` is present.
    SidOrSubMissing,
    /// `sid` is not a string.
    SidNotString,
    /// `sub` is not a string.
    SubNotString,
    /// `nonce` is present.
    NonceProhibited,
    /// `events` is missing.
    EventsMissing,
    /// `events` is not an object.
    EventsNotObject,
    /// `events` has no [`BACKCHANNEL_LOGOUT_EVENT`] member.
    EventMissing,
    /// The [`BACKCHANNEL_LOGOUT_EVENT`] member is not an object.
    EventNotObject,
    /// `jti` is missing or not a non-empty string.
    JtiMissing,
    /// The `jti` was seen before: the token is replayed.
    Replayed,
}

impl LogoutTokenError {
    /// The HTTP status of the response: 403 for an issuer of another domain, as the SDK
    /// answers; 400 for every other refusal.
    pub fn status(&self) -> u16 {
        match self {
            LogoutTokenError::IssuerDomain => 403,
            _ => 400,
        }
    }

    /// The response body (text/plain): the SDK's message where the SDK has one, jose's wording
    /// for the signature and registered-claim checks.
    pub fn message(&self) -> &'static str {
        match self {
            LogoutTokenError::MissingToken => "Missing `logout_token` in the request body.",
            LogoutTokenError::TooLarge => "the logout token is too large",
            LogoutTokenError::Malformed(_) => "Invalid Compact JWS",
            LogoutTokenError::Algorithm => "\"alg\" (Algorithm) Header Parameter value not allowed",
            LogoutTokenError::Type => "unexpected \"typ\" JWT header value",
            LogoutTokenError::Signature(_) => "signature verification failed",
            LogoutTokenError::UnknownKey => "no applicable key found in the JSON Web Key Set",
            LogoutTokenError::Issuer => "unexpected \"iss\" claim value",
            LogoutTokenError::IssuerDomain => {
                "Logout token issuer does not match the configured domain."
            }
            LogoutTokenError::Audience => "unexpected \"aud\" claim value",
            LogoutTokenError::Expired => "\"exp\" claim timestamp check failed",
            LogoutTokenError::Claims(j) => match j {
                JwtError::MissingClaim("iat") => "missing required \"iat\" claim",
                JwtError::MissingClaim(_) => "a required claim is missing",
                JwtError::NotYetValid => "\"nbf\" claim timestamp check failed",
                JwtError::IssuedInFuture => {
                    "\"iat\" claim timestamp check failed (it should be in the past)"
                }
                JwtError::Claims => "JWT Claims Set must be a top-level JSON object",
                _ => "a time claim (\"iat\", \"exp\" or \"nbf\") is not a number",
            },
            LogoutTokenError::SidOrSubMissing => {
                "either \"sid\" or \"sub\" (or both) claims must be present"
            }
            LogoutTokenError::SidNotString => "\"sid\" claim must be a string",
            LogoutTokenError::SubNotString => "\"sub\" claim must be a string",
            LogoutTokenError::NonceProhibited => "\"nonce\" claim is prohibited",
            LogoutTokenError::EventsMissing => "\"events\" claim is missing",
            LogoutTokenError::EventsNotObject => "\"events\" claim must be an object",
            LogoutTokenError::EventMissing => {
                "\"http://schemas.openid.net/event/backchannel-logout\" member is missing in the \"events\" claim"
            }
            LogoutTokenError::EventNotObject => {
                "\"http://schemas.openid.net/event/backchannel-logout\" member in the \"events\" claim must be an object"
            }
            LogoutTokenError::JtiMissing => "\"jti\" claim must be a non-empty string",
            LogoutTokenError::Replayed => "the logout token was already used (\"jti\" replayed)",
        }
    }

    /// The SDK's error code, [`ERROR_CODE`].
    pub fn code(&self) -> &'static str {
        ERROR_CODE
    }

    /// Whether the caller should refetch the JWKS (once) and validate again.
    pub fn is_unknown_key(&self) -> bool {
        matches!(self, LogoutTokenError::UnknownKey)
    }
}

impl fmt::Display for LogoutTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("logout token refused: ")?;
        f.write_str(self.message())?;
        match self {
            LogoutTokenError::UnknownKey => {
                f.write_str("; the provider may have rotated its keys: refetch the JWKS")
            }
            LogoutTokenError::Issuer | LogoutTokenError::IssuerDomain => {
                f.write_str("; check AUTH0_DOMAIN")
            }
            LogoutTokenError::Audience => f.write_str("; check AUTH0_CLIENT_ID"),
            LogoutTokenError::Expired | LogoutTokenError::Claims(_) => {
                f.write_str("; check the clock")
            }
            _ => Ok(()),
        }
    }
}

impl core::error::Error for LogoutTokenError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            LogoutTokenError::Malformed(e) | LogoutTokenError::Signature(e) => Some(e),
            LogoutTokenError::Claims(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads `logout_token` from a form-encoded body (the first one, as `URLSearchParams.get`
/// does), decoded into `buf`.
///
/// ```
/// use auth0_edge::oauth::logout_token::{token_from_body, LogoutTokenError};
/// let mut buf = [0u8; 64];
/// assert_eq!(token_from_body("logout_token=a.b.c&x=1", &mut buf), Ok("a.b.c"));
/// assert_eq!(token_from_body("logout_token=", &mut buf), Err(LogoutTokenError::MissingToken));
/// ```
pub fn token_from_body<'b>(body: &str, buf: &'b mut [u8]) -> Result<&'b str, LogoutTokenError> {
    let body = body.strip_prefix('?').unwrap_or(body);
    let raw = form::query_pairs(body)
        .find(|(k, _)| form::component_eq(k, LOGOUT_TOKEN_PARAM))
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
        .ok_or(LogoutTokenError::MissingToken)?;
    form::decode_component(raw, buf).map_err(|_| LogoutTokenError::TooLarge)
}

/// What a logout token must satisfy.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Expected<'a> {
    /// The discovered `issuer`, compared exactly.
    pub issuer: &'a str,
    /// The client id, which `aud` must contain.
    pub client_id: &'a str,
    /// Seconds of clock tolerance for `exp`, `nbf` and `iat` (the SDK uses none).
    pub leeway: i64,
}

/// A checked logout token: the claims the session store needs, viewed in the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct LogoutToken<'a> {
    /// `sid`: the provider's session to end.
    pub sid: Option<JsonStr<'a>>,
    /// `sub`: the user whose sessions to end.
    pub sub: Option<JsonStr<'a>>,
    /// `iss`.
    pub iss: JsonStr<'a>,
    /// `jti`.
    pub jti: JsonStr<'a>,
    /// `iat`.
    pub iat: i64,
    /// `exp`, when present.
    pub exp: Option<i64>,
    /// All claims.
    pub claims: Object<'a>,
}

impl LogoutToken<'_> {
    /// The key under which the [`ReplayCache`] remembers this token.
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey::new(self.iss, self.jti)
    }

    /// Until when a replay of this token must be refused: `exp` plus the leeway (after that
    /// the token is refused as expired), or `iat` + [`REMEMBER_WITHOUT_EXP`] plus the leeway
    /// for a token without `exp`.
    pub fn remember_until(&self, leeway: i64) -> UnixTime {
        self.exp
            .unwrap_or(self.iat.saturating_add(REMEMBER_WITHOUT_EXP))
            .saturating_add(leeway.max(0))
    }
}

/// Whether a header's `typ` is `logout+jwt`, ignoring ASCII case and an `application/`
/// prefix (jose's `normalizeTyp`).
fn typ_is_logout_jwt(typ: JsonStr<'_>) -> bool {
    let mut buf = [0u8; 64];
    let Ok(t) = typ.unescape_into(&mut buf) else {
        return false;
    };
    const PREFIX: &str = "application/";
    let t = match t.as_bytes().get(..PREFIX.len()) {
        Some(p) if p.eq_ignore_ascii_case(PREFIX.as_bytes()) => t.get(PREFIX.len()..).unwrap_or(""),
        _ => t,
    };
    t.eq_ignore_ascii_case(LOGOUT_TOKEN_TYP)
}

/// Checks a logout token's protected header: `alg` and `typ`.
pub fn check_header(header: &jws::Header<'_>) -> Result<(), LogoutTokenError> {
    if !ALGORITHMS.contains(&header.alg) {
        return Err(LogoutTokenError::Algorithm);
    }
    match header.typ {
        Some(typ) if !typ_is_logout_jwt(typ) => Err(LogoutTokenError::Type),
        _ => Ok(()),
    }
}

fn from_jws(e: JwsError) -> LogoutTokenError {
    match e {
        JwsError::AlgNone | JwsError::UnknownAlg | JwsError::AlgNotAllowed => {
            LogoutTokenError::Algorithm
        }
        JwsError::NoMatchingKey => LogoutTokenError::UnknownKey,
        JwsError::BadSignature | JwsError::KeyMismatch => LogoutTokenError::Signature(e),
        other => LogoutTokenError::Malformed(other),
    }
}

fn from_jwt(e: JwtError) -> LogoutTokenError {
    match e {
        JwtError::Issuer | JwtError::MissingClaim("iss") => LogoutTokenError::Issuer,
        JwtError::Audience | JwtError::MissingClaim("aud") => LogoutTokenError::Audience,
        JwtError::Expired => LogoutTokenError::Expired,
        other => LogoutTokenError::Claims(other),
    }
}

fn from_error(e: Error) -> LogoutTokenError {
    match e {
        Error::Jws(j) => from_jws(j),
        Error::Jwt(j) => from_jwt(j),
        Error::BufferTooSmall { .. } => LogoutTokenError::TooLarge,
        _ => LogoutTokenError::Malformed(JwsError::Header),
    }
}

/// Verifies a logout token's signature with `jwks` and checks it (see the module
/// documentation); returns its claims, decoded into `buf` (as large as the token is enough).
///
/// [`LogoutTokenError::UnknownKey`] means no key of the set fits: refetch the JWKS (once) and
/// call again.
pub fn validate<'b>(
    token: &str,
    jwks: &Jwks<'_>,
    e: &Expected<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<LogoutToken<'b>, LogoutTokenError> {
    {
        let header = jws::decode_header(token, buf).map_err(from_error)?;
        check_header(&header)?;
    }
    // The JWT helper checks the registered claims as `check_claims` does, in the same order,
    // so a token gets the same verdict either way.
    let verified =
        jwt::verify_with_jwks(token, jwks, &validation(e), now, buf).map_err(from_error)?;
    check_claims(verified.claims, e, now)
}

fn validation<'a>(e: &Expected<'a>) -> Validation<'a> {
    Validation {
        algorithms: &ALGORITHMS,
        issuer: Some(e.issuer),
        audience: Some(e.client_id),
        leeway: e.leeway,
        required: &[],
    }
}

/// Checks the claims of a logout token whose signature was verified: the registered claims,
/// then the SDK's rules in its order, then `jti`.
pub fn check_claims<'a>(
    claims: Object<'a>,
    e: &Expected<'_>,
    now: UnixTime,
) -> Result<LogoutToken<'a>, LogoutTokenError> {
    jwt::check_claims(&claims, &validation(e), now).map_err(from_jwt)?;
    let time = |name: &'static str| match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_number()
            .and_then(|n| n.floor_i64())
            .map(Some)
            .ok_or(LogoutTokenError::Claims(JwtError::ClaimType(name))),
    };
    let iat = time("iat")?.ok_or(LogoutTokenError::Claims(JwtError::MissingClaim("iat")))?;
    let exp = time("exp")?;
    let (sid, sub) = (claims.get("sid"), claims.get("sub"));
    if sid.is_none() && sub.is_none() {
        return Err(LogoutTokenError::SidOrSubMissing);
    }
    let sid = match sid {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(LogoutTokenError::SidNotString),
    };
    let sub = match sub {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(LogoutTokenError::SubNotString),
    };
    if claims.get("nonce").is_some() {
        return Err(LogoutTokenError::NonceProhibited);
    }
    // The SDK's `typeof … !== "object"` lets `null` and arrays through; they are refused here
    // with the same messages, as the specification wants JSON objects.
    let events = match claims.get("events") {
        None => return Err(LogoutTokenError::EventsMissing),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(LogoutTokenError::EventsNotObject),
    };
    match events.get(BACKCHANNEL_LOGOUT_EVENT) {
        None => return Err(LogoutTokenError::EventMissing),
        Some(Value::Object(_)) => {}
        Some(_) => return Err(LogoutTokenError::EventNotObject),
    }
    let jti = claims
        .get_str("jti")
        .filter(|j| !j.is_empty())
        .ok_or(LogoutTokenError::JtiMissing)?;
    Ok(LogoutToken {
        sid,
        sub,
        iss: claims.get_str("iss").unwrap_or_default(),
        jti,
        iat,
        exp,
        claims,
    })
}

/// What the [`ReplayCache`] keeps of a token: the first 16 bytes of SHA-256 over `iss`, a zero
/// byte and `jti`, so neither is stored and two issuers' `jti`s never collide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayKey([u8; 16]);

impl ReplayKey {
    /// The key's 16 bytes (to store it elsewhere, e.g. as a Redis key in hex).
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The key of `jti` issued by `iss`.
    pub fn new(iss: JsonStr<'_>, jti: JsonStr<'_>) -> Self {
        fn feed(h: &mut Sha256, s: JsonStr<'_>) {
            match s.as_str() {
                Some(plain) => h.update(plain.as_bytes()),
                None => {
                    for c in s.chars() {
                        let mut tmp = [0u8; 4];
                        h.update(c.encode_utf8(&mut tmp).as_bytes());
                    }
                }
            }
        }
        let mut h = Sha256::new();
        feed(&mut h, iss);
        h.update([0u8]);
        feed(&mut h, jti);
        let digest = h.finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ReplayKey(key)
    }
}

/// The `jti`s of accepted logout tokens, each until its token expires: at most `N`, in fixed
/// storage. Put it behind the runtime's lock (a `Mutex`, a critical section) and call
/// [`ReplayCache::check_and_remember`] after [`validate`].
///
/// When full, expired entries go first, then the one that expires soonest. An evicted `jti`
/// is accepted again, so size the cache for the logout tokens expected within their lifetime.
///
/// ```
/// use auth0_edge::oauth::logout_token::{ReplayCache, ReplayKey, LogoutTokenError};
/// let mut cache = ReplayCache::<8>::new();
/// let key = ReplayKey::new("https://t/".into(), "jti-1".into());
/// assert_eq!(cache.check_and_remember(key, 1_000, 900), Ok(()));
/// assert_eq!(cache.check_and_remember(key, 1_000, 950), Err(LogoutTokenError::Replayed));
/// // Once the token has expired it is refused as expired anyway, and forgotten.
/// assert_eq!(cache.check_and_remember(key, 2_000, 1_000), Ok(()));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ReplayCache<const N: usize> {
    entries: heapless::Vec<(ReplayKey, UnixTime), N>,
}

impl<const N: usize> ReplayCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        ReplayCache {
            entries: heapless::Vec::new(),
        }
    }

    /// Refuses `key` if it is remembered and not expired at `now`; otherwise remembers it
    /// until `until` (see [`LogoutToken::remember_until`]).
    pub fn check_and_remember(
        &mut self,
        key: ReplayKey,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), LogoutTokenError> {
        self.entries.retain(|(_, u)| *u > now);
        if self.entries.iter().any(|(k, _)| *k == key) {
            return Err(LogoutTokenError::Replayed);
        }
        if until <= now {
            return Ok(());
        }
        if self.entries.is_full()
            && let Some((i, _)) = self.entries.iter().enumerate().min_by_key(|(_, e)| e.1)
        {
            self.entries.swap_remove(i);
        }
        // Only a cache of capacity 0 has no room now, and it remembers nothing.
        let _ = self.entries.push((key, until));
        Ok(())
    }

    /// [`ReplayCache::check_and_remember`] for a validated token.
    pub fn check_token(
        &mut self,
        token: &LogoutToken<'_>,
        leeway: i64,
        now: UnixTime,
    ) -> Result<(), LogoutTokenError> {
        self.check_and_remember(token.replay_key(), token.remember_until(leeway), now)
    }

    /// How many `jti`s are remembered (expired ones included until the next check).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::buf::Writer;
    use crate::jose::jwk::EcKeyPair;
    extern crate std;
    use std::format;
    use std::string::String;

    const NOW: i64 = 1_800_000_000;
    const ISS: &str = "https://t.auth0.com/";

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISS,
            client_id: "cid",
            leeway: 5,
        }
    }

    fn claims_json() -> String {
        format!(
            r#"{{"iss":"{ISS}","aud":"cid","iat":{NOW},"exp":{},"jti":"j1","sid":"s1","sub":"u1","events":{{"{BACKCHANNEL_LOGOUT_EVENT}":{{}}}}}}"#,
            NOW + 120
        )
    }

    struct Signer {
        key: EcKeyPair,
        jwks: String,
    }

    impl Signer {
        fn new() -> Self {
            let key = EcKeyPair::generate(&mut rand_core::OsRng);
            let mut jwk = [0u8; 256];
            let mut w = Writer::new(&mut jwk, "jwk");
            key.public_key().write_jwk(&mut w).unwrap();
            let jwks = format!(r#"{{"keys":[{{"kid":"k1",{}]}}"#, &w.as_str()[1..]);
            Signer { key, jwks }
        }

        fn sign(&self, header: &str, claims: &str) -> String {
            let mut out = [0u8; 2048];
            String::from(
                jws::sign_es256(
                    self.key.signing_key(),
                    header.as_bytes(),
                    claims.as_bytes(),
                    &mut out,
                )
                .unwrap(),
            )
        }
    }

    fn check(s: &Signer, token: &str) -> Result<(), LogoutTokenError> {
        let jwks = Jwks::parse(&s.jwks).unwrap();
        let mut buf = [0u8; 2048];
        validate(token, &jwks, &expected(), NOW, &mut buf).map(|_| ())
    }

    const HEADER: &str = r#"{"alg":"ES256","kid":"k1","typ":"logout+jwt"}"#;

    #[test]
    fn a_valid_es256_token_gives_its_claims() {
        let s = Signer::new();
        let token = s.sign(HEADER, &claims_json());
        let jwks = Jwks::parse(&s.jwks).unwrap();
        let mut buf = [0u8; 2048];
        let t = validate(&token, &jwks, &expected(), NOW, &mut buf).unwrap();
        assert_eq!(t.sid.unwrap(), "s1");
        assert_eq!(t.sub.unwrap(), "u1");
        assert_eq!(t.iss, ISS);
        assert_eq!(t.jti, "j1");
        assert_eq!((t.iat, t.exp), (NOW, Some(NOW + 120)));
        assert_eq!(t.remember_until(5), NOW + 125);
        // The typ variants RFC 8725 allows, and no typ.
        for typ in [
            "application/logout+jwt",
            "Logout+JWT",
            "APPLICATION/LOGOUT+jwt",
        ] {
            let h = format!(r#"{{"alg":"ES256","kid":"k1","typ":"{typ}"}}"#);
            assert_eq!(check(&s, &s.sign(&h, &claims_json())), Ok(()), "{typ}");
        }
        let no_typ = s.sign(r#"{"alg":"ES256","kid":"k1"}"#, &claims_json());
        assert_eq!(check(&s, &no_typ), Ok(()));
        // Only sid, only sub.
        for drop in [r#""sid":"s1","#, r#""sub":"u1","#] {
            let c = claims_json().replace(drop, "");
            assert_eq!(check(&s, &s.sign(HEADER, &c)), Ok(()), "{c}");
        }
    }

    #[test]
    fn header_refusals() {
        let s = Signer::new();
        let c = claims_json();
        for (h, err) in [
            (
                r#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#,
                LogoutTokenError::Type,
            ),
            (
                r#"{"alg":"ES256","kid":"k1","typ":"application/jwt"}"#,
                LogoutTokenError::Type,
            ),
            (r#"{"alg":"HS256","kid":"k1"}"#, LogoutTokenError::Algorithm),
            (r#"{"alg":"none"}"#, LogoutTokenError::Algorithm),
            (r#"{"alg":"PS256"}"#, LogoutTokenError::Algorithm),
            (
                r#"{"alg":"ES256","kid":"other"}"#,
                LogoutTokenError::UnknownKey,
            ),
            (
                r#"{"alg":"ES256","crit":["x"]}"#,
                LogoutTokenError::Malformed(JwsError::Crit),
            ),
        ] {
            assert_eq!(check(&s, &s.sign(h, &c)), Err(err), "{h}");
        }
        // RS256 with an EC-only key set: no key fits.
        assert_eq!(
            check(&s, &s.sign(r#"{"alg":"RS256","kid":"k1"}"#, &c)),
            Err(LogoutTokenError::UnknownKey)
        );
        // A forged signature, another key, garbage.
        let other = Signer::new();
        assert!(matches!(
            check(&s, &other.sign(HEADER, &c)),
            Err(LogoutTokenError::Signature(JwsError::BadSignature))
        ));
        assert!(matches!(
            check(&s, "not-a-jwt"),
            Err(LogoutTokenError::Malformed(_))
        ));
        assert!(matches!(
            check(&s, "e30.e30.e30"),
            Err(LogoutTokenError::Malformed(_))
        ));
        let token = s.sign(HEADER, &c);
        let jwks = Jwks::parse(&s.jwks).unwrap();
        let mut small = [0u8; 16];
        assert_eq!(
            validate(&token, &jwks, &expected(), NOW, &mut small).map(|_| ()),
            Err(LogoutTokenError::TooLarge)
        );
    }

    #[test]
    fn claim_refusals_in_the_sdk_order() {
        let s = Signer::new();
        let ok = claims_json();
        let events = format!(r#""events":{{"{BACKCHANNEL_LOGOUT_EVENT}":{{}}}}"#);
        let cases: [(String, LogoutTokenError); 17] = [
            (ok.replace(ISS, "https://evil/"), LogoutTokenError::Issuer),
            (
                ok.replace(&format!(r#""iss":"{ISS}","#), ""),
                LogoutTokenError::Issuer,
            ),
            (
                ok.replace(r#""aud":"cid""#, r#""aud":["x","y"]"#),
                LogoutTokenError::Audience,
            ),
            (
                ok.replace(r#""aud":"cid","#, ""),
                LogoutTokenError::Audience,
            ),
            (
                ok.replace(&format!("{}", NOW + 120), &format!("{}", NOW - 5)),
                LogoutTokenError::Expired,
            ),
            (
                ok.replace(&format!(r#""iat":{NOW},"#), ""),
                LogoutTokenError::Claims(JwtError::MissingClaim("iat")),
            ),
            (
                ok.replace(&format!(r#""iat":{NOW}"#), r#""iat":"now""#),
                LogoutTokenError::Claims(JwtError::ClaimType("iat")),
            ),
            (
                ok.replace(r#""sid":"s1","sub":"u1","#, ""),
                LogoutTokenError::SidOrSubMissing,
            ),
            (
                ok.replace(r#""sid":"s1""#, r#""sid":7"#),
                LogoutTokenError::SidNotString,
            ),
            (
                ok.replace(r#""sid":"s1""#, r#""sid":null"#),
                LogoutTokenError::SidNotString,
            ),
            (
                ok.replace(r#""sub":"u1""#, r#""sub":["u"]"#),
                LogoutTokenError::SubNotString,
            ),
            (
                ok.replace(r#""jti":"j1","#, r#""jti":"j1","nonce":"n","#),
                LogoutTokenError::NonceProhibited,
            ),
            (
                ok.replace(&format!(",{events}"), ""),
                LogoutTokenError::EventsMissing,
            ),
            (
                ok.replace(&events, r#""events":"logout""#),
                LogoutTokenError::EventsNotObject,
            ),
            (
                ok.replace(&events, r#""events":{"other":{}}"#),
                LogoutTokenError::EventMissing,
            ),
            (
                ok.replace(
                    &events,
                    &format!(r#""events":{{"{BACKCHANNEL_LOGOUT_EVENT}":true}}"#),
                ),
                LogoutTokenError::EventNotObject,
            ),
            (
                ok.replace(r#""jti":"j1","#, ""),
                LogoutTokenError::JtiMissing,
            ),
        ];
        for (c, err) in cases {
            assert_eq!(check(&s, &s.sign(HEADER, &c)), Err(err), "{c}");
            // The same verdict without the signature step.
            let o = Object::parse(&c).unwrap();
            assert_eq!(
                check_claims(o, &expected(), NOW).map(|_| ()),
                Err(err),
                "{c}"
            );
        }
        // The SDK's order: sid/sub before nonce before events.
        let c = ok
            .replace(r#""sid":"s1","sub":"u1","#, r#""nonce":"n","#)
            .replace(&format!(",{events}"), "");
        let o = Object::parse(&c).unwrap();
        assert_eq!(
            check_claims(o, &expected(), NOW).map(|_| ()),
            Err(LogoutTokenError::SidOrSubMissing)
        );
        // Within the leeway, an expired token still passes; a future iat beyond it does not.
        let near = ok.replace(&format!("{}", NOW + 120), &format!("{}", NOW - 4));
        assert_eq!(check(&s, &s.sign(HEADER, &near)), Ok(()));
        let future = ok.replace(
            &format!(r#""iat":{NOW}"#),
            &format!(r#""iat":{}"#, NOW + 60),
        );
        assert_eq!(
            check(&s, &s.sign(HEADER, &future)),
            Err(LogoutTokenError::Claims(JwtError::IssuedInFuture))
        );
        // No exp at all is allowed (remembered for a while after iat).
        let no_exp = ok.replace(&format!(r#","exp":{}"#, NOW + 120), "");
        let o = Object::parse(&no_exp).unwrap();
        let t = check_claims(o, &expected(), NOW).unwrap();
        assert_eq!(t.exp, None);
        assert_eq!(t.remember_until(0), NOW + REMEMBER_WITHOUT_EXP);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn a_valid_rs256_token_from_the_fake_provider() {
        use crate::runtime::FixedClock;
        use crate::testing::FakeProvider;
        let p = FakeProvider::new("t.auth0.com", "cid", FixedClock(NOW), &mut rand_core::OsRng);
        let mut jwks = [0u8; 2048];
        let mut w = Writer::new(&mut jwks, "jwks");
        p.write_jwks(&mut w).unwrap();
        let jwks = Jwks::parse(w.as_str()).unwrap();
        let mut tok = [0u8; 2048];
        let token = p.sign_rs256(&claims_json(), &mut tok).unwrap();
        let mut buf = [0u8; 2048];
        let t = validate(token, &jwks, &expected(), NOW, &mut buf).unwrap();
        assert_eq!(t.sid.unwrap(), "s1");
        // Tampered claims break the RSA signature.
        let (head, rest) = token.split_once('.').unwrap();
        let (_, sig) = rest.split_once('.').unwrap();
        let mut other = [0u8; 2048];
        let mut ow = Writer::new(&mut other, "t");
        ow.push_base64url(claims_json().replace("s1", "s2").as_bytes())
            .unwrap();
        let forged = format!("{head}.{}.{sig}", ow.as_str());
        let mut buf = [0u8; 2048];
        assert!(matches!(
            validate(&forged, &jwks, &expected(), NOW, &mut buf),
            Err(LogoutTokenError::Signature(_))
        ));
    }

    #[test]
    fn body_parsing() {
        let mut buf = [0u8; 64];
        assert_eq!(
            token_from_body("a=1&logout_token=x.y%2Bz&logout_token=second", &mut buf),
            Ok("x.y+z")
        );
        assert_eq!(token_from_body("?logout_token=t", &mut buf), Ok("t"));
        for missing in ["", "logout_token", "logout_token=&x=1", "token=x", "&&"] {
            assert_eq!(
                token_from_body(missing, &mut buf),
                Err(LogoutTokenError::MissingToken),
                "{missing}"
            );
        }
        let mut small = [0u8; 2];
        assert_eq!(
            token_from_body("logout_token=abc", &mut small),
            Err(LogoutTokenError::TooLarge)
        );
        let e = LogoutTokenError::MissingToken;
        assert_eq!(e.status(), 400);
        assert_eq!(e.message(), "Missing `logout_token` in the request body.");
        assert_eq!(e.code(), "backchannel_logout_error");
    }

    #[test]
    fn replay_cache_refuses_and_evicts() {
        let key = |j: &str| ReplayKey::new(ISS.into(), JsonStr::new(j));
        assert_ne!(key("a"), key("b"));
        assert_ne!(
            ReplayKey::new("https://a/".into(), "x".into()),
            ReplayKey::new("https://a/x".into(), "".into())
        );
        let mut c = ReplayCache::<2>::new();
        assert_eq!(c.check_and_remember(key("a"), NOW + 100, NOW), Ok(()));
        assert_eq!(
            c.check_and_remember(key("a"), NOW + 100, NOW + 1),
            Err(LogoutTokenError::Replayed)
        );
        assert_eq!(c.check_and_remember(key("b"), NOW + 50, NOW), Ok(()));
        // Full: the entry that expires first (b) makes room for c.
        assert_eq!(c.check_and_remember(key("c"), NOW + 200, NOW), Ok(()));
        assert_eq!(c.len(), 2);
        assert_eq!(
            c.check_and_remember(key("a"), NOW + 100, NOW),
            Err(LogoutTokenError::Replayed)
        );
        // b was evicted, so it is accepted again (and evicts a, the soonest to expire).
        assert_eq!(c.check_and_remember(key("b"), NOW + 50, NOW), Ok(()));
        assert_eq!(
            c.check_and_remember(key("c"), NOW + 200, NOW),
            Err(LogoutTokenError::Replayed)
        );
        // Expired entries are dropped first; an already-expired token is not remembered.
        assert_eq!(c.check_and_remember(key("d"), NOW + 300, NOW + 60), Ok(()));
        assert_eq!(c.len(), 2);
        assert_eq!(c.check_and_remember(key("e"), NOW, NOW + 1), Ok(()));
        assert_eq!(c.len(), 2);
        c.clear();
        assert!(c.is_empty());
        // Capacity 0 remembers nothing and refuses nothing.
        let mut z = ReplayCache::<0>::new();
        assert_eq!(z.check_and_remember(key("a"), NOW + 1, NOW), Ok(()));
        assert_eq!(z.check_and_remember(key("a"), NOW + 1, NOW), Ok(()));
        // check_token uses the token's key and lifetime.
        let json = claims_json();
        let t = check_claims(Object::parse(&json).unwrap(), &expected(), NOW).unwrap();
        let mut c = ReplayCache::<4>::new();
        assert_eq!(c.check_token(&t, 5, NOW), Ok(()));
        assert_eq!(
            c.check_token(&t, 5, NOW + 10),
            Err(LogoutTokenError::Replayed)
        );
        assert_eq!(c.check_token(&t, 5, NOW + 125), Ok(()));
    }
}
