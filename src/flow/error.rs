//! The errors of the flows, with the SDK's codes, messages and HTTP statuses.

use crate::codec::form;
use crate::oauth::authorization_response::AuthorizationResponseError;
use crate::oauth::discovery::MetadataError;
use crate::oauth::id_token::IdTokenError;
use crate::oauth::{OAuthError, TokenResponseError};
use crate::runtime::{StoreError, TransportError};
use crate::{ConfigError, Error, JweError};
use core::fmt;

/// Text copied from a provider's error response (at most 128 bytes; longer text ends with `…`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ErrorText(heapless::String<128>);

impl ErrorText {
    /// Copies `s` (truncated at a character boundary if longer than 128 bytes).
    pub fn new(s: &dyn fmt::Display) -> Self {
        let mut t = ErrorText::default();
        let _ = fmt::write(&mut Bounded(&mut t.0), format_args!("{s}"));
        t
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct Bounded<'a>(&'a mut heapless::String<128>);

impl fmt::Write for Bounded<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.0.len() + c.len_utf8() > 125 {
                let _ = self.0.push('…');
                return Err(fmt::Error);
            }
            let _ = self.0.push(c);
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0.as_str(), f)
    }
}

impl fmt::Display for ErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An OAuth error from the provider: `error` and `error_description`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderError {
    /// `error`.
    pub error: ErrorText,
    /// `error_description`.
    pub description: ErrorText,
}

impl ProviderError {
    /// Copies an OAuth error response.
    pub fn from_oauth(e: &OAuthError<'_>) -> Self {
        ProviderError {
            error: ErrorText::new(&e.error),
            description: e
                .error_description
                .map(|d| ErrorText::new(&d))
                .unwrap_or_default(),
        }
    }
}

impl ProviderError {
    /// The refusal of an authorization response: the provider's `error` and
    /// `error_description` decoded (an `error` too long to decode reads `invalid_request`), or
    /// the check that failed (`iss`, `code`).
    pub fn from_authorization_response(e: &AuthorizationResponseError<'_>) -> Self {
        match e {
            AuthorizationResponseError::Provider { error, description } => {
                let (mut e, mut d) = ([0u8; 256], [0u8; 256]);
                let error = form::decode_component(error, &mut e).unwrap_or("invalid_request");
                let description = form::decode_component(description, &mut d).unwrap_or("");
                ProviderError {
                    error: ErrorText::new(&error),
                    description: ErrorText::new(&description),
                }
            }
            other => ProviderError {
                error: ErrorText::new(&other.error()),
                description: ErrorText::new(&other.description()),
            },
        }
    }
}

impl core::error::Error for ProviderError {}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.description.as_str().is_empty() {
            write!(f, "{}", self.error)
        } else {
            write!(f, "{}: {}", self.error, self.description)
        }
    }
}

/// Why a token request or its response failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // No heap to box the provider's error text in.
pub enum GrantFailure {
    /// The provider could not be reached or did not answer in time.
    Transport(TransportError),
    /// The provider answered with an OAuth error.
    Provider(ProviderError),
    /// The response was not a usable token response.
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// The ID token was refused.
    IdToken(IdTokenError),
}

impl GrantFailure {
    /// From a token response error.
    pub fn from_response(e: &TokenResponseError<'_>) -> Self {
        match e {
            TokenResponseError::OAuth { error, .. } => {
                GrantFailure::Provider(ProviderError::from_oauth(error))
            }
            TokenResponseError::Malformed { status, reason } => GrantFailure::Malformed {
                status: *status,
                reason,
            },
        }
    }
}

impl fmt::Display for GrantFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GrantFailure::Transport(_) => f.write_str("the token endpoint could not be reached"),
            GrantFailure::Provider(_) => f.write_str("the token endpoint answered with an error"),
            GrantFailure::Malformed { status, reason } => {
                write!(f, "unusable token response (HTTP {status}): {reason}")
            }
            GrantFailure::IdToken(_) => f.write_str("the ID token was refused"),
        }
    }
}

