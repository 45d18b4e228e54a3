//! Token endpoint messages (RFC 6749 §4.1.3, §6; RFC 7636; RFC 7523; RFC 8707): request
//! bodies with client authentication, and checked views of token and error responses.
//!
//! Provider quirks are data, not errors: `expires_in` as a number or a numeric string, a
//! missing `refresh_token` or `id_token`, `token_type` in any case, unknown members.

use super::client_auth::{ClientAuth, write_client_auth};
use super::form_body::{finish, push_form_json};
use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::codec::json::{JsonStr, Object, Value};
use crate::codec::time::UnixTime;
use crate::{Error, JsonError};
use rand_core::CryptoRngCore;

/// The grant of a token request.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Grant<'a> {
    /// `authorization_code` with PKCE.
    AuthorizationCode {
        /// The `code` from the callback.
        code: &'a str,
        /// The `redirect_uri` sent to `/authorize`.
        redirect_uri: &'a str,
        /// The PKCE `code_verifier`.
        code_verifier: JsonStr<'a>,
    },
    /// `refresh_token`.
    RefreshToken {
        /// The refresh token.
        refresh_token: JsonStr<'a>,
        /// `scope`, sent only when the caller asked for one.
        scope: Option<&'a str>,
        /// `audience`, sent only when the caller asked for one.
        audience: Option<&'a str>,
    },
}

/// A token request: the form body, and the `Authorization` header value when
/// `client_secret_basic` is used.
#[non_exhaustive]
pub struct TokenRequest<'b> {
    /// The form-encoded body.
    pub body: &'b str,
    /// `Basic …`, for `client_secret_basic`.
    pub authorization: Option<&'b str>,
}

/// Writes a token request for `grant` into `buf`.
///
/// `issuer` is the audience of a `private_key_jwt` client assertion.
///
/// ```
/// use auth0_edge::oauth::{self, ClientAuth, Grant};
/// let mut buf = [0u8; 512];
/// let grant = Grant::RefreshToken { refresh_token: "rt".into(), scope: None, audience: None };
/// let req = oauth::token_request(&grant, "cid", &ClientAuth::SecretPost("s3cret"), "https://t.auth0.com/", 0, &mut rand_core::OsRng, &mut buf)?;
/// assert_eq!(req.body, "grant_type=refresh_token&refresh_token=rt&client_id=cid&client_secret=s3cret");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn token_request<'b>(
    grant: &Grant<'_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let mut w = Writer::new(buf, "token request");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        match grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                f.pair("grant_type", "authorization_code")?;
                f.pair("code", code)?;
                f.pair("redirect_uri", redirect_uri)?;
                push_form_json(f.pair_with("code_verifier")?, *code_verifier)?;
            }
            Grant::RefreshToken {
                refresh_token,
                scope,
                audience,
            } => {
                f.pair("grant_type", "refresh_token")?;
                push_form_json(f.pair_with("refresh_token")?, *refresh_token)?;
                if let Some(scope) = scope {
                    f.pair("scope", scope)?;
                }
                if let Some(audience) = audience {
                    f.pair("audience", audience)?;
                }
            }
        }
        write_client_auth(&mut f, client_id, auth, issuer, now, rng)?;
    }
    finish(w, client_id, auth)
}

/// Writes a token revocation request (RFC 7009) for a refresh token into `buf`.
pub fn revocation_request<'b>(
    token: JsonStr<'_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let mut w = Writer::new(buf, "revocation request");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        push_form_json(f.pair_with("token")?, token)?;
        f.pair("token_type_hint", "refresh_token")?;
        write_client_auth(&mut f, client_id, auth, issuer, now, rng)?;
    }
    finish(w, client_id, auth)
}

/// A successful token response.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct TokenResponse<'a> {
    /// `access_token`.
    pub access_token: JsonStr<'a>,
    /// `token_type` as sent (compare case-insensitively).
    pub token_type: Option<JsonStr<'a>>,
    /// `expires_in`, seconds (a number, or a string of digits).
    pub expires_in: Option<i64>,
    /// `refresh_token`, when issued or rotated.
    pub refresh_token: Option<JsonStr<'a>>,
    /// `id_token`, when issued.
    pub id_token: Option<JsonStr<'a>>,
    /// `scope` granted.
    pub scope: Option<JsonStr<'a>>,
    /// The whole response (`authorization_details` and other members).
    pub raw: Object<'a>,
}

/// An OAuth 2.0 error response (RFC 6749 §5.2).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct OAuthError<'a> {
    /// `error`.
    pub error: JsonStr<'a>,
    /// `error_description`.
    pub error_description: Option<JsonStr<'a>>,
}

/// Why a token endpoint response could not be used.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum TokenResponseError<'a> {
    /// The server answered with an OAuth error.
    OAuth {
        /// The HTTP status.
        status: u16,
        /// The error.
        error: OAuthError<'a>,
    },
    /// The response is not a JSON object with a string `access_token` (or an error object).
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
}

fn str_member<'a>(o: &Object<'a>, name: &'static str) -> Result<Option<JsonStr<'a>>, &'static str> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(name),
    }
}

