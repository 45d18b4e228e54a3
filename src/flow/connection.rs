//! Connection access tokens (`getAccessTokenForConnection`, Auth0's Token Vault): the
//! session's refresh token exchanged for a federated connection's access token, cached in the
//! session's `connectionTokenSets` (`__FC_<i>` cookies for a cookie session) until it expires.

use super::token_endpoint::Proof;
use super::{Arena, Auth0, AuthError, GrantFailure, Hooks, Keys, Loaded, json_text};
use crate::codec::time::UnixTime;
use crate::http::Response;
use crate::oauth::token_exchange::{
    self, AccessTokenForConnectionErrorCode, ConnectionTokenError, ConnectionTokenSet, Plan,
};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use crate::session::Session;
use core::borrow::Borrow;
use core::fmt;
use rand_core::CryptoRngCore;

/// Options of [`Auth0::get_access_token_for_connection`].
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct ConnectionTokenOptions<'a> {
    /// `connection`: the federated connection (`google-oauth2`, …).
    pub connection: &'a str,
    /// `login_hint`: which of the user's accounts at the connection, when several.
    pub login_hint: Option<&'a str>,
    /// `subject_token_type`: the refresh token's type by default
    /// ([`token_exchange::SUBJECT_TYPE_REFRESH_TOKEN`]); the access token's type sends the
    /// session's access token instead.
    pub subject_token_type: Option<&'a str>,
}

/// A connection access token.
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectionToken<'b> {
    /// The access token for the connection's API.
    pub token: &'b str,
    /// When it expires (Unix seconds).
    pub expires_at: UnixTime,
    /// The scope granted, when known.
    pub scope: Option<&'b str>,
    /// The connection.
    pub connection: &'b str,
    /// Headers that save a new token in the session (`Set-Cookie`, cache headers); empty when
    /// the cached one was used.
    pub headers: Response<'b>,
}

/// The outcome of [`Auth0::connection_token_for`].
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectionTokenFor<'b> {
    /// The token (its `headers` are empty: nothing was written).
    pub token: ConnectionToken<'b>,
    /// The session to write when a token was exchanged (its `connection_token_sets` hold it).
    pub updated: Option<Session<'b>>,
}

/// Why a connection access token could not be had (the SDK's
/// `AccessTokenForConnectionError`; without a session the error is
/// [`AuthError::MissingSession`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // No heap to box the provider's error text in.
pub enum ConnectionFailure {
    /// No refresh token to exchange, and no valid cached token (`missing_refresh_token`): the
    /// user must log in again (with `offline_access`).
    MissingRefreshToken,
    /// The exchange failed (`failed_to_exchange_refresh_token`).
    Exchange(GrantFailure),
}

impl ConnectionFailure {
    /// The SDK's code.
    pub fn code(&self) -> AccessTokenForConnectionErrorCode {
        match self {
            ConnectionFailure::MissingRefreshToken => {
                AccessTokenForConnectionErrorCode::MissingRefreshToken
            }
            ConnectionFailure::Exchange(_) => {
                AccessTokenForConnectionErrorCode::FailedToExchangeRefreshToken
            }
        }
    }

    fn from_message(e: &ConnectionTokenError<'_>) -> Self {
        match e {
            ConnectionTokenError::MissingRefreshToken => ConnectionFailure::MissingRefreshToken,
            ConnectionTokenError::Provider { error, .. } => ConnectionFailure::Exchange(
                GrantFailure::Provider(super::ProviderError::from_oauth(error)),
            ),
            ConnectionTokenError::Malformed { status, reason } => {
                ConnectionFailure::Exchange(GrantFailure::Malformed {
                    status: *status,
                    reason,
                })
            }
            ConnectionTokenError::IssuedTokenType => {
                ConnectionFailure::Exchange(GrantFailure::Malformed {
                    status: 200,
                    reason: "issued_token_type is not a federated connection access token",
                })
            }
        }
    }
}

impl fmt::Display for ConnectionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code().message())
    }
}