impl core::error::Error for GrantFailure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            GrantFailure::Transport(e) => Some(e),
            GrantFailure::Provider(e) => Some(e),
            GrantFailure::Malformed { .. } => None,
            GrantFailure::IdToken(e) => Some(e),
        }
    }
}

/// Why discovery (or the JWKS) could not be fetched.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryFailure {
    /// The provider could not be reached.
    Transport(TransportError),
    /// The provider answered with an HTTP error.
    Status(u16),
    /// The document is not valid.
    Invalid(Error),
    /// The metadata is valid but cannot be trusted (another issuer, an http endpoint).
    Untrusted(MetadataError),
}

impl fmt::Display for DiscoveryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoveryFailure::Transport(_) => {
                f.write_str("the provider's metadata or keys could not be fetched")
            }
            DiscoveryFailure::Status(s) => {
                write!(f, "the provider answered HTTP {s}; check AUTH0_DOMAIN")
            }
            DiscoveryFailure::Invalid(_) => f.write_str("invalid provider metadata or keys"),
            DiscoveryFailure::Untrusted(_) => f.write_str("the provider metadata is not trusted"),
        }
    }
}

impl core::error::Error for DiscoveryFailure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            DiscoveryFailure::Transport(e) => Some(e),
            DiscoveryFailure::Status(_) => None,
            DiscoveryFailure::Invalid(e) => Some(e),
            DiscoveryFailure::Untrusted(e) => Some(e),
        }
    }
}

/// A refresh answered `mfa_required` (the SDK's `MfaRequiredError`): the user must complete
/// multi-factor authentication. The encrypted `mfa_token` and the `mfa_requirements` were
/// written into the work buffer given to the flow: read them with
/// [`MfaRequiredError::challenge`] and that buffer (the access-token route answers 403 with
/// them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MfaRequiredError {
    /// `error_description` (or the SDK's default text).
    pub description: ErrorText,
    token: Option<core::ops::Range<usize>>,
    requirements: Option<core::ops::Range<usize>>,
}

impl MfaRequiredError {
    pub(crate) fn new(
        description: ErrorText,
        token: Option<core::ops::Range<usize>>,
        requirements: Option<core::ops::Range<usize>>,
    ) -> Self {
        MfaRequiredError {
            description,
            token,
            requirements,
        }
    }

    /// The encrypted `mfa_token` and the `mfa_requirements`, read from `buf`: the work buffer
    /// the flow that failed was given (untouched since). `None` when the provider sent no MFA
    /// token (the user must log in again) or `buf` is another buffer.
    pub fn challenge<'b>(&self, buf: &'b [u8]) -> Option<super::MfaChallenge<'b>> {
        let text = |r: &core::ops::Range<usize>| {
            buf.get(r.clone())
                .and_then(|b| core::str::from_utf8(b).ok())
        };
        Some(super::MfaChallenge {
            mfa_token: text(self.token.as_ref()?)?,
            mfa_requirements: match &self.requirements {
                Some(r) => Some(text(r)?),
                None => None,
            },
        })
    }
}

impl fmt::Display for MfaRequiredError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the provider requires multi-factor authentication: {}",
            self.description
        )
    }
}

impl core::error::Error for MfaRequiredError {}

