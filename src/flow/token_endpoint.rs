//! The token endpoint and DPoP-protected requests: every form POST goes through
//! [`Auth0::post_form`] (a token request with client authentication and, for the token
//! endpoint's grants, a DPoP proof), and every request to a protected resource through
//! [`Auth0::fetch_with_auth`]. Both learn the servers' nonces from any `DPoP-Nonce` header,
//! keep them per origin in the runtime's [`ProviderCache`] (so they outlive the request), and
//! retry once on `use_dpop_nonce` after the SDK's delay (`delay × (0.5 + random × 0.5)` with
//! jitter), waited on the runtime's [`Clock::sleep`]. Proofs and client assertions are dated
//! with the configured clock skew ([`Config::clock_skew`](crate::config::Config::clock_skew)).
//!
//! Nothing here allocates: proofs, nonces and headers live on the stack or in the flow's
//! buffer.

use super::{Arena, Auth0, AuthError, Hooks, Keys};
use crate::UnixTime;
use crate::codec::json::JsonStr;
use crate::http::{IncomingResponse, OutgoingRequest, ResponseHead};
use crate::oauth::discovery::Metadata;
use crate::oauth::dpop::{self, Dpop, MAX_NONCE_LEN};
use crate::oauth::dpop_resource::{
    self, AuthScheme, MAX_RESOURCE_HEADERS, ResourceError, ResourceRequest,
};
use crate::oauth::{self, Grant, TokenRequest};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport, TransportError};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

/// Whether a form request carries a DPoP proof (when DPoP is configured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proof {
    /// A DPoP proof, and the nonce retry (the token endpoint).
    Dpop,
    /// None (PAR, the CIBA authentication request, revocation).
    None,
}

/// The bytes a proof takes at most: the encoded header (about 175), the encoded claims (at
/// most [`dpop::MAX_CLAIMS_LEN`]), the signature (86) and the dots.
const PROOF_LEN: usize = 2048;

/// The nonce a request sends: the one kept for its origin, then any the server sends.
struct Nonce {
    value: heapless::String<MAX_NONCE_LEN>,
}

impl Nonce {
    /// No nonce.
    fn empty() -> Nonce {
        Nonce {
            value: heapless::String::new(),
        }
    }

    /// The nonce kept for `origin`, if any.
    fn load(cache: &impl ProviderCache, origin: Option<&str>) -> Nonce {
        let mut n = Nonce::empty();
        let mut buf = [0u8; MAX_NONCE_LEN];
        if let Some(o) = origin
            && let Some(len) = cache.load_dpop_nonce(o, &mut buf)
            && let Some(text) = buf.get(..len).and_then(|b| core::str::from_utf8(b).ok())
            && dpop::is_valid_nonce(text)
        {
            let _ = n.value.push_str(text);
        }
        n
    }

    /// Takes a `DPoP-Nonce` from `res` (any status) and keeps it for `origin`.
    fn learn(&mut self, cache: &impl ProviderCache, origin: Option<&str>, res: &IncomingResponse) {
        let Some(new) = res.header("DPoP-Nonce").filter(|n| dpop::is_valid_nonce(n)) else {
            return;
        };
        self.value.clear();
        let _ = self.value.push_str(new);
        if let Some(o) = origin {
            cache.store_dpop_nonce(o, new);
        }
    }

    fn get(&self) -> Option<&str> {
        (!self.value.is_empty()).then_some(self.value.as_str())
    }
}

