//! CIBA on tokio: [`Auth0Client::get_token_by_backchannel_auth`], with an owned result.

use super::Auth0Client;
use crate::flow::{AuthError, BackchannelOptions};
use serde_json::{Map, Value};
use std::prelude::rust_2024::*;

/// The result of a backchannel authentication, owned: the token set and the verified ID
/// token's claims (no session is made).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BackchannelTokenData {
    /// The access token.
    pub access_token: String,
    /// The ID token.
    pub id_token: Option<String>,
    /// The refresh token, when the scope asked for `offline_access`.
    pub refresh_token: Option<String>,
    /// The scope granted, when known.
    pub scope: Option<String>,
    /// Expiry, Unix seconds.
    pub expires_at: Option<i64>,
    /// `token_type`, lower case.
    pub token_type: Option<String>,
    /// The verified ID token's claims (`sub`, …).
    pub id_token_claims: Map<String, Value>,
    /// `authorization_details` of the token response (RAR), when sent.
    pub authorization_details: Option<Value>,
}

impl Auth0Client {
    /// Signs a user in on another device (CIBA, the SDK's `getTokenByBackchannelAuth`): the
    /// authentication request, then polling on the runtime's clock (`interval`, `slow_down`,
    /// a 503's `Retry-After`, until `expires_in`) until the user decides. No session is made.
    /// A refusal is [`AuthError::Backchannel`] with the provider's code (`access_denied`,
    /// `expired_token`, …).
    ///
    /// ```no_run
    /// # async fn example(client: auth0_edge::tokio::Auth0Client) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::flow::BackchannelOptions;
    /// let opts = BackchannelOptions {
    ///     login_hint_sub: "auth0|kiosk-user",
    ///     binding_message: "Sign in to kiosk 7",
    ///     ..Default::default()
    /// };
    /// let t = client.get_token_by_backchannel_auth(&opts).await?;
    /// println!("{} signed in", t.id_token_claims["sub"]);
    /// # Ok(()) }
    /// ```
    pub async fn get_token_by_backchannel_auth(
        &self,
        options: &BackchannelOptions<'_>,
    ) -> Result<BackchannelTokenData, AuthError> {
        let mut buf = vec![0u8; crate::flow::FLOW_BUFFER_LEN];
        let t = self
            .core()
            .get_token_by_backchannel_auth(options, &mut super::ThreadRng, &mut buf)
            .await?;
        let text = |s: Option<crate::codec::json::JsonStr<'_>>| s.map(|s| s.chars().collect());
        let invalid = |_| AuthError::Core(crate::Error::Json(crate::JsonError::TooDeep));
        Ok(BackchannelTokenData {
            access_token: text(t.token_set.access_token).unwrap_or_default(),
            id_token: text(t.token_set.id_token),
            refresh_token: text(t.token_set.refresh_token),
            scope: text(t.token_set.scope),
            expires_at: t.token_set.expires_at,
            token_type: text(t.token_set.token_type),
            id_token_claims: serde_json::from_str(t.id_token_claims.raw()).map_err(invalid)?,
            authorization_details: t
                .authorization_details
                .map(|v| serde_json::from_str(v.raw()))
                .transpose()
                .map_err(invalid)?,
        })
    }
}
