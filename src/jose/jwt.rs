//! JSON Web Tokens (RFC 7519): verify the signature (with one key or a key set), then check
//! `iss`, `aud`, `exp`, `nbf` and `iat`, and hand back the claims.
//!
//! Time checks follow jose and oauth4webapi: a token is expired when `exp <= now - leeway`,
//! not yet valid when `nbf > now + leeway`, and issued in the future when
//! `iat > now + leeway`.

use crate::codec::json::{JsonStr, Object, Value};
use crate::codec::time::UnixTime;
use crate::jose::jwk::Jwks;
use crate::jose::jws::{self, Algorithm};
use crate::{Error, JwsError, JwtError};

/// What a token must satisfy besides its signature.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct Validation<'a> {
    /// The algorithms accepted.
    pub algorithms: &'a [Algorithm],
    /// The expected `iss`, compared exactly (no trailing-slash games).
    pub issuer: Option<&'a str>,
    /// An audience `aud` must equal or contain.
    pub audience: Option<&'a str>,
    /// Seconds of clock tolerance.
    pub leeway: i64,
    /// Claims that must be present.
    pub required: &'a [&'static str],
}

impl Default for Validation<'_> {
    fn default() -> Self {
        Validation {
            algorithms: &[Algorithm::RS256, Algorithm::ES256],
            issuer: None,
            audience: None,
            leeway: 0,
            required: &[],
        }
    }
}

/// Whether `aud` (a string or an array of strings) contains `audience`.
pub fn audience_contains(aud: Value<'_>, audience: &str) -> bool {
    match aud {
        Value::String(s) => s == *audience,
        Value::Array(a) => a
            .iter()
            .any(|v| v.as_json_str().is_some_and(|s| s == *audience)),
        _ => false,
    }
}

fn time_claim(claims: &Object<'_>, name: &'static str) -> Result<Option<i64>, JwtError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_number()
            .and_then(|n| n.floor_i64())
            .map(Some)
            .ok_or(JwtError::ClaimType(name)),
    }
}

/// Checks the registered claims of verified `claims` against `v` at `now`.
pub fn check_claims(
    claims: &Object<'_>,
    v: &Validation<'_>,
    now: UnixTime,
) -> Result<(), JwtError> {
    for name in v.required {
        if claims.get(name).is_none() {
            return Err(JwtError::MissingClaim(name));
        }
    }
    if let Some(iss) = v.issuer {
        match claims.get("iss") {
            None => return Err(JwtError::MissingClaim("iss")),
            Some(Value::String(s)) if s == *iss => {}
            Some(_) => return Err(JwtError::Issuer),
        }
    }
    if let Some(aud) = v.audience {
        match claims.get("aud") {
            None => return Err(JwtError::MissingClaim("aud")),
            Some(a) if audience_contains(a, aud) => {}
            Some(_) => return Err(JwtError::Audience),
        }
    }
    if time_claim(claims, "exp")?.is_some_and(|exp| exp <= now.saturating_sub(v.leeway)) {
        return Err(JwtError::Expired);
    }
    if time_claim(claims, "nbf")?.is_some_and(|nbf| nbf > now.saturating_add(v.leeway)) {
        return Err(JwtError::NotYetValid);
    }
    if time_claim(claims, "iat")?.is_some_and(|iat| iat > now.saturating_add(v.leeway)) {
        return Err(JwtError::IssuedInFuture);
    }
    Ok(())
}

/// A verified token.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Verified<'b> {
    /// The protected header.
    pub header: jws::Header<'b>,
    /// The claims.
    pub claims: Object<'b>,
}

/// Verifies a JWT with one key and checks its claims.
pub fn verify<'b>(
    token: &str,
    key: jws::Key<'_>,
    v: &Validation<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    let compact = jws::Compact::split(token)?;
    let verified = jws::decode(&compact, buf, |header| {
        if !v.algorithms.contains(&header.alg) {
            return Err(JwsError::AlgNotAllowed.into());
        }
        jws::verify_signature(&compact, header.alg, &key)
    })?;
    let claims = Object::parse_bytes(verified.payload).map_err(|_| JwtError::Claims)?;
    check_claims(&claims, v, now)?;
    Ok(Verified {
        header: verified.header,
        claims,
    })
}

/// Verifies a JWT with the key of `jwks` that its header names (`kid`, `alg`), trying each
/// candidate when several fit, and checks its claims.
///
/// No fitting key is [`JwsError::NoMatchingKey`]: the caller should refetch the key set
/// (once) in case the provider rotated its keys.
pub fn verify_with_jwks<'b>(
    token: &str,
    jwks: &Jwks<'_>,
    v: &Validation<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    let (alg, kid, kid_len) = {
        let header = jws::decode_header(token, buf)?;
        let mut kid = [0u8; 256];
        let kid_len = match header.kid {
            Some(k) => Some(
                k.unescape_into(&mut kid)
                    .map_err(|_| JwsError::Header)?
                    .len(),
            ),
            None => None,
        };
        (header.alg, kid, kid_len)
    };
    if !v.algorithms.contains(&alg) {
        return Err(JwsError::AlgNotAllowed.into());
    }
    let kid = kid_len.map(|n| JsonStr::new(core::str::from_utf8(&kid[..n]).unwrap_or("")));
    let compact = jws::Compact::split(token)?;
    let mut last = JwsError::NoMatchingKey.into();
    for jwk in jwks.candidates(kid, alg) {
        let Ok(key) = jwk.public_key() else {
            continue;
        };
        match jws::verify_signature(&compact, alg, &key.as_jws_key()) {
            Ok(()) => return finish(&compact, v, now, buf),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Decodes a token whose signature has been verified and checks its claims.
fn finish<'b>(
    c: &jws::Compact<'_>,
    v: &Validation<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    let verified = jws::decode(c, buf, |_| Ok(()))?;
    let claims = Object::parse_bytes(verified.payload).map_err(|_| JwtError::Claims)?;
    check_claims(&claims, v, now)?;
    Ok(Verified {
        header: verified.header,
        claims,
    })
}
