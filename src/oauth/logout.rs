//! Logout URLs: OpenID Connect RP-Initiated Logout 1.0 (`end_session_endpoint`) and Auth0's
//! `/v2/logout`, with the parameters and order of `@auth0/nextjs-auth0` v4.
//!
//! OIDC: `client_id`, `post_logout_redirect_uri`, `state`, `logout_hint` (the session's `sid`),
//! `id_token_hint` (unless disabled), `federated=`. v2: `returnTo`, `client_id`, `federated=`.

use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::config::LogoutStrategy;
use crate::oauth::discovery::Metadata;

/// What goes into a logout URL.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct Params<'a> {
    /// Where the provider sends the user afterwards.
    pub return_to: &'a str,
    /// `state` to round-trip, if given.
    pub state: Option<&'a str>,
    /// The session's `sid`, sent as `logout_hint`.
    pub sid: Option<&'a str>,
    /// The ID token, sent as `id_token_hint` when allowed.
    pub id_token: Option<&'a str>,
    /// Also log out of the identity provider (`federated`).
    pub federated: bool,
}

/// The provider does not support the strategy asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct OidcLogoutNotSupported;

impl core::fmt::Display for OidcLogoutNotSupported {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OIDC RP-Initiated Logout is not supported by the authorization server. Enable it or use a different logout strategy.")
    }
}

/// Writes the logout URL for `strategy`; `auto` picks OIDC when the provider has an
/// `end_session_endpoint`, else v2.
///
/// ```
/// use auth0_edge::config::LogoutStrategy;
/// use auth0_edge::codec::buf::Writer;
/// use auth0_edge::oauth::discovery::Metadata;
/// use auth0_edge::oauth::logout;
/// let m = Metadata::parse(r#"{"issuer":"https://t.auth0.com/","authorization_endpoint":"a","token_endpoint":"t",
///   "jwks_uri":"j","end_session_endpoint":"https://t.auth0.com/oidc/logout"}"#)?;
/// let p = logout::Params { return_to: "http://localhost:3000", sid: Some("s1"), ..Default::default() };
/// let mut buf = [0u8; 256];
/// let mut w = Writer::new(&mut buf, "url");
/// logout::write_url(&mut w, LogoutStrategy::Auto, &m, "cid", &p).unwrap();
/// assert_eq!(w.as_str(), "https://t.auth0.com/oidc/logout?client_id=cid&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000&logout_hint=s1");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn write_url(
    w: &mut Writer<'_>,
    strategy: LogoutStrategy,
    metadata: &Metadata<'_>,
    client_id: &str,
    p: &Params<'_>,
) -> Result<Result<(), OidcLogoutNotSupported>, Error> {
    let oidc = match (strategy, metadata.end_session_endpoint) {
        (LogoutStrategy::V2, _) => None,
        (_, Some(e)) => Some(e),
        (LogoutStrategy::Oidc, None) => return Ok(Err(OidcLogoutNotSupported)),
        (_, None) => None,
    };
    match oidc {
        Some(endpoint) => {
            w.push_str(endpoint)?;
            let mut f = FormWriter::new(w, if endpoint.contains('?') { '&' } else { '?' });
            f.pair("client_id", client_id)?;
            f.pair("post_logout_redirect_uri", p.return_to)?;
            if let Some(s) = p.state {
                f.pair("state", s)?;
            }
            if let Some(sid) = p.sid {
                f.pair("logout_hint", sid)?;
            }
            if let Some(t) = p.id_token {
                f.pair("id_token_hint", t)?;
            }
            if p.federated {
                f.pair("federated", "")?;
            }
        }
        None => {
            w.push_str(metadata.issuer.trim_end_matches('/'))?;
            w.push_str("/v2/logout")?;
            let mut f = FormWriter::new(w, '?');
            f.pair("returnTo", p.return_to)?;
            f.pair("client_id", client_id)?;
            if p.federated {
                f.pair("federated", "")?;
            }
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH: &str = r#"{"issuer":"https://t/","authorization_endpoint":"a","token_endpoint":"t","jwks_uri":"j","end_session_endpoint":"https://t/oidc/logout"}"#;
    const WITHOUT: &str = r#"{"issuer":"https://t/","authorization_endpoint":"a","token_endpoint":"t","jwks_uri":"j"}"#;

    fn url(strategy: LogoutStrategy, doc: &str, p: &Params<'_>) -> Option<heapless::String<512>> {
        let m = Metadata::parse(doc).unwrap();
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf, "t");
        write_url(&mut w, strategy, &m, "cid", p).unwrap().ok()?;
        Some(heapless::String::try_from(w.as_str()).unwrap())
    }

    #[test]
    fn strategies() {
        let p = Params {
            return_to: "https://app/",
            state: Some("st"),
            sid: Some("sid"),
            id_token: Some("idt"),
            federated: true,
        };
        assert_eq!(
            url(LogoutStrategy::Oidc, WITH, &p).unwrap(),
            "https://t/oidc/logout?client_id=cid&post_logout_redirect_uri=https%3A%2F%2Fapp%2F&state=st&logout_hint=sid&id_token_hint=idt&federated="
        );
        assert_eq!(
            url(LogoutStrategy::V2, WITH, &p).unwrap(),
            "https://t/v2/logout?returnTo=https%3A%2F%2Fapp%2F&client_id=cid&federated="
        );
        assert_eq!(
            url(LogoutStrategy::Auto, WITHOUT, &p).unwrap(),
            "https://t/v2/logout?returnTo=https%3A%2F%2Fapp%2F&client_id=cid&federated="
        );
        assert!(url(LogoutStrategy::Oidc, WITHOUT, &p).is_none());
    }
}
