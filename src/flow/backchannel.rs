//! Back-channel logout (`POST /auth/backchannel-logout`, OpenID Connect Back-Channel Logout
//! 1.0): the provider posts a signed logout token; the sessions it names end in the store.

use super::{Arena, Auth0, AuthError, Hooks, Keys, json_text};
use crate::codec::json::Object;
use crate::http::{Request, Response, ResponseBuilder};
use crate::oauth::logout_token::{self, Expected, LogoutTokenError};
use crate::runtime::{Clock, LogoutTarget, ProviderCache, SessionStore, StoreError, Transport};
use core::borrow::Borrow;

/// The most a back-channel logout body may take (a logout token is about 1 KB): a runtime
/// reads at most this much of the request body.
pub const MAX_BACKCHANNEL_BODY: usize = 16 * 1024;

/// The SDK's answer without a session store.
const NO_STORE: &str = "A session data store is not configured.";
/// The SDK's answer for a store without `deleteByLogoutToken`.
const UNSUPPORTED: &str = "Back-channel logout is not supported by the session data store.";

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The back-channel logout route: the form body's `logout_token` is verified (RS256 or
    /// ES256 against the provider's JWKS, `typ` absent or `logout+jwt`, `iss`, `aud`, `iat`,
    /// `exp`, `sid`/`sub`, no `nonce`, the back-channel logout event, a `jti` not seen before),
    /// then the sessions it names end: those of its `sid`, or, without one, every session of
    /// its `sub` (Back-Channel Logout 1.0 §2.4). Answers 204; 400 with the reason (text) for a
    /// refused token; 500 without a store, or with a store that cannot delete by logout token.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache, S: auth0_edge::runtime::SessionStore>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P, S>, headers: &[(&str, &str)], body: &[u8]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request { method: "POST", body, ..Request::get("/auth/backchannel-logout", &headers) };
    /// let res = auth0.backchannel_logout(&req, &mut buf).await?; // 204, or 400 with the reason
    /// # Ok(()) }
    /// ```
    pub async fn backchannel_logout<'b>(
        &self,
        req: &Request<'_>,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let text = |res_buf: &'b mut [u8], status: u16, body: &str| {
            let mut res = ResponseBuilder::new(res_buf, status);
            res.no_cache()?;
            res.body(Some("text/plain; charset=utf-8"), body.as_bytes())
        };
        let Some(store) = &self.store else {
            return Ok(text(res_buf, 500, NO_STORE)?);
        };
        let refused = |res_buf: &'b mut [u8], e: LogoutTokenError| {
            event!(info, code = e.code(), reason = %e, "auth0-edge: a back-channel logout was refused");
            text(res_buf, e.status(), e.message())
        };
        let body = core::str::from_utf8(req.body).unwrap_or("");
        let token_buf = arena.take(body.len().min(MAX_BACKCHANNEL_BODY))?;
        let token = match logout_token::token_from_body(body, token_buf) {
            Ok(t) => t,
            Err(e) => return Ok(refused(res_buf, e)?),
        };
        // The SDK's pre-check: an issuer on another host than the configured domain is
        // refused (403) before anything is fetched. Skipped when `iss` cannot be read.
        let other_domain = {
            let mut scratch = arena.checkpoint();
            if let Ok(claims) = decode_claims(token, &mut scratch)
                && let Some(iss) = claims.get_str("iss")
                && let Ok(iss) = json_text(&mut scratch, iss)
                && let Ok(url) = crate::codec::url::Url::parse(iss)
            {
                !same_host(url.host, self.config.domain_parts().1)
            } else {
                false
            }
        };
        if other_domain {
            return Ok(refused(res_buf, LogoutTokenError::IssuerDomain)?);
        }
        let metadata = self.metadata(&mut arena).await?;
        let expected = Expected {
            issuer: metadata.issuer,
            client_id: self.config.client_id,
            // As the SDK (jose's default): no tolerance on the logout token's times.
            leeway: 0,
        };
        let now = self.now();
        // The signature with the JWKS (fetched again once if no key fits, as the keys may
        // have rotated), then the claims, decoded into memory that lasts.
        let mut force = false;
        let verdict = loop {
            let result = {
                let mut scratch = arena.checkpoint();
                match self.jwks(&metadata, force, &mut scratch).await? {
                    None => Err(LogoutTokenError::UnknownKey),
                    Some(jwks) => {
                        let buf = scratch.take(token.len())?;
                        logout_token::validate(token, &jwks, &expected, now, buf).map(|_| ())
                    }
                }
            };
            match result {
                Err(e) if e.is_unknown_key() && !force => force = true,
                other => break other,
            }
        };
        if let Err(e) = verdict {
            return Ok(refused(res_buf, e)?);
        }
        let claims = decode_claims(token, &mut arena)?;
        let checked = match logout_token::check_claims(claims, &expected, now) {
            Ok(t) => t,
            Err(e) => return Ok(refused(res_buf, e)?),
        };
        // A `jti` seen before is a replay: refused before anything is deleted.
        match store
            .remember_logout_token(&checked.replay_key(), checked.remember_until(0))
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(refused(res_buf, LogoutTokenError::Replayed)?),
            Err(StoreError::Unsupported) => {
                event!(
                    warn,
                    "auth0-edge: the session store keeps no logout tokens, so a replayed logout token cannot be refused; implement remember_logout_token"
                );
            }
            Err(e) => return Err(AuthError::Store(e)),
        }
        let sid = checked.sid.map(|s| json_text(&mut arena, s)).transpose()?;
        let sub = checked.sub.map(|s| json_text(&mut arena, s)).transpose()?;
        let iss = json_text(&mut arena, checked.iss)?;
        let Some(target) = LogoutTarget::of(sid, sub, iss) else {
            return Ok(refused(res_buf, LogoutTokenError::SidOrSubMissing)?);
        };
        match store.delete_by_logout_token(&target).await {
            Ok(()) => {
                event!(
                    info,
                    by_sid = target.sid().is_some(),
                    "auth0-edge: sessions ended by a back-channel logout"
                );
                let mut res = ResponseBuilder::new(res_buf, 204);
                res.no_cache()?;
                Ok(res.finish()?)
            }
            Err(StoreError::Unsupported) => Ok(text(res_buf, 500, UNSUPPORTED)?),
            Err(e) => Err(AuthError::Store(e)),
        }
    }
}

/// Whether `host` is the host of the configured domain (`authority`: a host, maybe with a
/// port), ignoring ASCII case.
fn same_host(host: &str, authority: &str) -> bool {
    let configured = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    host.eq_ignore_ascii_case(configured)
}

/// The payload of a compact JWS, decoded into the arena.
fn decode_claims<'b>(token: &str, arena: &mut Arena<'b>) -> Result<Object<'b>, AuthError> {
    let malformed = || AuthError::BadRequest("the logout token is not a JWT");
    let compact = crate::jose::jws::Compact::split(token).map_err(|_| malformed())?;
    let out = arena.take(compact.payload.len())?;
    let n = crate::codec::base64url::decode(compact.payload, out)
        .map_err(|_| malformed())?
        .len();
    let out: &'b [u8] = out.get(..n).unwrap_or(&[]);
    Object::parse_bytes(out).map_err(|_| malformed())
}