/// An error of a flow. [`AuthError::code`], [`AuthError::message`] and [`AuthError::status`]
/// are the SDK's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Invalid configuration.
    Config(ConfigError),
    /// Discovery or the JWKS failed (`discovery_error`).
    Discovery(DiscoveryFailure),
    /// The callback has no `state` (`missing_state`).
    MissingState,
    /// No transaction cookie for the `state`, or it cannot be opened (`invalid_state`).
    InvalidState,
    /// The provider returned an error to the callback, or `iss` did not match
    /// (`authorization_error`).
    Authorization(ProviderError),
    /// The token endpoint could not be reached (`authorization_code_grant_request_error`).
    AuthorizationCodeGrantRequest(TransportError),
    /// The code exchange or ID token failed (`authorization_code_grant_error`).
    AuthorizationCodeGrant(GrantFailure),
    /// No session (`missing_session`).
    MissingSession,
    /// A refresh is needed but there is no refresh token (`missing_refresh_token`).
    MissingRefreshToken {
        /// Whether an access token exists but has expired.
        expired: bool,
    },
    /// The refresh failed (`failed_to_refresh_token`).
    FailedToRefreshToken(GrantFailure),
    /// The session's ceiling is reached (`session_expired`).
    SessionExpired,
    /// The request is invalid (HTTP 400 with this text).
    BadRequest(&'static str),
    /// The request carries more of the SDK's cookies than the flows accept (HTTP 431): `len`
    /// bytes where at most `max` fit (see [`super::MAX_SDK_COOKIES_LEN`]).
    CookiesTooLarge {
        /// The bytes of the SDK's cookies in the request.
        len: usize,
        /// The most accepted.
        max: usize,
    },
    /// The session store failed.
    Store(StoreError),
    /// A hook of the application failed (its name); the runtime logged the hook's error.
    Hook(&'static str),
    /// A refresh needs multi-factor authentication first (`mfa_required`, HTTP 403).
    MfaRequired(MfaRequiredError),
    /// A connection access token could not be had (`missing_refresh_token`,
    /// `failed_to_exchange_refresh_token`).
    ConnectionToken(super::ConnectionFailure),
    /// A backchannel authentication (CIBA) failed (`backchannel_authentication_error`, or
    /// `backchannel_authentication_not_supported_error`).
    Backchannel(super::BackchannelFailure),
    /// A core error (a buffer too small, a malformed cookie written by us).
    Core(Error),
}

impl AuthError {
    /// The SDK's error code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Config(_) => "invalid_configuration",
            AuthError::Discovery(_) => "discovery_error",
            AuthError::MissingState => "missing_state",
            AuthError::InvalidState => "invalid_state",
            AuthError::Authorization(_) => "authorization_error",
            AuthError::AuthorizationCodeGrantRequest(_) => "authorization_code_grant_request_error",
            AuthError::AuthorizationCodeGrant(_) => "authorization_code_grant_error",
            AuthError::MissingSession => "missing_session",
            AuthError::MissingRefreshToken { .. } => "missing_refresh_token",
            AuthError::FailedToRefreshToken(_) => "failed_to_refresh_token",
            AuthError::SessionExpired => "session_expired",
            AuthError::BadRequest(_) => "invalid_request",
            AuthError::CookiesTooLarge { .. } => "request_header_fields_too_large",
            AuthError::Store(_) => "session_store_error",
            AuthError::Hook(_) => "hook_error",
            AuthError::Backchannel(super::BackchannelFailure::NotSupported) => {
                crate::oauth::ciba::NOT_SUPPORTED_CODE
            }
            AuthError::Backchannel(_) => crate::oauth::ciba::ERROR_CODE,
            AuthError::ConnectionToken(f) => f.code().as_str(),
            AuthError::MfaRequired(_) => crate::oauth::mfa::MFA_REQUIRED,
            AuthError::Core(_) => "internal_error",
        }
    }

    /// The SDK's message (what users of the Next.js SDK see in responses and logs).
    pub fn message(&self) -> &'static str {
        match self {
            AuthError::Config(_) => "The configuration is invalid.",
            AuthError::Discovery(_) => "Discovery failed for the OpenID Connect configuration.",
            AuthError::MissingState => "The state parameter is missing.",
            AuthError::InvalidState => "The state parameter is invalid.",
            AuthError::Authorization(_) => "An error occurred during the authorization flow.",
            AuthError::AuthorizationCodeGrantRequest(_) => {
                "An error occurred while trying to request the authorization code grant."
            }
            AuthError::AuthorizationCodeGrant(_) => {
                "An error occurred while trying to exchange the authorization code."
            }
            AuthError::MissingSession => "The user does not have an active session.",
            AuthError::MissingRefreshToken { expired: true } => {
                "The access token has expired and a refresh token was not provided. The user needs to re-authenticate."
            }
            AuthError::MissingRefreshToken { expired: false } => {
                "No access token found and a refresh token was not provided. The user needs to re-authenticate."
            }
            AuthError::FailedToRefreshToken(_) => {
                "The access token has expired and there was an error while trying to refresh it."
            }
            AuthError::SessionExpired => {
                "The session has expired and the user must re-authenticate."
            }
            AuthError::BadRequest(m) => m,
            AuthError::CookiesTooLarge { .. } => {
                "The request's session and login cookies are too large. Clear this site's cookies and sign in again."
            }
            AuthError::Store(_) => "The session store failed.",
            AuthError::Hook(_) => "A hook of the application failed.",
            AuthError::Backchannel(super::BackchannelFailure::NotSupported) => {
                crate::oauth::ciba::NOT_SUPPORTED_MESSAGE
            }
            AuthError::Backchannel(_) => crate::oauth::ciba::ERROR_MESSAGE,
            AuthError::ConnectionToken(f) => f.code().message(),
            AuthError::MfaRequired(_) => crate::oauth::mfa::DEFAULT_DESCRIPTION,
            AuthError::Core(_) => "An internal error occurred.",
        }
    }

    /// The HTTP status of the route's error response.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::BadRequest(_) => 400,
            AuthError::MfaRequired(_) => 403,
            AuthError::CookiesTooLarge { .. } => 431,
            AuthError::MissingSession
            | AuthError::MissingRefreshToken { .. }
            | AuthError::FailedToRefreshToken(_)
            | AuthError::ConnectionToken(_)
            | AuthError::SessionExpired => 401,
            _ => 500,
        }
    }
}

