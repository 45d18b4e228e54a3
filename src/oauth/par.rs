//! Pushed Authorization Requests (RFC 9126), as `@auth0/nextjs-auth0` v4 makes them with
//! `pushedAuthorizationRequests: true`.
//!
//! The login flow, in order: [`endpoint`] (the provider must publish
//! `pushed_authorization_request_endpoint`); [`request`], whose body is the authorization
//! request's parameters ([`authorize::write_params`], the query [`authorize::write_url`] would
//! write) followed by client authentication, POSTed without DPoP; [`parse_response`] for the
//! `201` answer; then [`write_redirect`] for the browser:
//! `authorization_endpoint?request_uri=…&client_id=…` (the SDK's order).
//!
//! Any failure answers the login request with HTTP 500 and the SDK's text
//! ([`ParError::status`], [`ParError::message`]); [`ParError::reason`] is what went wrong.

use super::authorize::{self, Secrets};
use super::client_auth::ClientAuth;
use super::discovery::Metadata;
use super::form_body::{finish, push_form_json, write_client_credentials};
use super::token::{OAuthError, TokenRequest, parse_error};
use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::codec::json::{JsonStr, Object, Value};
use crate::codec::time::UnixTime;
use crate::config::Config;
use core::fmt;
use rand_core::CryptoRngCore;

/// The body of the login route's 500 answer when the push cannot be made or fails.
pub const LOGIN_ERROR_MESSAGE: &str =
    "An error occurred while trying to initiate the login request.";
/// The SDK's error when the provider has no `pushed_authorization_request_endpoint`.
pub const NOT_SUPPORTED_MESSAGE: &str =
    "The authorization server does not support pushed authorization requests.";
/// The SDK's `AuthorizationError` message when the push is refused.
pub const PUSH_FAILED_MESSAGE: &str = "An error occurred while pushing the authorization request.";
/// The status of a successful push.
pub const CREATED: u16 = 201;

/// Why the authorization request could not be pushed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParError<'a> {
    /// The provider publishes no `pushed_authorization_request_endpoint`: enable PAR for the
    /// tenant, or turn `pushed_authorization_requests` off.
    NotSupported,
    /// The endpoint answered with an OAuth error.
    Provider {
        /// The HTTP status.
        status: u16,
        /// The provider's error.
        error: OAuthError<'a>,
    },
    /// The answer is not a `201` with a `request_uri` and `expires_in`.
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
}

impl<'a> ParError<'a> {
    /// The status of the login route's answer: 500.
    pub fn status(&self) -> u16 {
        500
    }

    /// The body of the login route's answer: [`LOGIN_ERROR_MESSAGE`].
    pub fn message(&self) -> &'static str {
        LOGIN_ERROR_MESSAGE
    }

    /// The SDK's inner error message: [`NOT_SUPPORTED_MESSAGE`] or [`PUSH_FAILED_MESSAGE`]
    /// (an `AuthorizationError`, code `authorization_error`, whose cause is the provider's
    /// error).
    pub fn reason(&self) -> &'static str {
        match self {
            ParError::NotSupported => NOT_SUPPORTED_MESSAGE,
            _ => PUSH_FAILED_MESSAGE,
        }
    }

    /// The provider's error, when it sent one.
    pub fn oauth_error(&self) -> Option<OAuthError<'a>> {
        match self {
            ParError::Provider { error, .. } => Some(*error),
            _ => None,
        }
    }
}

impl fmt::Display for ParError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParError::NotSupported => write!(
                f,
                "{NOT_SUPPORTED_MESSAGE} Enable pushed authorization requests for the application, or turn them off in the configuration"
            ),
            ParError::Provider { status, error } => {
                write!(f, "{PUSH_FAILED_MESSAGE} HTTP {status}: {}", error.error)?;
                match error.error_description {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            ParError::Malformed { status, reason } => {
                write!(f, "{PUSH_FAILED_MESSAGE} HTTP {status}: {reason}")
            }
        }
    }
}

impl core::error::Error for ParError<'_> {}

/// The provider's `pushed_authorization_request_endpoint`, or [`ParError::NotSupported`].
pub fn endpoint<'a>(m: &Metadata<'a>) -> Result<&'a str, ParError<'static>> {
    m.pushed_authorization_request_endpoint
        .ok_or(ParError::NotSupported)
}

/// The authorization request to push: the arguments of [`authorize::write_url`] but the
/// endpoint and configuration.
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct Request<'a> {
    /// Raw query strings of request parameters, later ones winning (see
    /// [`authorize::write_url`]).
    pub sources: &'a [&'a str],
    /// The scope in effect ([`authorize::scope`]).
    pub scope: Option<&'a str>,
    /// The audience in effect ([`authorize::audience`]).
    pub audience: Option<&'a str>,
    /// The `redirect_uri`.
    pub redirect_uri: &'a str,
    /// `state`, `nonce`, `code_challenge`, `dpop_jkt`.
    pub secrets: Secrets<'a>,
}

