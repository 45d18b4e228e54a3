//! ID token validation (OpenID Connect Core §3.1.3.7) and the `user` claims kept in a session.
//!
//! Beyond the Next.js SDK, which trusts the token endpoint over TLS, the signature is
//! verified against the provider's JWKS (RS256 or ES256, as listed in its metadata). Then, in
//! order: `iss` equals the discovered issuer exactly; `aud` contains the client id; `azp` is
//! the client id when present (required when `aud` has several values); `exp` and `iat` with
//! the clock tolerance; `nonce`; `auth_time` against `max_age`.

use crate::codec::buf::Writer;
use crate::codec::json::{self, Object, ObjectWriter, Value};
use crate::codec::time::UnixTime;
use crate::jose::jwk::Jwks;
use crate::jose::jws::{self, Algorithm};
use crate::{Error, JwsError, JwtError};

/// The claims `filterDefaultIdTokenClaims` keeps in `user` (SDK 4.30.0).
pub const DEFAULT_ID_TOKEN_CLAIMS: [&str; 11] = [
    "sub",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "picture",
    "email",
    "email_verified",
    "org_id",
    "act",
    "urn:auth0:my_org_current_user_permissions",
];

/// Why an ID token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The signature (or its header) was refused.
    Signature(JwsError),
    /// The header's `alg` is not one the provider lists for ID tokens.
    Algorithm,
    /// A registered claim was refused (`iss`, `aud`, `exp`, `iat`, a missing claim, the wrong
    /// type, claims that are not an object): the JWT rules of [`crate::jose::jwt`].
    Claims(JwtError),
    /// `azp` is not the client id.
    AuthorizedParty,
    /// `aud` lists an audience that is neither the client id nor a configured trusted one
    /// (OpenID Connect Core §3.1.3.7 step 3).
    UntrustedAudience,
    /// A refreshed ID token's `sub` is not the session's user (OpenID Connect Core §12.2).
    Subject,
    /// `nonce` differs from the one sent.
    Nonce,
    /// `auth_time` is older than `max_age` allows.
    AuthTime,
}

impl core::fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            IdTokenError::Signature(_) => "the ID token's signature was refused",
            IdTokenError::Algorithm => {
                "the ID token's alg is not among the provider's id_token_signing_alg_values_supported"
            }
            IdTokenError::Claims(_) => "the ID token's claims were refused",
            IdTokenError::AuthorizedParty => "the ID token's `azp` is not the client id",
            IdTokenError::UntrustedAudience => {
                "the ID token's `aud` lists an audience that is not trusted: add it to id_token_trusted_audiences if it should be"
            }
            IdTokenError::Subject => {
                "the refreshed ID token is for another user than the session's (`sub` differs)"
            }
            IdTokenError::Nonce => "the ID token's `nonce` does not match the login's",
            IdTokenError::AuthTime => "the ID token's `auth_time` is older than `max_age` allows",
        })
    }
}

impl core::error::Error for IdTokenError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            IdTokenError::Signature(e) => Some(e),
            IdTokenError::Claims(e) => Some(e),
            _ => None,
        }
    }
}

impl From<JwtError> for IdTokenError {
    fn from(e: JwtError) -> Self {
        IdTokenError::Claims(e)
    }
}

/// What an ID token must satisfy.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Expected<'a> {
    /// The discovered `issuer`.
    pub issuer: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The `nonce` sent at login (`None` for a refreshed ID token, which may lack one).
    pub nonce: Option<&'a str>,
    /// The `max_age` sent at login, if any.
    pub max_age: Option<i64>,
    /// Seconds of clock tolerance.
    pub leeway: i64,
    /// Audiences besides the client id that an `aud` array may list.
    pub trusted_audiences: crate::config::Strs<'a>,
}

fn int_claim(o: &Object<'_>, name: &'static str) -> Result<Option<i64>, IdTokenError> {
    match o.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_number()
            .and_then(|n| n.floor_i64())
            .map(Some)
            .ok_or(IdTokenError::Claims(JwtError::ClaimType(name))),
    }
}

