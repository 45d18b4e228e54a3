//! The authorization response (RFC 6749 §4.1.2, §4.1.2.1) that the provider sends back to the
//! callback in its query, with the issuer identification of RFC 9207.
//!
//! [`AuthorizationResponse`] reads the raw query; [`AuthorizationResponse::state`] finds the
//! transaction, then [`AuthorizationResponse::code`] checks the rest against the provider's
//! metadata: an `error` is the provider's refusal, `iss` must be the discovered issuer (and is
//! required when the provider says it sends it), and `code` must be present.

use crate::Error;
use crate::codec::form::{self, component_eq, query_get};
use core::fmt;

/// The query of a callback request, read without copying.
#[derive(Clone, Copy, Debug)]
pub struct AuthorizationResponse<'q> {
    query: &'q str,
}

/// Why an authorization response was refused, in the words of the OAuth error it becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizationResponseError<'q> {
    /// The provider answered with `error` (and maybe `error_description`), both still
    /// form-encoded as they came.
    Provider {
        /// The raw `error` value.
        error: &'q str,
        /// The raw `error_description` value (empty when absent).
        description: &'q str,
    },
    /// `iss` is not the discovered issuer (a mix-up attack, RFC 9207 §2.4).
    IssuerMismatch,
    /// The provider advertises `authorization_response_iss_parameter_supported` but sent no
    /// `iss`.
    IssuerMissing,
    /// No `code` (or an empty one).
    CodeMissing,
}

impl AuthorizationResponseError<'_> {
    /// The OAuth `error` code this refusal is reported with.
    pub fn error(&self) -> &str {
        match self {
            AuthorizationResponseError::Provider { error, .. } => error,
            _ => "invalid_request",
        }
    }

    /// The description reported with it (the SDK's and oauth4webapi's texts).
    pub fn description(&self) -> &str {
        match self {
            AuthorizationResponseError::Provider { description, .. } => description,
            AuthorizationResponseError::IssuerMismatch => {
                "response parameter \"iss\" (issuer) does not match the issuer"
            }
            AuthorizationResponseError::IssuerMissing => {
                "response parameter \"iss\" (issuer) missing"
            }
            AuthorizationResponseError::CodeMissing => "response parameter \"code\" missing",
        }
    }
}

impl fmt::Display for AuthorizationResponseError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizationResponseError::Provider { .. } => {
                f.write_str("the provider refused the authorization request")
            }
            other => f.write_str(other.description()),
        }
    }
}

impl core::error::Error for AuthorizationResponseError<'_> {}

impl<'q> AuthorizationResponse<'q> {
    /// Reads the raw query of a callback request (without `?`).
    pub fn new(query: &'q str) -> Self {
        AuthorizationResponse { query }
    }

    /// The raw `state`, when present and not empty.
    pub fn state(&self) -> Option<&'q str> {
        query_get(self.query, "state").filter(|s| !s.is_empty())
    }

    /// The `state` decoded into `buf`.
    pub fn decoded_state<'b>(&self, buf: &'b mut [u8]) -> Result<Option<&'b str>, Error> {
        self.state()
            .map(|raw| form::decode_component(raw, buf))
            .transpose()
    }

    /// The raw `code`, once the response is checked, in this order: an `iss` that is not
    /// `issuer`, a missing `iss` when `iss_required`, an `error` from the provider, a missing
    /// `code` are refused.
    pub fn code(
        &self,
        issuer: &str,
        iss_required: bool,
    ) -> Result<&'q str, AuthorizationResponseError<'q>> {
        // RFC 9207 §2.4: the issuer is checked before anything else of the response is used,
        // an `error` included (a mix-up attacker could otherwise inject one).
        match query_get(self.query, "iss") {
            Some(iss) if !component_eq(iss, issuer) => {
                return Err(AuthorizationResponseError::IssuerMismatch);
            }
            None if iss_required => return Err(AuthorizationResponseError::IssuerMissing),
            _ => {}
        }
        if let Some(error) = query_get(self.query, "error") {
            return Err(AuthorizationResponseError::Provider {
                error,
                description: query_get(self.query, "error_description").unwrap_or(""),
            });
        }
        query_get(self.query, "code")
            .filter(|c| !c.is_empty())
            .ok_or(AuthorizationResponseError::CodeMissing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://t.example.com/";

    #[test]
    fn state_then_code() {
        let r = AuthorizationResponse::new("code=c%2B1&state=s&iss=https%3A%2F%2Ft.example.com%2F");
        assert_eq!(r.state(), Some("s"));
        assert_eq!(r.code(ISS, true), Ok("c%2B1"));
        let mut buf = [0u8; 8];
        assert_eq!(r.decoded_state(&mut buf).unwrap(), Some("s"));
        assert_eq!(AuthorizationResponse::new("state=&code=c").state(), None);
    }

    #[test]
    fn refusals() {
        let e = AuthorizationResponse::new("error=access_denied&error_description=no+way&state=s")
            .code(ISS, false)
            .unwrap_err();
        assert_eq!((e.error(), e.description()), ("access_denied", "no+way"));
        let e = AuthorizationResponse::new("code=c&iss=https%3A%2F%2Fevil%2F")
            .code(ISS, false)
            .unwrap_err();
        assert_eq!(e, AuthorizationResponseError::IssuerMismatch);
        assert_eq!(
            AuthorizationResponse::new("code=c").code(ISS, true),
            Err(AuthorizationResponseError::IssuerMissing)
        );
        assert_eq!(
            AuthorizationResponse::new("code=c").code(ISS, false),
            Ok("c")
        );
        assert_eq!(
            AuthorizationResponse::new("code=&state=s").code(ISS, false),
            Err(AuthorizationResponseError::CodeMissing)
        );
    }
}