impl core::error::Error for ConnectionFailure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ConnectionFailure::Exchange(e) => Some(e),
            ConnectionFailure::MissingRefreshToken => None,
        }
    }
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// A connection access token (`getAccessTokenForConnection`): the session's cached one
    /// while it is valid (same connection and login hint), else the refresh token exchanged
    /// for one (the refresh token is not rotated) and saved in the session: apply
    /// [`ConnectionToken::headers`] to the response.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::flow::ConnectionTokenOptions;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let opts = ConnectionTokenOptions { connection: "google-oauth2", ..Default::default() };
    /// let t = auth0.get_access_token_for_connection(cookie_header, &opts, &mut rand_core::OsRng, &mut buf).await?;
    /// println!("Authorization: Bearer {}", t.token);
    /// for (name, value) in t.headers.headers() { /* add to the response */ }
    /// # Ok(()) }
    /// ```
    pub async fn get_access_token_for_connection<'b>(
        &self,
        cookie_header: &str,
        opts: &ConnectionTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<ConnectionToken<'b>, AuthError> {
        let mut arena = Arena::new(buf);
        let cookie = self.sdk_cookies(&arena, cookie_header)?;
        let Some(Loaded { session, id, .. }) = self.load(cookie, &mut arena).await? else {
            return Err(AuthError::MissingSession);
        };
        let t = self
            .connection_in(session, opts, rng, &mut arena)
            .await
            .inspect_err(super::log_error)?;
        // The response takes the room the exchange is done with.
        let mut res = arena.respond(200);
        if let Some(updated) = &t.updated {
            self.save(updated, cookie, id, false, rng, &mut res).await?;
        }
        Ok(ConnectionToken {
            headers: res.finish()?,
            ..t.token
        })
    }

    /// A connection access token for `session` (already read by the caller: a runtime's
    /// request-scoped session). Nothing is written: when a token was exchanged,
    /// [`ConnectionTokenFor::updated`] is the session to write.
    pub async fn connection_token_for<'b>(
        &self,
        session: Session<'b>,
        opts: &ConnectionTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<ConnectionTokenFor<'b>, AuthError> {
        let mut arena = Arena::new(buf);
        self.connection_in(session, opts, rng, &mut arena)
            .await
            .inspect_err(super::log_error)
    }

    async fn connection_in<'b>(
        &self,
        mut session: Session<'b>,
        opts: &ConnectionTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<ConnectionTokenFor<'b>, AuthError> {
        let failed = |e: &ConnectionTokenError<'_>| {
            AuthError::ConnectionToken(ConnectionFailure::from_message(e))
        };
        let now = self.now();
        // Copies into the work buffer, so the results borrow nothing else.
        let connection = super::copy_str(arena, opts.connection)?;
        let login_hint = opts
            .login_hint
            .map(|h| super::copy_str(arena, h))
            .transpose()?;
        let plan = token_exchange::plan(
            session.connection_token_sets.iter().copied(),
            connection,
            login_hint,
            session.token_set.refresh_token.is_some(),
            now,
        )
        .map_err(|e| failed(&e))?;
        let replace = match plan {
            Plan::Cached { entry, .. } => {
                return Ok(ConnectionTokenFor {
                    token: self.connection_token(&entry, connection, arena)?,
                    updated: None,
                });
            }
            Plan::Exchange { replace } => replace,
        };
        let metadata = self.metadata(arena).await?;
        let subject_type = opts
            .subject_token_type
            .map(|t| super::copy_str(arena, t))
            .transpose()?;
        let request = token_exchange::Request::from_token_set(
            &session.token_set,
            connection,
            subject_type,
            login_hint,
        )
        .map_err(|e| failed(&e))?;
        let req_buf = arena.take(8192.min(arena.remaining() / 4))?;
        let body = token_exchange::request(
            &request,
            self.config.client_id,
            &self.client_auth(),
            metadata.issuer,
            self.protocol_now(),
            rng,
            req_buf,
        )?;
        let reply = self
            .post_form(metadata.token_endpoint, &body, Proof::Dpop, rng, arena)
            .await
            .map_err(|e| {
                AuthError::ConnectionToken(ConnectionFailure::Exchange(GrantFailure::Transport(e)))
            })?;
        let tokens =
            token_exchange::parse_response(reply.status, reply.body).map_err(|e| failed(&e))?;
        let entry = ConnectionTokenSet::from_response(&tokens, connection, login_hint, now);
        let sets = &mut session.connection_token_sets;
        match replace.and_then(|i| sets.get_mut(i)) {
            Some(old) => *old = entry,
            None => sets
                .push(entry)
                .map_err(|_| crate::Error::from(crate::SessionError::TooManyConnectionTokens))?,
        }
        event!(debug, "auth0-edge: a connection access token was exchanged");
        Ok(ConnectionTokenFor {
            token: self.connection_token(&entry, connection, arena)?,
            updated: Some(session),
        })
    }

    fn connection_token<'b>(
        &self,
        entry: &ConnectionTokenSet<'b>,
        connection: &'b str,
        arena: &mut Arena<'b>,
    ) -> Result<ConnectionToken<'b>, AuthError> {
        let text = |arena: &mut Arena<'b>, s| json_text(arena, s);
        Ok(ConnectionToken {
            token: match entry.access_token {
                Some(t) => text(arena, t)?,
                None => "",
            },
            expires_at: entry.expires_at.unwrap_or(0),
            scope: entry.scope.map(|s| text(arena, s)).transpose()?,
            connection,
            headers: Response::EMPTY,
        })
    }
}