/// Reads a token endpoint response.
pub fn parse_token_response(
    status: u16,
    body: &[u8],
) -> Result<TokenResponse<'_>, TokenResponseError<'_>> {
    let malformed = |reason| TokenResponseError::Malformed { status, reason };
    let Ok(o) = Object::parse_bytes(body) else {
        return Err(malformed("the body is not a JSON object"));
    };
    if !(200..300).contains(&status) || o.get("error").is_some() {
        return Err(match parse_error(&o) {
            Some(error) => TokenResponseError::OAuth { status, error },
            None => malformed("an error status without an OAuth `error` member"),
        });
    }
    let bad_type = |_| malformed("a member has the wrong type");
    let access_token = str_member(&o, "access_token")
        .map_err(bad_type)?
        .filter(|s| !s.is_empty())
        .ok_or(malformed("`access_token` is missing"))?;
    let expires_in = match o.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.floor_i64()
                .ok_or(malformed("`expires_in` is not a number"))?,
        ),
        Some(Value::String(s)) => Some(
            s.as_str()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or(malformed("`expires_in` is not a number"))?,
        ),
        Some(_) => return Err(malformed("`expires_in` is not a number")),
    };
    Ok(TokenResponse {
        access_token,
        token_type: str_member(&o, "token_type").map_err(bad_type)?,
        expires_in,
        refresh_token: str_member(&o, "refresh_token").map_err(bad_type)?,
        id_token: str_member(&o, "id_token").map_err(bad_type)?,
        scope: str_member(&o, "scope").map_err(bad_type)?,
        raw: o,
    })
}

/// Reads `error` and `error_description` from an error response object.
pub fn parse_error<'a>(o: &Object<'a>) -> Option<OAuthError<'a>> {
    Some(OAuthError {
        error: o.get_str("error")?,
        error_description: o.get_str("error_description"),
    })
}

/// Whether a `token_type` is `DPoP` (case-insensitive).
pub fn is_dpop(token_type: Option<JsonStr<'_>>) -> bool {
    token_type.is_some_and(|t| t.chars().map(|c| c.to_ascii_lowercase()).eq("dpop".chars()))
}

impl From<JsonError> for TokenResponseError<'_> {
    fn from(_: JsonError) -> Self {
        TokenResponseError::Malformed {
            status: 0,
            reason: "the body is not JSON",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::jwk::EcKeyPair;

    #[test]
    fn authorization_code_request_with_each_auth() {
        let grant = Grant::AuthorizationCode {
            code: "c o+d",
            redirect_uri: "https://app.example.com/auth/callback",
            code_verifier: "v".into(),
        };
        let mut buf = [0u8; 1024];
        let r = token_request(
            &grant,
            "cid",
            &ClientAuth::SecretPost("s&x"),
            "iss",
            0,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            r.body,
            "grant_type=authorization_code&code=c+o%2Bd&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fcallback&code_verifier=v&client_id=cid&client_secret=s%26x"
        );
        assert!(r.authorization.is_none());
        let mut buf = [0u8; 1024];
        let r = token_request(
            &grant,
            "c:id",
            &ClientAuth::SecretBasic("se cret"),
            "iss",
            0,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        assert!(!r.body.contains("client_secret") && !r.body.contains("client_id"));
        // base64("c%3Aid:se+cret")
        assert_eq!(r.authorization, Some("Basic YyUzQWlkOnNlK2NyZXQ="));
    }

    #[test]
    fn private_key_jwt_assertion() {
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let grant = Grant::RefreshToken {
            refresh_token: "rt".into(),
            scope: Some("openid read"),
            audience: Some("https://api"),
        };
        let mut buf = [0u8; 2048];
        let r = token_request(
            &grant,
            "cid",
            &ClientAuth::PrivateKeyJwt(&key),
            "https://t.example/",
            100,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        assert!(r.body.starts_with("grant_type=refresh_token&refresh_token=rt&scope=openid+read&audience=https%3A%2F%2Fapi&client_id=cid&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=ey"));
        let jwt = r.body.rsplit("client_assertion=").next().unwrap();
        let mut vbuf = [0u8; 1024];
        let public = key.public_key();
        let v = crate::jose::jws::verify(
            jwt,
            public.as_jws_key(),
            &[crate::jose::jws::Algorithm::ES256],
            &mut vbuf,
        )
        .unwrap();
        let claims = Object::parse_bytes(v.payload).unwrap();
        assert_eq!(claims.get_str("aud").unwrap(), "https://t.example/");
        assert_eq!(claims.get_i64("exp"), Some(160));
        assert_eq!(claims.get_str("sub").unwrap(), "cid");
    }

    #[test]
    fn token_responses_and_quirks() {
        let r = parse_token_response(200, br#"{"access_token":"at","token_type":"Bearer","expires_in":"86400","scope":"openid","extra":[1]}"#).unwrap();
        assert_eq!(r.expires_in, Some(86400));
        assert!(r.refresh_token.is_none() && r.id_token.is_none());
        assert!(!is_dpop(r.token_type));
        assert!(is_dpop(Some("DPoP".into())));
        let e = parse_token_response(
            400,
            br#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#,
        )
        .unwrap_err();
        match e {
            TokenResponseError::OAuth { status: 400, error } => {
                assert_eq!(error.error, "invalid_grant");
                assert_eq!(
                    error.error_description.unwrap(),
                    "Unknown or invalid refresh token."
                );
            }
            other => panic!("{other:?}"),
        }
        for (status, body) in [
            (200, &b"<html>"[..]),
            (200, br#"{"token_type":"Bearer"}"#),
            (200, br#"{"access_token":7}"#),
            (200, br#"{"access_token":"a","expires_in":"soon"}"#),
            (500, br#"{"message":"down"}"#),
            (502, b""),
        ] {
            assert!(
                matches!(
                    parse_token_response(status, body),
                    Err(TokenResponseError::Malformed { .. })
                ),
                "{body:?}"
            );
        }
    }
}
