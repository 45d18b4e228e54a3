//! Client-Initiated Backchannel Authentication (`getTokenByBackchannelAuth`): the
//! authentication request, polling the token endpoint on the runtime's clock (`interval`,
//! `slow_down`, a 503's `Retry-After`, `expires_in`), and the verified ID token. No session is
//! made: the caller gets the tokens.

use super::token_endpoint::Proof;
use super::{Arena, Auth0, AuthError, GrantFailure, Hooks, Keys, ProviderError};
use crate::codec::json::{JsonStr, Object, Value};
use crate::oauth::ciba::{self, AuthenticationRequest, CibaError, PollAnswer, Poller};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use crate::session::TokenSet;
use core::borrow::Borrow;
use core::fmt;
use rand_core::CryptoRngCore;

/// Options of [`Auth0::get_token_by_backchannel_auth`] (`getTokenByBackchannelAuth`).
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct BackchannelOptions<'a> {
    /// `loginHint.sub`: the user to authenticate (sent as an `iss_sub` login hint).
    pub login_hint_sub: &'a str,
    /// `bindingMessage`: shown on both devices.
    pub binding_message: &'a str,
    /// `authorizationParams` (`scope`, `audience`, …), over the configured ones.
    pub authorization_params: &'a [(&'a str, &'a str)],
    /// `requestedExpiry`, seconds.
    pub requested_expiry: Option<u64>,
    /// `authorizationDetails`, JSON text (RFC 9396).
    pub authorization_details: Option<&'a str>,
}

/// What an approved backchannel authentication gives (the SDK's `{tokenSet, idTokenClaims,
/// authorizationDetails}`). Everything lives in the work buffer.
#[derive(Debug)]
#[non_exhaustive]
pub struct BackchannelTokens<'b> {
    /// `accessToken`, `idToken`, `scope`, `refreshToken`, `expiresAt` (and `token_type`).
    pub token_set: TokenSet<'b>,
    /// The verified ID token's claims.
    pub id_token_claims: Object<'b>,
    /// `authorization_details` of the token response, when sent.
    pub authorization_details: Option<Value<'b>>,
}

/// Why a backchannel authentication failed (the SDK's `BackchannelAuthenticationError`, or
/// `BackchannelAuthenticationNotSupportedError`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // No heap to box the provider's error text in.
pub enum BackchannelFailure {
    /// The provider has no `backchannel_authentication_endpoint`: enable CIBA for the
    /// application (and the tenant).
    NotSupported,
    /// The provider refused: `access_denied` (the user declined), `expired_token`,
    /// `unknown_user_id`, `invalid_request`, …
    Refused(ProviderError),
    /// The request expired before the user approved it (`expires_in` ran out here).
    Expired,
    /// The provider could not be reached, answered something unusable, or its ID token was
    /// refused.
    Grant(GrantFailure),
}

impl BackchannelFailure {
    fn from_ciba(e: &CibaError<'_>) -> Self {
        match e {
            CibaError::NotSupported => BackchannelFailure::NotSupported,
            CibaError::Provider { error, .. } => {
                BackchannelFailure::Refused(ProviderError::from_oauth(error))
            }
            CibaError::Expired => BackchannelFailure::Expired,
            CibaError::Malformed { status, reason } => {
                BackchannelFailure::Grant(GrantFailure::Malformed {
                    status: *status,
                    reason,
                })
            }
            CibaError::InvalidRetryAfter => BackchannelFailure::Grant(GrantFailure::Malformed {
                status: 503,
                reason: "a Retry-After that is neither delta-seconds nor an HTTP date",
            }),
        }
    }

    /// The error code to show for it: the provider's (`access_denied`, `unknown_user_id`,
    /// `expired_token`, …), `expired_token` when the request ran out here, else the SDK's code.
    pub fn error_code(&self) -> &str {
        match self {
            BackchannelFailure::Refused(p) => p.error.as_str(),
            BackchannelFailure::Expired => "expired_token",
            BackchannelFailure::NotSupported => ciba::NOT_SUPPORTED_CODE,
            BackchannelFailure::Grant(_) => ciba::ERROR_CODE,
        }
    }
}

impl fmt::Display for BackchannelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackchannelFailure::NotSupported => f.write_str(ciba::NOT_SUPPORTED_MESSAGE),
            BackchannelFailure::Refused(_) => {
                f.write_str("the provider refused the backchannel authentication")
            }
            BackchannelFailure::Expired => f.write_str(
                "the backchannel authentication request expired before the user approved it; start a new one",
            ),
            BackchannelFailure::Grant(_) => {
                f.write_str("the backchannel authentication could not complete")
            }
        }
    }
}