/// Writes the push request into `buf`: the authorization request's parameters, then client
/// authentication (`client_id` stays where the parameters have it).
///
/// ```
/// use auth0_edge::config::{ClientAuth as ConfigAuth, Config};
/// use auth0_edge::oauth::{authorize::Secrets, par, ClientAuth};
/// let config = Config::new("t.auth0.com", "cid", ConfigAuth::SecretPost("s"), "http://localhost:3000");
/// let r = par::Request {
///     sources: &[],
///     scope: Some("openid"),
///     audience: None,
///     redirect_uri: "http://localhost:3000/auth/callback",
///     secrets: Secrets { state: "st", nonce: "no", code_challenge: "ch", dpop_jkt: None },
/// };
/// let mut buf = [0u8; 512];
/// let req = par::request(&config, &r, &ClientAuth::SecretPost("s"), "https://t.auth0.com/", 0, &mut rand_core::OsRng, &mut buf)?;
/// assert_eq!(req.body, "scope=openid&client_id=cid&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fauth%2Fcallback\
/// &response_type=code&code_challenge=ch&code_challenge_method=S256&state=st&nonce=no&client_secret=s");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn request<'b>(
    config: &Config<'_>,
    r: &Request<'_>,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<TokenRequest<'b>, Error> {
    let mut w = Writer::new(buf, "pushed authorization request");
    {
        let mut f = FormWriter::new(&mut w, '\0');
        authorize::write_params(
            &mut f,
            config,
            r.sources,
            r.scope,
            r.audience,
            r.redirect_uri,
            &r.secrets,
        )?;
        write_client_credentials(&mut f, config.client_id, auth, issuer, now, rng)?;
    }
    finish(w, config.client_id, auth)
}

/// A successful push (RFC 9126 §2.2).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct PushedAuthorizationResponse<'a> {
    /// `request_uri`: the reference the browser takes to the authorization endpoint.
    pub request_uri: JsonStr<'a>,
    /// `expires_in`: seconds the `request_uri` stays usable.
    pub expires_in: i64,
    /// The whole answer.
    pub raw: Object<'a>,
}

/// Reads the push's answer: `201` with a non-empty string `request_uri` and an `expires_in`
/// that is a non-negative number (or a string of one), as oauth4webapi requires; another
/// status is the provider's OAuth error, or [`ParError::Malformed`].
pub fn parse_response(
    status: u16,
    body: &[u8],
) -> Result<PushedAuthorizationResponse<'_>, ParError<'_>> {
    let malformed = |reason| ParError::Malformed { status, reason };
    let Ok(o) = Object::parse_bytes(body) else {
        return Err(malformed("the body is not a JSON object"));
    };
    if status != CREATED {
        return Err(match parse_error(&o) {
            Some(error) => ParError::Provider { status, error },
            None => malformed("not 201 Created, and no OAuth `error` member"),
        });
    }
    let request_uri = o
        .get_str("request_uri")
        .filter(|s| !s.is_empty())
        .ok_or(malformed("`request_uri` is missing or not a string"))?;
    let bad = malformed("`expires_in` is missing or not a non-negative number");
    let expires_in = match o.get("expires_in") {
        Some(Value::Number(n)) => n.floor_i64(),
        Some(Value::String(s)) => s.as_str().and_then(|s| s.trim().parse::<i64>().ok()),
        _ => None,
    }
    .filter(|n| *n >= 0)
    .ok_or(bad)?;
    Ok(PushedAuthorizationResponse {
        request_uri,
        expires_in,
        raw: o,
    })
}