impl fmt::Display for AuthError {
    /// The SDK's message; the cause is [`core::error::Error::source`] (print both with
    /// [`crate::Report`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            AuthError::Config(e) => Some(e),
            AuthError::Discovery(e) => Some(e),
            AuthError::Authorization(e) => Some(e),
            AuthError::AuthorizationCodeGrantRequest(e) => Some(e),
            AuthError::AuthorizationCodeGrant(e) | AuthError::FailedToRefreshToken(e) => Some(e),
            AuthError::Store(e) => Some(e),
            AuthError::Backchannel(e) => Some(e),
            AuthError::ConnectionToken(e) => Some(e),
            AuthError::MfaRequired(e) => Some(e),
            AuthError::Core(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for AuthError {
    fn from(e: Error) -> Self {
        AuthError::Core(e)
    }
}

impl From<ConfigError> for AuthError {
    fn from(e: ConfigError) -> Self {
        AuthError::Config(e)
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> Self {
        AuthError::Store(e)
    }
}

impl From<JweError> for AuthError {
    fn from(e: JweError) -> Self {
        AuthError::Core(e.into())
    }
}

/// Logs a flow error: warnings for what an operator should look at (the provider or the store
/// unreachable, a buffer too small), info for what a request did wrong.
pub(crate) fn log_error(e: &AuthError) {
    let code = e.code();
    match e {
        AuthError::Discovery(_)
        | AuthError::AuthorizationCodeGrantRequest(_)
        | AuthError::FailedToRefreshToken(GrantFailure::Transport(_))
        | AuthError::Backchannel(super::BackchannelFailure::Grant(GrantFailure::Transport(_)))
        | AuthError::ConnectionToken(super::ConnectionFailure::Exchange(
            GrantFailure::Transport(_),
        ))
        | AuthError::Store(_)
        | AuthError::Hook(_)
        | AuthError::Core(_)
        | AuthError::Config(_) => {
            event!(warn, code, reason = %crate::Report(e), "auth0-edge: request failed");
        }
        _ => {
            event!(info, code, reason = %crate::Report(e), "auth0-edge: request refused");
        }
    }
    let _ = code;
}