impl core::error::Error for BackchannelFailure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            BackchannelFailure::Refused(e) => Some(e),
            BackchannelFailure::Grant(e) => Some(e),
            _ => None,
        }
    }
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// Authenticates a user on another device (`getTokenByBackchannelAuth`, OpenID Connect
    /// CIBA): sends the authentication request, then polls the token endpoint until the user
    /// approves or refuses, waiting on the runtime's [`Clock::sleep`] (`interval`, default 5 s;
    /// `slow_down` adds 5 s; a 503's `Retry-After`; at most `expires_in`). The ID token is
    /// verified as after a login. No session is made. Errors are
    /// [`AuthError::Backchannel`].
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::flow::BackchannelOptions;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let opts = BackchannelOptions { login_hint_sub: "auth0|123", binding_message: "Sign in to the kiosk", ..Default::default() };
    /// let t = auth0.get_token_by_backchannel_auth(&opts, &mut rand_core::OsRng, &mut buf).await?;
    /// println!("signed in: {}", t.id_token_claims.get_str("sub").unwrap());
    /// # Ok(()) }
    /// ```
    pub async fn get_token_by_backchannel_auth<'b>(
        &self,
        options: &BackchannelOptions<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<BackchannelTokens<'b>, AuthError> {
        let mut arena = Arena::new(buf);
        self.backchannel_in(options, rng, &mut arena)
            .await
            .inspect_err(super::log_error)
    }

    async fn backchannel_in<'b>(
        &self,
        options: &BackchannelOptions<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<BackchannelTokens<'b>, AuthError> {
        let failed = |e: &CibaError<'_>| AuthError::Backchannel(BackchannelFailure::from_ciba(e));
        let grant = |f: GrantFailure| AuthError::Backchannel(BackchannelFailure::Grant(f));
        let metadata = self.metadata(arena).await?;
        let endpoint = ciba::endpoint(&metadata).map_err(|e| failed(&e))?;
        let client_auth = self.client_auth();
        let req_buf = arena.take(4096.min(arena.remaining() / 4))?;
        let request = AuthenticationRequest {
            authorization_params: options.authorization_params,
            binding_message: options.binding_message,
            login_hint_sub: options.login_hint_sub,
            requested_expiry: options.requested_expiry,
            authorization_details: options.authorization_details,
        };
        let r = ciba::authentication_request(
            &self.config,
            metadata.issuer,
            &request,
            &client_auth,
            self.protocol_now(),
            rng,
            req_buf,
        )?;
        let reply = self
            .post_form(endpoint, &r, Proof::None, rng, arena)
            .await
            .map_err(|e| grant(GrantFailure::Transport(e)))?;
        let started = ciba::parse_authentication_response(reply.status, reply.body)
            .map_err(|e| failed(&e))?;
        let auth_req_id = started.auth_req_id;
        let mut poller = Poller::new(&started, self.now());
        // Each poll reuses the same region; the approving answer is copied out of it.
        let keep = arena.take(8192.min(arena.remaining() / 3))?;
        let poll_buf = arena.take(arena.remaining() / 2)?;
        let body_len = loop {
            let wait = poller.wait(self.now()).map_err(|e| failed(&e))?;
            if wait > 0 {
                self.clock.sleep(wait.saturating_mul(1000)).await;
            }
            let mut poll_arena = Arena::new(&mut poll_buf[..]);
            let now = self.now();
            let req_buf = poll_arena.take(4096.min(poll_arena.remaining() / 4))?;
            let poll = ciba::poll_request(
                auth_req_id,
                self.config.client_id,
                &client_auth,
                metadata.issuer,
                self.protocol_now(),
                rng,
                req_buf,
            )?;
            let res = self
                .post_form(
                    metadata.token_endpoint,
                    &poll,
                    Proof::Dpop,
                    rng,
                    &mut poll_arena,
                )
                .await
                .map_err(|e| grant(GrantFailure::Transport(e)))?;
            let answer = ciba::classify_poll(res.status, res.header("Retry-After"), res.body, now);
            match answer {
                PollAnswer::Done(t) => {
                    self.check_binding(&t, res.status).map_err(grant)?;
                    let capacity = keep.len();
                    let dst =
                        keep.get_mut(..res.body.len())
                            .ok_or(crate::Error::BufferTooSmall {
                                what: "backchannel token response",
                                capacity,
                            })?;
                    dst.copy_from_slice(res.body);
                    break res.body.len();
                }
                PollAnswer::Failed(e) => return Err(failed(&e)),
                other => poller.answer(&other, self.now()),
            }
        };
        let body: &'b [u8] = match keep.get(..body_len) {
            Some(b) => b,
            None => &[],
        };
        let tokens = crate::oauth::parse_token_response(200, body)
            .map_err(|e| grant(GrantFailure::from_response(&e)))?;
        let id_token = tokens.id_token.ok_or(grant(GrantFailure::Malformed {
            status: 200,
            reason: "the token response has no id_token",
        }))?;
        let id_token_text = super::json_text(arena, id_token)?;
        let claims = self
            .validate_id_token(id_token_text, &metadata, None, None, arena)
            .await
            .map_err(|e| match e {
                AuthError::AuthorizationCodeGrant(f) => grant(f),
                other => other,
            })?;
        let token_type = super::token_type_text(arena, tokens.token_type)?;
        let now = self.now();
        Ok(BackchannelTokens {
            token_set: TokenSet {
                access_token: Some(tokens.access_token),
                id_token: Some(id_token),
                scope: tokens.scope,
                refresh_token: tokens.refresh_token,
                expires_at: tokens.expires_in.map(|e| now.saturating_add(e)),
                token_type: token_type.map(JsonStr::new),
                ..TokenSet::default()
            },
            id_token_claims: claims,
            authorization_details: tokens.raw.get("authorization_details"),
        })
    }
}