/// Writes where the browser goes after a push: `authorization_endpoint` with `request_uri`
/// then `client_id` (`&` after a query the endpoint already has).
///
/// ```
/// use auth0_edge::codec::buf::Writer;
/// let mut buf = [0u8; 256];
/// let mut w = Writer::new(&mut buf, "url");
/// auth0_edge::oauth::par::write_redirect(&mut w, "https://t.auth0.com/authorize", "cid",
///     "urn:ietf:params:oauth:request_uri:6esc_11ACC5bwc014ltc14eY22c".into())?;
/// assert_eq!(w.as_str(), "https://t.auth0.com/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth\
/// %3Arequest_uri%3A6esc_11ACC5bwc014ltc14eY22c&client_id=cid");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn write_redirect(
    w: &mut Writer<'_>,
    authorization_endpoint: &str,
    client_id: &str,
    request_uri: JsonStr<'_>,
) -> Result<(), Error> {
    w.push_str(authorization_endpoint)?;
    let sep = if authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut f = FormWriter::new(w, sep);
    push_form_json(f.pair_with("request_uri")?, request_uri)?;
    f.pair("client_id", client_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientAuth as ConfigAuth;
    use crate::jose::jwk::EcKeyPair;
    extern crate std;
    use std::string::{String, ToString};

    fn config() -> Config<'static> {
        Config::new(
            "t.auth0.com",
            "cid",
            ConfigAuth::SecretPost("s"),
            "http://localhost:3000",
        )
    }

    fn secrets() -> Secrets<'static> {
        Secrets {
            state: "S",
            nonce: "N",
            code_challenge: "C",
            dpop_jkt: Some("J"),
        }
    }

    fn push(auth: &ClientAuth<'_>, sources: &[&str]) -> (String, Option<String>) {
        let r = Request {
            sources,
            scope: Some("openid profile"),
            audience: Some("https://api"),
            redirect_uri: "https://app/cb",
            secrets: secrets(),
        };
        let mut buf = [0u8; 2048];
        let req = request(
            &config(),
            &r,
            auth,
            "https://t.auth0.com/",
            100,
            &mut rand_core::OsRng,
            &mut buf,
        )
        .unwrap();
        (req.body.to_string(), req.authorization.map(String::from))
    }

    #[test]
    fn the_body_is_the_authorize_query_plus_credentials() {
        let sources = ["connection=github&state=evil&prompt=login"];
        let (body, basic) = push(&ClientAuth::SecretPost("p w"), &sources);
        let mut url = [0u8; 1024];
        let mut w = Writer::new(&mut url, "url");
        authorize::write_url(
            &mut w,
            "https://t.auth0.com/authorize",
            &config(),
            &sources,
            Some("openid profile"),
            Some("https://api"),
            "https://app/cb",
            &secrets(),
        )
        .unwrap();
        let query = w.as_str().split_once('?').unwrap().1;
        assert_eq!(body, std::format!("{query}&client_secret=p+w"));
        assert_eq!(
            body,
            "scope=openid+profile&audience=https%3A%2F%2Fapi&connection=github&prompt=login&client_id=cid&redirect_uri=https%3A%2F%2Fapp%2Fcb&response_type=code&code_challenge=C&code_challenge_method=S256&state=S&nonce=N&dpop_jkt=J&client_secret=p+w"
        );
        assert_eq!(basic, None);
        let (body, basic) = push(&ClientAuth::SecretBasic("p"), &[]);
        assert!(body.ends_with("&dpop_jkt=J"));
        assert_eq!(basic.as_deref(), Some("Basic Y2lkOnA="));
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let (body, _) = push(&ClientAuth::PrivateKeyJwt(&key), &[]);
        assert!(body.contains("&dpop_jkt=J&client_assertion_type=urn%3Aietf"));
        assert_eq!(body.matches("client_id=").count(), 1);
        let r = Request {
            sources: &[],
            scope: None,
            audience: None,
            redirect_uri: "https://app/cb",
            secrets: secrets(),
        };
        let mut small = [0u8; 40];
        assert!(matches!(
            request(
                &config(),
                &r,
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
    fn responses() {
        let ok = parse_response(
            201,
            br#"{"request_uri":"urn:ietf:params:oauth:request_uri:abc","expires_in":60}"#,
        )
        .unwrap();
        assert_eq!(ok.request_uri, "urn:ietf:params:oauth:request_uri:abc");
        assert_eq!(ok.expires_in, 60);
        assert_eq!(
            parse_response(201, br#"{"request_uri":"r","expires_in":"90"}"#)
                .unwrap()
                .expires_in,
            90
        );
        let e = parse_response(
            400,
            br#"{"error":"invalid_request","error_description":"PAR is not enabled"}"#,
        )
        .unwrap_err();
        assert_eq!(e.oauth_error().unwrap().error, "invalid_request");
        assert_eq!(e.status(), 500);
        assert_eq!(e.message(), LOGIN_ERROR_MESSAGE);
        assert_eq!(e.reason(), PUSH_FAILED_MESSAGE);
        for (status, body) in [
            (201, &br#"{"expires_in":60}"#[..]),
            (201, br#"{"request_uri":"","expires_in":60}"#),
            (201, br#"{"request_uri":5,"expires_in":60}"#),
            (201, br#"{"request_uri":"r"}"#),
            (201, br#"{"request_uri":"r","expires_in":-1}"#),
            (201, br#"{"request_uri":"r","expires_in":"soon"}"#),
            (200, br#"{"request_uri":"r","expires_in":60}"#),
            (500, b"<html>"),
        ] {
            assert!(
                matches!(
                    parse_response(status, body),
                    Err(ParError::Malformed { .. })
                ),
                "{body:?}"
            );
        }
    }

    #[test]
    fn endpoint_and_redirect() {
        let m = Metadata::parse(r#"{"issuer":"https://t/","authorization_endpoint":"https://t/authorize","token_endpoint":"t","jwks_uri":"j"}"#).unwrap();
        assert_eq!(endpoint(&m), Err(ParError::NotSupported));
        assert_eq!(ParError::NotSupported.reason(), NOT_SUPPORTED_MESSAGE);
        let m = Metadata::parse(r#"{"issuer":"https://t/","authorization_endpoint":"https://t/authorize","token_endpoint":"t","jwks_uri":"j","pushed_authorization_request_endpoint":"https://t/oauth/par"}"#).unwrap();
        assert_eq!(endpoint(&m), Ok("https://t/oauth/par"));
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf, "t");
        write_redirect(&mut w, "https://t/authorize?x=1", "c id", "r".into()).unwrap();
        assert_eq!(
            w.as_str(),
            "https://t/authorize?x=1&request_uri=r&client_id=c+id"
        );
    }
}