/// Checks the claims of an ID token whose signature was verified.
pub fn check_claims(c: &Object<'_>, e: &Expected<'_>, now: UnixTime) -> Result<(), IdTokenError> {
    for name in ["iss", "sub", "aud"] {
        if c.get(name).is_none() {
            return Err(IdTokenError::Claims(JwtError::MissingClaim(match name {
                "iss" => "iss",
                "sub" => "sub",
                _ => "aud",
            })));
        }
    }
    let exp = int_claim(c, "exp")?.ok_or(JwtError::MissingClaim("exp"))?;
    let iat = int_claim(c, "iat")?.ok_or(JwtError::MissingClaim("iat"))?;
    if !c.get_str("iss").is_some_and(|i| i == *e.issuer) {
        return Err(JwtError::Issuer.into());
    }
    if c.get_str("sub").is_none() {
        return Err(JwtError::MissingClaim("sub").into());
    }
    let aud = c.get("aud").ok_or(JwtError::MissingClaim("aud"))?;
    if !crate::jose::jwt::audience_contains(aud, e.client_id) {
        return Err(JwtError::Audience.into());
    }
    let several = matches!(aud, Value::Array(a) if a.iter().count() > 1);
    match c.get("azp") {
        Some(Value::String(azp)) if azp != *e.client_id => {
            return Err(IdTokenError::AuthorizedParty);
        }
        Some(Value::String(_)) => {}
        Some(_) => return Err(IdTokenError::AuthorizedParty),
        None if several => return Err(IdTokenError::AuthorizedParty),
        None => {}
    }
    if let Value::Array(a) = aud {
        let trusted = |v: Value<'_>| {
            v.as_json_str()
                .is_some_and(|s| s == *e.client_id || e.trusted_audiences.iter().any(|t| s == *t))
        };
        if !a.iter().all(trusted) {
            return Err(IdTokenError::UntrustedAudience);
        }
    }
    if exp <= now.saturating_sub(e.leeway) {
        return Err(JwtError::Expired.into());
    }
    if iat > now.saturating_add(e.leeway) {
        return Err(JwtError::IssuedInFuture.into());
    }
    if let Some(nonce) = e.nonce
        && !c.get_str("nonce").is_some_and(|n| n == *nonce)
    {
        return Err(IdTokenError::Nonce);
    }
    if let Some(max_age) = e.max_age {
        let auth_time = int_claim(c, "auth_time")?.ok_or(JwtError::MissingClaim("auth_time"))?;
        if auth_time.saturating_add(max_age) < now.saturating_sub(e.leeway) {
            return Err(IdTokenError::AuthTime);
        }
    }
    Ok(())
}

/// Verifies an ID token's signature with `jwks` and checks its claims; returns the claims,
/// decoded into `buf`.
///
/// [`IdTokenError::Signature`] with [`JwsError::NoMatchingKey`] means no key of the set fits:
/// the caller should refetch the JWKS (once) and try again.
pub fn validate<'b>(
    token: &str,
    jwks: &Jwks<'_>,
    supports_alg: impl Fn(&str) -> bool,
    e: &Expected<'_>,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Object<'b>, IdTokenError> {
    let alg = {
        let header = jws::decode_header(token, buf).map_err(|err| match err {
            Error::Jws(j) => IdTokenError::Signature(j),
            _ => IdTokenError::Signature(JwsError::Header),
        })?;
        header.alg
    };
    if !supports_alg(alg.as_str()) {
        return Err(IdTokenError::Algorithm);
    }
    let v = crate::jose::jwt::Validation {
        algorithms: &[Algorithm::RS256, Algorithm::ES256],
        issuer: None,
        audience: None,
        leeway: e.leeway,
        required: &[],
    };
    // Time claims are checked by `check_claims` with the OIDC rules; the JWT helper's own
    // checks use the same leeway.
    let verified =
        crate::jose::jwt::verify_with_jwks(token, jwks, &v, now, buf).map_err(|err| match err {
            Error::Jws(j) => IdTokenError::Signature(j),
            Error::Jwt(j) => IdTokenError::Claims(j),
            _ => IdTokenError::Claims(JwtError::Claims),
        })?;
    check_claims(&verified.claims, e, now)?;
    Ok(verified.claims)
}

/// Writes the claims object keeping only [`DEFAULT_ID_TOKEN_CLAIMS`], in the claims' order, in
/// `JSON.stringify` form (the SDK's `filterDefaultIdTokenClaims`).
pub fn write_default_claims(claims: &Object<'_>, w: &mut Writer<'_>) -> Result<(), Error> {
    write_claims_where(claims, w, |k| {
        DEFAULT_ID_TOKEN_CLAIMS.iter().any(|d| k == *d)
    })
}

