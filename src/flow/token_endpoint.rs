//! The token endpoint: a token request POSTed with client authentication and, when
//! configured, a DPoP proof, retried once with the server's nonce on `use_dpop_nonce`.

use super::{Arena, Auth0, Hooks};
use crate::codec::json::Object;
use crate::http::{IncomingResponse, OutgoingRequest};
use crate::oauth::discovery::Metadata;
use crate::oauth::{self, Grant, TokenRequest};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use rand_core::CryptoRngCore;

/// Whether a form request carries a DPoP proof (when DPoP is configured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proof {
    /// A DPoP proof, and the nonce retry (the token endpoint).
    Dpop,
    /// None (PAR, the CIBA authentication request, revocation).
    None,
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks> Auth0<'_, T, C, P, S, H> {
    /// POSTs a token request for `grant` to the token endpoint (with DPoP when configured,
    /// retried once with the server's nonce on `use_dpop_nonce`).
    pub(crate) async fn token_post<'b>(
        &self,
        grant: &Grant<'_>,
        metadata: &Metadata<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<IncomingResponse<'b>, crate::runtime::TransportError> {
        let now = self.now();
        let client_auth = self.client_auth();
        let req_buf = arena
            .take(8192.min(arena.remaining() / 4))
            .map_err(|_| crate::runtime::TransportError::ResponseTooLarge)?;
        let r = oauth::token_request(
            grant,
            self.config.client_id,
            &client_auth,
            metadata.issuer,
            now,
            rng,
            req_buf,
        )
        .map_err(|_| crate::runtime::TransportError::ResponseTooLarge)?;
        self.post_form(metadata.token_endpoint, &r, Proof::Dpop, rng, arena)
            .await
    }

    /// POSTs a form request (its body and `Authorization` already written) to `url`. With
    /// [`Proof::Dpop`] and DPoP configured, a DPoP proof goes with it, and a 400
    /// `use_dpop_nonce` is retried once with the server's nonce. The token endpoint's grants
    /// (code, refresh, CIBA poll, token exchange) are sent with proofs; PAR, the CIBA
    /// authentication request and revocation without.
    pub(crate) async fn post_form<'b>(
        &self,
        url: &str,
        r: &TokenRequest<'_>,
        proof: Proof,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<IncomingResponse<'b>, crate::runtime::TransportError> {
        let now = self.now();
        let dpop = match proof {
            Proof::Dpop => self.keys.dpop.as_ref(),
            Proof::None => None,
        };
        let mut nonce_buf = [0u8; 256];
        let mut nonce: Option<&str> = None;
        for attempt in 0..2 {
            let mut proof_buf = [0u8; 1024];
            let proof = match dpop {
                Some(d) => {
                    let skew = self.config.dpop.map_or(0, |c| c.clock_skew);
                    let req = crate::oauth::dpop::Request {
                        htm: "POST",
                        htu: url,
                        nonce,
                        access_token: None,
                    };
                    Some(
                        d.proof(&req, now.saturating_add(skew), rng, &mut proof_buf)
                            .map_err(|_| crate::runtime::TransportError::ResponseTooLarge)?,
                    )
                }
                None => None,
            };
            let mut headers: heapless::Vec<(&str, &str), 4> = heapless::Vec::new();
            let _ = headers.push(("Content-Type", "application/x-www-form-urlencoded"));
            let _ = headers.push(("Accept", "application/json"));
            if let Some(a) = r.authorization {
                let _ = headers.push(("Authorization", a));
            }
            if let Some(p) = proof {
                let _ = headers.push(("DPoP", p));
            }
            let req = OutgoingRequest {
                method: "POST",
                url,
                headers: &headers,
                body: r.body.as_bytes(),
            };
            let res = self.fetch(arena, &req).await?;
            let retry = attempt == 0
                && dpop.is_some()
                && res.status == 400
                && Object::parse_bytes(res.body)
                    .ok()
                    .and_then(|o| o.get_str("error"))
                    .is_some_and(|e| e == "use_dpop_nonce");
            if retry && let Some(n) = res.header("DPoP-Nonce") {
                let len = n.len().min(nonce_buf.len());
                nonce_buf[..len].copy_from_slice(&n.as_bytes()[..len]);
                nonce = core::str::from_utf8(&nonce_buf[..len]).ok();
                continue;
            }
            return Ok(res);
        }
        Err(crate::runtime::TransportError::Io)
    }

    /// With DPoP on, the token response must be `token_type: DPoP`: a provider that answers a
    /// proof with a Bearer token did not bind it, and the client would leak an unbound token.
    pub(crate) fn check_binding(
        &self,
        tokens: &oauth::TokenResponse<'_>,
        status: u16,
    ) -> Result<(), super::GrantFailure> {
        if self.keys.dpop.is_some() && !oauth::token::is_dpop(tokens.token_type) {
            return Err(super::GrantFailure::Malformed {
                status,
                reason: "a DPoP proof was sent but the provider issued a token that is not DPoP-bound (token_type is not DPoP); enable DPoP for the application at the provider",
            });
        }
        Ok(())
    }
}
