//! Logout: `GET /auth/logout`.

use super::{Arena, Auth0, AuthError, Hooks, Keys, copy_str};
use crate::http::{Request, Response, ResponseBuilder};
use crate::oauth::logout::{self, Params};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The logout route: revokes the refresh token (errors ignored), deletes the store
    /// record, clears every session, chunk, connection and transaction cookie, and redirects
    /// (307) to the provider's logout URL (`oidc`, `v2` or `auto` strategy) with `returnTo`
    /// (default: the app base URL), `state`, `logout_hint`, `id_token_hint` and `federated`.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request::get("/auth/logout?returnTo=https%3A%2F%2Fapp.example.com%2Fbye", &headers);
    /// let res = auth0.logout(&req, &mut rand_core::OsRng, &mut buf).await?;
    /// assert_eq!(res.status, 307);
    /// # Ok(()) }
    /// ```
    pub async fn logout<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        super::check_query(req.query)?;
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let config = &self.config;
        let cookie = self.sdk_cookies(&arena, req.cookie())?;
        let query = copy_str(&mut arena, req.query)?;
        let loaded = self.load(cookie, &mut arena).await.ok().flatten();

        let decode = |arena: &mut Arena<'b>, name: &str| super::query_value(arena, query, name);
        let return_to = decode(&mut arena, "returnTo")?.unwrap_or(config.app_base_url);
        let state = decode(&mut arena, "state")?;
        let federated = decode(&mut arena, "federated")?.is_some_and(|v| v != "false");

        let metadata = self.metadata(&mut arena).await;
        // Revoke the refresh token first; failures are ignored, as in the SDK.
        if let (Ok(m), Some(l)) = (&metadata, &loaded)
            && let (Some(endpoint), Some(rt)) =
                (m.revocation_endpoint, l.session.token_set.refresh_token)
        {
            let mut scratch = arena.checkpoint();
            if let Ok(body_buf) = scratch.take(4096.min(scratch.remaining() / 2))
                && let Ok(r) = crate::oauth::revocation_request(
                    rt,
                    config.client_id,
                    &self.client_auth(),
                    m.issuer,
                    self.protocol_now(),
                    rng,
                    body_buf,
                )
            {
                let _ = self
                    .post_form(
                        endpoint,
                        &r,
                        super::token_endpoint::Proof::None,
                        rng,
                        &mut scratch,
                    )
                    .await;
            }
        }
        // The record goes, even when the session could not be read (its id is in the cookie);
        // a store that fails does not stop the logout: the cookies are cleared all the same.
        let mut store_failed = false;
        if let Some(store) = &self.store {
            let id = match loaded.as_ref() {
                Some(l) => l.id,
                None => self.record_id(cookie, &mut arena).ok().flatten(),
            };
            if let Some(id) = id {
                store_failed = store.delete(id).await.is_err();
            }
        }

        let mut res = ResponseBuilder::new(res_buf, 307);
        if store_failed {
            res.set_warning(
                "the session record could not be deleted: the session store failed; the cookies were cleared",
            );
        }
        let m = match metadata {
            Ok(m) => m,
            Err(_) => {
                return self.logout_failure(
                    res,
                    cookie,
                    "An error occurred while trying to initiate the logout request.",
                );
            }
        };
        let sid_buf = arena.take(256)?;
        let sid = loaded
            .as_ref()
            .and_then(|l| l.session.internal.sid)
            .and_then(|s| s.to_str_in(sid_buf).ok());
        let id_token = match loaded.as_ref().and_then(|l| l.session.token_set.id_token) {
            Some(t) if config.include_id_token_hint_in_oidc_logout_url => {
                Some(super::json_text(&mut arena, t)?)
            }
            _ => None,
        };
        let params = Params {
            return_to,
            state,
            sid,
            id_token,
            federated,
        };
        let mut supported = true;
        let url = arena.write(|w| {
            supported =
                logout::write_url(w, config.logout_strategy, &m, config.client_id, &params)?
                    .is_ok();
            Ok(())
        })?;
        if !supported {
            return self.logout_failure(res, cookie, "OIDC RP-Initiated Logout is not supported by the authorization server. Enable it or use a different logout strategy.");
        }
        res.header("Location", url)?;
        self.clear_cookies(cookie, &mut res)?;
        res.no_cache()?;
        Ok(res.finish()?)
    }

    fn logout_failure<'b>(
        &self,
        mut res: ResponseBuilder<'b>,
        cookie: &str,
        message: &str,
    ) -> Result<Response<'b>, AuthError> {
        res.set_status(500);
        self.clear_cookies(cookie, &mut res)?;
        res.no_cache()?;
        Ok(res.body(Some("text/plain; charset=utf-8"), message.as_bytes())?)
    }
}