/// The most bytes [`oauth::token_request`] needs for `grant`: the body (the parameter names
/// and every value form-encoded, computed exactly), the room `client_secret_basic` writes its
/// `Authorization` value in (half of what follows the body holds the encoded credentials, the
/// other half their Base64), and a `private_key_jwt` assertion (an ES256 JWT: header, claims
/// naming the client and the issuer, signature). The work buffer keeps this much of the
/// request while the response is read, so it is computed rather than guessed.
fn token_request_bound(
    grant: &Grant<'_>,
    client_id: &str,
    auth: &oauth::ClientAuth<'_>,
    issuer: &str,
) -> usize {
    use crate::codec::form::form_len;
    use oauth::ClientAuth;
    // A JSON string with escapes decodes to no more bytes than its text, each encoded to at
    // most three.
    let json_len = |s: &JsonStr<'_>| s.as_str().map_or(3 * s.len(), form_len);
    let values = match grant {
        Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => form_len(code) + form_len(redirect_uri) + json_len(code_verifier),
        Grant::RefreshToken {
            refresh_token,
            scope,
            audience,
        } => json_len(refresh_token) + scope.map_or(0, form_len) + audience.map_or(0, form_len),
    };
    // The parameter names, `=` and `&` of the longest grant, with `client_id` and
    // `client_secret`.
    const NAMES: usize = 160;
    let client = form_len(client_id);
    let auth_len = match auth {
        ClientAuth::SecretPost(s) => form_len(s),
        ClientAuth::SecretBasic(s) => {
            let raw = client + 1 + form_len(s);
            2 * (6 + 4 * raw.div_ceil(3) + 1)
        }
        ClientAuth::PrivateKeyJwt(_) => 1024 + 2 * (client_id.len() + issuer.len()),
        _ => 0,
    };
    NAMES + values + client + auth_len
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The time of the protocol's messages: the clock plus the configured skew (the proofs'
    /// `iat`, the client assertion's `iat`/`nbf`/`exp`; the SDK's oauth4webapi `clockSkew`).
    pub(crate) fn protocol_now(&self) -> UnixTime {
        self.now().saturating_add(self.config.clock_skew())
    }

    /// Waits before the one `use_dpop_nonce` retry: the configured delay, jittered to
    /// `delay × (0.5 + random × 0.5)`, on the runtime's clock.
    async fn nonce_retry_delay(&self, rng: &mut impl CryptoRngCore) {
        let (delay, jitter) = self
            .config
            .dpop
            .map_or((crate::config::DEFAULT_RETRY_DELAY_MS, true), |d| {
                (d.retry_delay_ms, d.retry_jitter)
            });
        let ms = dpop::retry_delay_ms(delay, jitter, rng.next_u32());
        event!(
            debug,
            delay_ms = ms,
            "auth0-edge: DPoP nonce required; retrying once"
        );
        self.clock.sleep(ms).await;
    }

    /// POSTs a token request for `grant` to the token endpoint (with DPoP when configured,
    /// retried once with the server's nonce on `use_dpop_nonce`). A client assertion is dated
    /// with the clock skew.
    pub(crate) async fn token_post<'b>(
        &self,
        grant: &Grant<'_>,
        metadata: &Metadata<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        let now = self.protocol_now();
        let client_auth = self.client_auth();
        let need = token_request_bound(grant, self.config.client_id, &client_auth, metadata.issuer);
        // The request (and its DPoP proof) at the back of the work buffer, the response at the
        // front: once the request is sent its room is the buffer's again.
        let head = {
            let (mut front, back) = arena
                .split_back(need.min(8192).min(arena.remaining()))
                .map_err(|_| TransportError::ResponseTooLarge)?;
            let r = oauth::token_request(
                grant,
                self.config.client_id,
                &client_auth,
                metadata.issuer,
                now,
                rng,
                back,
            )
            .map_err(|_| TransportError::ResponseTooLarge)?;
            self.post_form_head(metadata.token_endpoint, &r, Proof::Dpop, rng, &mut front)
                .await?
        };
        arena.keep_response(&head)
    }

    /// POSTs a form request (its body and `Authorization` already written) to `url`. With
    /// [`Proof::Dpop`] and DPoP configured, a DPoP proof goes with it (carrying the nonce kept
    /// for the server's origin), and a `use_dpop_nonce` answer (a 400 with that `error`, or a
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge) is retried once, after the
    /// retry delay, with the nonce the server sent. The token endpoint's grants (code,
    /// refresh, CIBA poll, token exchange) are sent with proofs; PAR, the CIBA authentication
    /// request and revocation without. With DPoP configured, a `DPoP-Nonce` of any answer is
    /// kept for the next request to that origin.
    pub(crate) async fn post_form<'b>(
        &self,
        url: &str,
        r: &TokenRequest<'_>,
        proof: Proof,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<IncomingResponse<'b>, TransportError> {
        let head = self.post_form_head(url, r, proof, rng, arena).await?;
        arena.keep_response(&head)
    }

    /// [`Auth0::post_form`], leaving the response at the front of the arena's rest
    /// ([`Arena::send`]).
    async fn post_form_head(
        &self,
        url: &str,
        r: &TokenRequest<'_>,
        proof: Proof,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'_>,
    ) -> Result<ResponseHead, TransportError> {
        let dpop_on = self.keys().dpop.is_some();
        let dpop = match proof {
            Proof::Dpop => self.keys().dpop.as_ref(),
            Proof::None => None,
        };
        let origin = dpop::origin(url);
        let mut nonce = match dpop {
            Some(_) => Nonce::load(&self.cache, origin),
            None => Nonce::empty(),
        };
        for attempt in 0..2 {
            // The proof lives in the work buffer, not in this future (it is held across the
            // request): at the back of it, so that the response is at the front.
            let (mut front, proof_buf) = arena
                .split_back(if dpop.is_some() { PROOF_LEN } else { 0 })
                .map_err(|_| TransportError::ResponseTooLarge)?;
            let proof = match dpop {
                Some(d) => Some(
                    self.sign_proof(d, "POST", url, nonce.get(), None, rng, proof_buf)
                        .map_err(|_| TransportError::ResponseTooLarge)?,
                ),
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
            let head = front.send(&self.transport, &req).await?;
            let res = front.peek(&head).ok_or(TransportError::Io)?;
            if dpop_on {
                nonce.learn(&self.cache, origin, &res);
            }
            if attempt == 0
                && dpop.is_some()
                && dpop::is_nonce_error(res.status, res.headers, res.body)
            {
                self.nonce_retry_delay(rng).await;
                continue;
            }
            return Ok(head);
        }
        Err(TransportError::Io)
    }

    /// A proof for `htm htu` at the protocol time, with `nonce` and (for a resource) `ath`.
    #[allow(clippy::too_many_arguments)]
    fn sign_proof<'o>(
        &self,
        d: &Dpop,
        htm: &str,
        htu: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
        rng: &mut impl CryptoRngCore,
        out: &'o mut [u8],
    ) -> Result<&'o str, crate::Error> {
        let req = dpop::Request {
            htm,
            htu,
            nonce,
            access_token,
        };
        d.proof(&req, self.protocol_now(), rng, out)
    }

    /// With DPoP on, the token response must be `token_type: DPoP`: a provider that answers a
    /// proof with a Bearer token did not bind it, and the client would leak an unbound token.
    pub(crate) fn check_binding(
        &self,
        tokens: &oauth::TokenResponse<'_>,
        status: u16,
    ) -> Result<(), super::GrantFailure> {
        if self.keys().dpop.is_some() && !oauth::token::is_dpop(tokens.token_type) {
            return Err(super::GrantFailure::Malformed {
                status,
                reason: "a DPoP proof was sent but the provider issued a token that is not DPoP-bound (token_type is not DPoP); enable DPoP for the application at the provider",
            });
        }
        Ok(())
    }

    /// A request to a protected resource with the user's access token (the SDK's
    /// `fetchWithAuth`, after `get_access_token` gave the token): `Authorization: DPoP` and a
    /// `DPoP` proof carrying `ath` and the origin's nonce when DPoP is on and the token is
    /// DPoP-bound ([`AuthScheme::for_token`]), else `Authorization: Bearer`. Sent through
    /// `http` (the application's HTTP client, or the flows' transport), read into `buf`.
    ///
    /// A `DPoP-Nonce` of the answer is kept for the origin; a `WWW-Authenticate: DPoP
    /// error="use_dpop_nonce"` challenge (typically a 401) is retried once, after the retry
    /// delay, with the nonce it came with, and a second one is
    /// [`ResourceError::NonceErrorPersisted`] (the SDK's "DPoP nonce error persisted after
    /// retry"). Any other answer, an error status or challenge included, is returned.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, token: &auth0_edge::flow::AccessToken<'_>) -> Result<(), auth0_edge::oauth::dpop_resource::ResourceError> {
    /// use auth0_edge::oauth::dpop_resource::{ResourceRequest, join_url};
    /// let mut url = [0u8; 256];
    /// let url = join_url(Some("https://api.example.com/v1"), "/orders", &mut url)?;
    /// let req = ResourceRequest { method: "GET", url, access_token: token.token, token_type: token.token_type, ..Default::default() };
    /// let mut buf = vec![0u8; 64 * 1024];
    /// let res = auth0.fetch_with_auth(auth0.transport(), &req, &mut rand_core::OsRng, &mut buf).await?;
    /// println!("{} {}", res.status, core::str::from_utf8(res.body).unwrap_or(""));
    /// # Ok(()) }
    /// ```
    pub async fn fetch_with_auth<'b, X: Transport>(
        &self,
        http: &X,
        req: &ResourceRequest<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<IncomingResponse<'b>, ResourceError> {
        crate::codec::url::Url::parse(req.url).map_err(ResourceError::Url)?;
        let scheme = AuthScheme::for_token(req.token_type, self.keys().dpop.is_some());
        let dpop = match scheme {
            AuthScheme::DPoP => self.keys().dpop.as_ref(),
            _ => None,
        };
        if req.headers.len() > MAX_RESOURCE_HEADERS
            || req.headers.iter().any(|(k, v)| {
                k.is_empty()
                    || !k.bytes().all(|b| b.is_ascii_graphic() && b != b':')
                    || v.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
            })
        {
            return Err(ResourceError::Header);
        }
        let mut arena = Arena::new(buf);
        let authorization = arena
            .write(|w| {
                w.push_str(scheme.as_str())?;
                w.push_ascii(b' ')?;
                w.push_str(req.access_token)
            })
            .map_err(ResourceError::Request)?;
        let origin = dpop::origin(req.url);
        let mut nonce = Nonce::load(&self.cache, origin.filter(|_| dpop.is_some()));
        let mut htm = [0u8; 16];
        let htm = {
            let m = req.method.as_bytes();
            let dst = htm.get_mut(..m.len()).ok_or(ResourceError::Header)?;
            dst.copy_from_slice(m);
            dst.make_ascii_uppercase();
            core::str::from_utf8(dst).map_err(|_| ResourceError::Header)?
        };
        for attempt in 0..2 {
            let mut proof_buf = [0u8; PROOF_LEN];
            let proof = match dpop {
                Some(d) => Some(
                    self.sign_proof(
                        d,
                        htm,
                        req.url,
                        nonce.get(),
                        Some(req.access_token),
                        rng,
                        &mut proof_buf,
                    )
                    .map_err(ResourceError::Request)?,
                ),
                None => None,
            };
            let mut headers: heapless::Vec<(&str, &str), { MAX_RESOURCE_HEADERS + 2 }> =
                heapless::Vec::new();
            for &(k, v) in req.headers {
                if !k.eq_ignore_ascii_case("authorization") && !k.eq_ignore_ascii_case("dpop") {
                    headers.push((k, v)).map_err(|_| ResourceError::Header)?;
                }
            }
            headers
                .push(("Authorization", authorization))
                .map_err(|_| ResourceError::Header)?;
            if let Some(p) = proof {
                headers
                    .push(("DPoP", p))
                    .map_err(|_| ResourceError::Header)?;
            }
            let out = OutgoingRequest {
                method: htm,
                url: req.url,
                headers: &headers,
                body: req.body,
            };
            let res = arena
                .fetch(http, &out)
                .await
                .map_err(ResourceError::Transport)?;
            if dpop.is_none() {
                return Ok(res);
            }
            nonce.learn(&self.cache, origin, &res);
            let Some(challenge) = dpop_resource::nonce_challenge(res.headers) else {
                return Ok(res);
            };
            if attempt == 0 {
                self.nonce_retry_delay(rng).await;
                continue;
            }
            let description = challenge
                .param("error_description")
                .map(|d| dpop_resource::challenge_text(&d))
                .unwrap_or_default();
            event!(
                warn,
                status = res.status,
                "auth0-edge: DPoP nonce error persisted after retry"
            );
            return Err(ResourceError::NonceErrorPersisted {
                status: res.status,
                description,
            });
        }
        Err(ResourceError::Transport(TransportError::Io))
    }

    /// The provider's metadata (the discovery document, from the cache or fetched), viewed in
    /// `buf`: for a route that calls one of its endpoints itself (the userinfo endpoint
    /// through [`Auth0::fetch_with_auth`]).
    pub async fn provider_metadata<'b>(
        &self,
        buf: &'b mut [u8],
    ) -> Result<Metadata<'b>, AuthError> {
        let mut arena = Arena::new(buf);
        self.metadata(&mut arena).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::Object;
    use crate::jose::jwk::EcKeyPair;
    use oauth::ClientAuth;

    /// The bound holds every request it is computed for (a buffer of exactly that size is
    /// enough), and is close to what is written for the usual values.
    #[test]
    fn the_token_request_bound_fits_and_is_tight() {
        let doc = r#"{"plain":"v1.MRrT-0123456789_abcdefghijklmnopqrstuvwxyzABCDEFG","escaped":"a\nb\u00e9 \"c\" \ud83d\ude00/+&="}"#;
        let obj = Object::parse(doc).unwrap();
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let secret = "s3cr3t/with+odd&chars=and spaces é";
        let auths = [
            ClientAuth::SecretPost(secret),
            ClientAuth::SecretBasic(secret),
            ClientAuth::PrivateKeyJwt(&key),
            ClientAuth::None,
        ];
        for token in ["plain", "escaped"] {
            let t = obj.get_str(token).unwrap();
            let grants = [
                Grant::AuthorizationCode {
                    code: "c0de with spaces/&=é",
                    redirect_uri: "https://app.example.com/auth/callback?x=1&y=é",
                    code_verifier: t,
                },
                Grant::RefreshToken {
                    refresh_token: t,
                    scope: Some("openid profile read:orders"),
                    audience: Some("https://api.example.com/é"),
                },
                Grant::RefreshToken {
                    refresh_token: t,
                    scope: None,
                    audience: None,
                },
            ];
            for grant in &grants {
                for auth in &auths {
                    let (id, issuer) = ("client id/é", "https://tenant.example.com/");
                    let bound = token_request_bound(grant, id, auth, issuer);
                    let mut buf = vec![0u8; bound];
                    let r = oauth::token_request(
                        grant,
                        id,
                        auth,
                        issuer,
                        1_800_000_000,
                        &mut rand_core::OsRng,
                        &mut buf,
                    )
                    .unwrap_or_else(|e| panic!("{grant:?} {auth:?}: {e}"));
                    let written = r.body.len() + r.authorization.map_or(0, str::len);
                    if token == "plain" && !matches!(auth, ClientAuth::PrivateKeyJwt(_)) {
                        // The names' allowance and Basic's halves are all that is left over.
                        assert!(
                            bound <= 2 * written + 192,
                            "{grant:?} {auth:?}: {bound} for {written}"
                        );
                    }
                }
            }
        }
    }
}
