//! OpenID Provider metadata (OpenID Connect Discovery 1.0): where it is ([`write_url`]) and a
//! checked view of it ([`Metadata`]).
//!
//! URLs are taken from the document as they are, and the `issuer` is compared exactly, so a
//! provider with or without a trailing slash in its issuer works as published. The documents
//! are kept between requests by the runtime's [`crate::runtime::ProviderCache`], in their
//! compact form ([`Metadata::write_compact`]: the [`USED_MEMBERS`] only, a few hundred bytes of
//! an Auth0 document of 4-6 KB).

use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object, ObjectWriter};
use crate::codec::url::Url;
use crate::config::Config;
use crate::{Error, JsonError};

/// How long discovery metadata is reused (the SDK's TTL).
pub const DISCOVERY_TTL: i64 = 600;
/// How long a JWKS is reused before it is fetched again.
pub const JWKS_TTL: i64 = 600;
/// The least time between two fetches of the JWKS caused by an unknown `kid`.
pub const JWKS_REFETCH_INTERVAL: i64 = 30;

/// The path of the discovery document under the domain (OpenID Connect Discovery 1.0 §4).
pub const WELL_KNOWN_PATH: &str = "/.well-known/openid-configuration";

/// Writes the discovery URL of the configured domain: its origin (`https://` for a bare host)
/// followed by [`WELL_KNOWN_PATH`].
///
/// ```
/// use auth0_edge::config::{ClientAuth, Config};
/// let config = Config::new("tenant.us.auth0.com", "cid", ClientAuth::None, "http://localhost:3000");
/// let mut buf = [0u8; 128];
/// let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "url");
/// auth0_edge::oauth::discovery::write_url(&mut w, &config)?;
/// assert_eq!(w.as_str(), "https://tenant.us.auth0.com/.well-known/openid-configuration");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn write_url(w: &mut Writer<'_>, config: &Config<'_>) -> Result<(), Error> {
    let (scheme, host) = config.domain_parts();
    w.push_str(scheme)?;
    w.push_str("://")?;
    w.push_str(host)?;
    w.push_str(WELL_KNOWN_PATH)
}

/// The members of a discovery document that [`Metadata`] reads, and all that its compact form
/// ([`Metadata::write_compact`], what the flows cache and keep in their work buffer) keeps. A
/// flow that needs another member of the document adds it here.
pub const USED_MEMBERS: [&str; 11] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "end_session_endpoint",
    "revocation_endpoint",
    "pushed_authorization_request_endpoint",
    "backchannel_authentication_endpoint",
    "userinfo_endpoint",
    "authorization_response_iss_parameter_supported",
    "id_token_signing_alg_values_supported",
];

/// The discovery document, viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Metadata<'a> {
    /// The document as parsed. Metadata the flows fetched or cached is the compact form, with
    /// the [`USED_MEMBERS`] only.
    pub raw: Object<'a>,
    /// `issuer`.
    pub issuer: &'a str,
    /// `authorization_endpoint`.
    pub authorization_endpoint: &'a str,
    /// `token_endpoint`.
    pub token_endpoint: &'a str,
    /// `jwks_uri`.
    pub jwks_uri: &'a str,
    /// `end_session_endpoint` (RP-Initiated Logout), if supported.
    pub end_session_endpoint: Option<&'a str>,
    /// `revocation_endpoint`, if supported.
    pub revocation_endpoint: Option<&'a str>,
    /// `pushed_authorization_request_endpoint`, if supported.
    pub pushed_authorization_request_endpoint: Option<&'a str>,
    /// `backchannel_authentication_endpoint` (CIBA), if supported.
    pub backchannel_authentication_endpoint: Option<&'a str>,
    /// `userinfo_endpoint`, if any.
    pub userinfo_endpoint: Option<&'a str>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
}

/// Why discovered metadata is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataError {
    /// `issuer` is not the configured domain's origin (OpenID Connect Discovery 1.0 §4.3).
    IssuerMismatch,
    /// An endpoint is not `https` (and insecure requests are not allowed).
    InsecureEndpoint(&'static str),
}