/// Writes the claims object keeping the members `keep` accepts, in `JSON.stringify` form.
pub fn write_claims_where(
    claims: &Object<'_>,
    w: &mut Writer<'_>,
    keep: impl Fn(&json::JsonStr<'_>) -> bool,
) -> Result<(), Error> {
    let mut o = ObjectWriter::begin(w)?;
    for (k, v) in claims.members() {
        if keep(&k) {
            let vw = o.key_json(k)?;
            json::write_value(vw, v)?;
        }
    }
    o.end()
}

/// `session_expiry` as the IPSIE ceiling, when it is a number above 0 and below 10^10.
pub fn session_expiry(claims: &Object<'_>) -> Option<i64> {
    let v = claims.get("session_expiry")?.as_number()?.floor_i64()?;
    (v > 0 && v < 10_000_000_000).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::format;
    use std::string::String;

    const NOW: i64 = 1_800_000_000;

    fn claims(json: &str) -> Object<'_> {
        Object::parse(json).unwrap()
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: "https://t.auth0.com/",
            client_id: "cid",
            nonce: Some("n"),
            max_age: None,
            leeway: 30,
            trusted_audiences: crate::config::Strs::new(&["api"]),
        }
    }

    #[test]
    fn claim_checks_in_order() {
        let ok = format!(
            r#"{{"iss":"https://t.auth0.com/","sub":"u","aud":"cid","exp":{},"iat":{NOW},"nonce":"n"}}"#,
            NOW + 60
        );
        assert_eq!(check_claims(&claims(&ok), &expected(), NOW), Ok(()));
        let cases: [(String, IdTokenError); 9] = [
            (
                ok.replace("https://t.auth0.com/", "https://t.auth0.com"),
                IdTokenError::Claims(JwtError::Issuer),
            ),
            (
                ok.replace(r#""aud":"cid""#, r#""aud":"other""#),
                IdTokenError::Claims(JwtError::Audience),
            ),
            (
                ok.replace(r#""aud":"cid""#, r#""aud":["cid","api"]"#),
                IdTokenError::AuthorizedParty,
            ),
            (
                ok.replace(r#""aud":"cid""#, r#""aud":["cid","api"],"azp":"x""#),
                IdTokenError::AuthorizedParty,
            ),
            (
                ok.replace(r#""nonce":"n""#, r#""nonce":"m""#),
                IdTokenError::Nonce,
            ),
            (ok.replace(r#","nonce":"n""#, ""), IdTokenError::Nonce),
            (
                ok.replace(&format!("{}", NOW + 60), &format!("{}", NOW - 31)),
                IdTokenError::Claims(JwtError::Expired),
            ),
            (
                ok.replace(
                    &format!(r#""iat":{NOW}"#),
                    &format!(r#""iat":{}"#, NOW + 31),
                ),
                IdTokenError::Claims(JwtError::IssuedInFuture),
            ),
            (
                ok.replace(r#""sub":"u","#, ""),
                IdTokenError::Claims(JwtError::MissingClaim("sub")),
            ),
        ];
        for (c, err) in cases {
            assert_eq!(check_claims(&claims(&c), &expected(), NOW), Err(err), "{c}");
        }
        // azp with several audiences, and no nonce required after a refresh.
        let multi = ok.replace(r#""aud":"cid""#, r#""aud":["cid","api"],"azp":"cid""#);
        assert_eq!(check_claims(&claims(&multi), &expected(), NOW), Ok(()));
        // An audience that is not trusted is refused (OIDC Core 3.1.3.7 step 3).
        let untrusted = ok.replace(r#""aud":"cid""#, r#""aud":["cid","evil"],"azp":"cid""#);
        assert_eq!(
            check_claims(&claims(&untrusted), &expected(), NOW),
            Err(IdTokenError::UntrustedAudience)
        );
        let refreshed = ok.replace(r#","nonce":"n""#, "");
        assert_eq!(
            check_claims(
                &claims(&refreshed),
                &Expected {
                    nonce: None,
                    ..expected()
                },
                NOW
            ),
            Ok(())
        );
        // max_age needs auth_time within it.
        let e = Expected {
            max_age: Some(60),
            ..expected()
        };
        assert_eq!(
            check_claims(&claims(&ok), &e, NOW),
            Err(IdTokenError::Claims(JwtError::MissingClaim("auth_time")))
        );
        let fresh = ok.replace(
            r#""sub":"u""#,
            &format!(r#""sub":"u","auth_time":{}"#, NOW - 50),
        );
        assert_eq!(check_claims(&claims(&fresh), &e, NOW), Ok(()));
        let stale = ok.replace(
            r#""sub":"u""#,
            &format!(r#""sub":"u","auth_time":{}"#, NOW - 200),
        );
        assert_eq!(
            check_claims(&claims(&stale), &e, NOW),
            Err(IdTokenError::AuthTime)
        );
    }

    #[test]
    fn default_claim_filter() {
        let c = claims(
            r#"{"iss":"x","sub":"u","sid":"s","name":"N\u00e9","https://x/roles":["a"],"email_verified":true,"act":{"sub":"a"}}"#,
        );
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf, "t");
        write_default_claims(&c, &mut w).unwrap();
        assert_eq!(
            w.as_str(),
            r#"{"sub":"u","name":"Né","email_verified":true,"act":{"sub":"a"}}"#
        );
        assert_eq!(
            session_expiry(&claims(r#"{"session_expiry":1900000000}"#)),
            Some(1_900_000_000)
        );
        assert_eq!(
            session_expiry(&claims(r#"{"session_expiry":99999999999}"#)),
            None
        );
        assert_eq!(session_expiry(&claims(r#"{"session_expiry":"1"}"#)), None);
    }
}