impl core::fmt::Display for MetadataError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MetadataError::IssuerMismatch => f.write_str(
                "the discovered issuer is not the configured domain: check AUTH0_DOMAIN (a custom domain must be configured as itself)",
            ),
            MetadataError::InsecureEndpoint(name) => write!(
                f,
                "the discovered `{name}` is not an https URL; only loopback providers, or allow_insecure_requests, may use http"
            ),
        }
    }
}

impl core::error::Error for MetadataError {}

fn url<'a>(o: &Object<'a>, name: &'static str) -> Result<Option<&'a str>, JsonError> {
    match o.get(name) {
        None => Ok(None),
        Some(v) => match v.as_json_str().and_then(|s: JsonStr<'a>| s.as_str()) {
            Some(s) if !s.is_empty() => Ok(Some(s)),
            _ => Err(JsonError::WrongType {
                field: name,
                expected: "a URL string",
            }),
        },
    }
}

fn required<'a>(o: &Object<'a>, name: &'static str) -> Result<&'a str, JsonError> {
    url(o, name)?.ok_or(JsonError::Missing { field: name })
}

impl<'a> Metadata<'a> {
    /// Reads and checks a discovery document: `issuer`, `authorization_endpoint`,
    /// `token_endpoint` and `jwks_uri` are required strings.
    pub fn parse(json: &'a str) -> Result<Metadata<'a>, Error> {
        let raw = Object::parse(json)?;
        Ok(Metadata {
            raw,
            issuer: required(&raw, "issuer")?,
            authorization_endpoint: required(&raw, "authorization_endpoint")?,
            token_endpoint: required(&raw, "token_endpoint")?,
            jwks_uri: required(&raw, "jwks_uri")?,
            end_session_endpoint: url(&raw, "end_session_endpoint")?,
            revocation_endpoint: url(&raw, "revocation_endpoint")?,
            pushed_authorization_request_endpoint: url(
                &raw,
                "pushed_authorization_request_endpoint",
            )?,
            backchannel_authentication_endpoint: url(&raw, "backchannel_authentication_endpoint")?,
            userinfo_endpoint: url(&raw, "userinfo_endpoint")?,
            authorization_response_iss_parameter_supported: raw
                .get_bool("authorization_response_iss_parameter_supported")
                .unwrap_or(false),
        })
    }

    /// Checks the metadata can be trusted for `config`: the issuer is the configured domain's
    /// origin (with or without a trailing slash), and every endpoint is `https`, or `http` on a
    /// loopback host, or `config.allow_insecure_requests` is set.
    pub fn check(&self, config: &Config<'_>) -> Result<(), MetadataError> {
        let (scheme, host) = config.domain_parts();
        let mut origin = [0u8; 300];
        let mut w = Writer::new(&mut origin, "domain");
        let written = w
            .push_str(scheme)
            .and(w.push_str("://"))
            .and(w.push_str(host));
        let same_origin = written.is_ok()
            && match (Url::parse(w.as_str()), Url::parse(self.issuer)) {
                (Ok(domain), Ok(issuer)) => {
                    domain.same_origin(&issuer)
                        && matches!(issuer.path, "" | "/")
                        && issuer.query.is_none()
                }
                _ => false,
            };
        if !same_origin {
            return Err(MetadataError::IssuerMismatch);
        }
        let endpoints = [
            ("authorization_endpoint", Some(self.authorization_endpoint)),
            ("token_endpoint", Some(self.token_endpoint)),
            ("jwks_uri", Some(self.jwks_uri)),
            ("end_session_endpoint", self.end_session_endpoint),
            ("revocation_endpoint", self.revocation_endpoint),
            (
                "pushed_authorization_request_endpoint",
                self.pushed_authorization_request_endpoint,
            ),
            (
                "backchannel_authentication_endpoint",
                self.backchannel_authentication_endpoint,
            ),
            ("userinfo_endpoint", self.userinfo_endpoint),
        ];
        for (name, value) in endpoints {
            let Some(value) = value else { continue };
            let ok = Url::parse(value)
                .is_ok_and(|u| u.is_https() || u.is_loopback() || config.allow_insecure_requests);
            if !ok {
                return Err(MetadataError::InsecureEndpoint(name));
            }
        }
        Ok(())
    }

    /// Writes the compact form of the document: the [`USED_MEMBERS`] that it has, with their
    /// values as published (the last one of a repeated member), and nothing else. It parses to
    /// the same [`Metadata`].
    ///
    /// ```
    /// use auth0_edge::oauth::discovery::Metadata;
    /// let doc = r#"{"issuer":"https://t.auth0.com/","authorization_endpoint":"https://t.auth0.com/authorize",
    ///   "token_endpoint":"https://t.auth0.com/oauth/token","jwks_uri":"https://t.auth0.com/.well-known/jwks.json",
    ///   "scopes_supported":["openid","profile"],"mtls_endpoint_aliases":{"token_endpoint":"https://mtls.t.auth0.com/oauth/token"}}"#;
    /// let m = Metadata::parse(doc)?;
    /// let mut buf = [0u8; 512];
    /// let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "metadata");
    /// m.write_compact(&mut w)?;
    /// assert_eq!(w.as_str(), r#"{"issuer":"https://t.auth0.com/","authorization_endpoint":"https://t.auth0.com/authorize","token_endpoint":"https://t.auth0.com/oauth/token","jwks_uri":"https://t.auth0.com/.well-known/jwks.json"}"#);
    /// assert_eq!(Metadata::parse(w.as_str())?.token_endpoint, m.token_endpoint);
    /// # Ok::<(), auth0_edge::Error>(())
    /// ```
    pub fn write_compact(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        let mut o = ObjectWriter::begin(w)?;
        for name in USED_MEMBERS {
            if let Some(v) = self.raw.get(name) {
                o.member(JsonStr::new(name), v)?;
            }
        }
        o.end()
    }

    /// Whether `alg` is listed in `id_token_signing_alg_values_supported` (RS256 when the list
    /// is absent, as OpenID Connect Discovery specifies).
    pub fn supports_id_token_alg(&self, alg: &str) -> bool {
        match self
            .raw
            .get("id_token_signing_alg_values_supported")
            .and_then(|v| v.as_array())
        {
            Some(list) => list
                .iter()
                .any(|v| v.as_json_str().is_some_and(|s| s == alg)),
            None => alg == "RS256",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH0: &str = r#"{"issuer":"https://t.auth0.com/","authorization_endpoint":"https://t.auth0.com/authorize","token_endpoint":"https://t.auth0.com/oauth/token","jwks_uri":"https://t.auth0.com/.well-known/jwks.json","end_session_endpoint":"https://t.auth0.com/oidc/logout","id_token_signing_alg_values_supported":["HS256","RS256","PS256"],"unknown":{"x":1}}"#;

    #[test]
    fn parses_auth0_metadata() {
        let m = Metadata::parse(AUTH0).unwrap();
        assert_eq!(m.issuer, "https://t.auth0.com/");
        assert_eq!(
            m.end_session_endpoint,
            Some("https://t.auth0.com/oidc/logout")
        );
        assert_eq!(m.revocation_endpoint, None);
        assert!(m.supports_id_token_alg("RS256"));
        assert!(!m.supports_id_token_alg("ES256"));
        assert!(!m.authorization_response_iss_parameter_supported);
    }

    #[test]
    fn the_compact_form_reads_the_same() {
        let m = Metadata::parse(AUTH0).unwrap();
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf, "metadata");
        m.write_compact(&mut w).unwrap();
        let compact = Metadata::parse(w.as_str()).unwrap();
        assert!(w.as_str().len() < AUTH0.len());
        assert!(compact.raw.get("unknown").is_none());
        assert_eq!(
            Metadata {
                raw: m.raw,
                ..compact
            },
            m
        );
        assert!(compact.supports_id_token_alg("PS256"));
        // Too small a buffer is an error, not a truncation.
        let mut small = [0u8; 64];
        let mut w = Writer::new(&mut small, "metadata");
        assert!(matches!(
            m.write_compact(&mut w),
            Err(Error::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn missing_or_wrong_members() {
        assert_eq!(
            Metadata::parse(r#"{"issuer":"x","authorization_endpoint":"a","token_endpoint":"t"}"#),
            Err(JsonError::Missing { field: "jwks_uri" }.into())
        );
        assert!(Metadata::parse(r#"{"issuer":1}"#).is_err());
        assert!(Metadata::parse("[]").is_err());
    }
}
