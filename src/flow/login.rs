//! Login: the route `GET /auth/login` and `start_interactive_login`.

use super::{Arena, Auth0, AuthError, Hooks, Keys};
use crate::codec::form::{self, query_get};
use crate::codec::json::JsonStr;
use crate::codec::url;
use crate::config::Pairs;
use crate::cookie::{CookieName, Lifetime, SetCookie};
use crate::http::{Request, Response, ResponseBuilder};
use crate::oauth::authorize::{self, MAX_STORED_FIELD, Secrets};
use crate::oauth::par;
use crate::oauth::pkce::{Pkce, Token};
use crate::oauth::transaction::Transaction;
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

/// Options of [`Auth0::start_interactive_login`].
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct LoginOptions<'a> {
    /// Authorization parameters (`[("connection", "github"), ("prompt", "login")]`), encoded by
    /// the library; they override the configured ones (a `scope` replaces the configured scope).
    pub authorization_params: Pairs<'a>,
    /// Where to send the user after the callback; kept only when same-origin with the app.
    pub return_to: Option<&'a str>,
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The login route: checks the query (`max_age` digits only, `challengeMode` `redirect` or
    /// `popup`), answers prefetches with 204, and redirects (307) to the provider's
    /// authorization endpoint with a new transaction cookie.
    pub async fn login<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        super::check_query(req.query)?;
        if authorize::is_prefetch(req.headers) {
            let mut res = ResponseBuilder::new(buf, 204);
            res.header("Cache-Control", "no-store")?;
            return Ok(res.finish()?);
        }
        let mut mode = [0u8; 16];
        let challenge_mode = match query_get(req.query, "challengeMode") {
            None => None,
            Some(raw) => match form::decode_component(raw, &mut mode) {
                Ok("redirect") => None,
                Ok("popup") => Some("popup"),
                _ => {
                    return text(
                        buf,
                        400,
                        "Invalid challengeMode: it must be `redirect` or `popup`.",
                    );
                }
            },
        };
        if let Some(raw) = query_get(req.query, "max_age")
            && (raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()))
        {
            return text(
                buf,
                400,
                "Invalid max_age: it must be a whole number of seconds.",
            );
        }
        let return_to = query_get(req.query, "returnTo");
        self.start(
            &[req.query],
            return_to,
            challenge_mode,
            req.cookie(),
            rng,
            buf,
        )
        .await
    }

    /// Starts a login from application code (`startInteractiveLogin`): the redirect (307) to
    /// the authorization endpoint, with the transaction cookie. `cookie_header` is the
    /// request's, for the eviction of old transaction cookies.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::flow::LoginOptions;
    /// let opts = LoginOptions { authorization_params: auth0_edge::config::Pairs::new(&[("screen_hint", "signup")]), return_to: Some("/welcome") };
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let res = auth0.start_interactive_login(&opts, "", &mut rand_core::OsRng, &mut buf).await?;
    /// assert_eq!(res.status, 307);
    /// # Ok(()) }
    /// ```
    pub async fn start_interactive_login<'b>(
        &self,
        opts: &LoginOptions<'_>,
        cookie_header: &str,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        // The parameters, form-encoded at the front of the buffer, are read like a query.
        let bound: usize = opts
            .authorization_params
            .iter()
            .map(|(k, v)| (k.len() + v.len()) * 3 + 2)
            .sum();
        if bound > super::MAX_QUERY_LEN * 3 {
            return Err(AuthError::BadRequest(
                "The login's authorization parameters are longer than 8 KiB; shorten them.",
            ));
        }
        let (params_buf, buf) = buf.split_at_mut(bound.min(buf.len()));
        let mut w = crate::codec::buf::Writer::new(params_buf, "authorization parameters");
        {
            let mut f = form::FormWriter::new(&mut w, '\0');
            for (k, v) in opts.authorization_params.iter() {
                f.pair(k, v)?;
            }
        }
        let params = w.into_str();
        super::check_query(params)?;
        let raw_return_to = opts.return_to.map(|r| r.as_bytes());
        let mut encoded = [0u8; 2 * MAX_STORED_FIELD];
        // `return_to` is a plain value here; encode it so it is read like a query value.
        let return_to = match raw_return_to {
            Some(r) => {
                let mut w = crate::codec::buf::Writer::new(&mut encoded, "returnTo");
                match form::push_form(&mut w, core::str::from_utf8(r).unwrap_or("")) {
                    Ok(()) => Some(w.into_str()),
                    Err(_) => None,
                }
            }
            None => None,
        };
        self.start(&[params], return_to, None, cookie_header, rng, buf)
            .await
    }

    async fn start<'b>(
        &self,
        sources: &[&str],
        raw_return_to: Option<&str>,
        challenge_mode: Option<&str>,
        cookie_header: &str,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let config = &self.config;
        let metadata = match self.metadata(&mut arena).await {
            Ok(m) => m,
            Err(AuthError::Discovery(_)) => {
                return text(
                    res_buf,
                    500,
                    "An error occurred while trying to initiate the login request.",
                );
            }
            Err(e) => return Err(e),
        };
        let pkce = Pkce::generate(rng);
        let state = Token::random(rng);
        let nonce = Token::random(rng);
        let redirect_uri = arena.write(|w| authorize::write_redirect_uri(w, config))?;
        // Request values of any length decode (a value longer than MAX_STORED_FIELD is still
        // sent to the provider, but not kept in the transaction).
        let sources_len: usize = sources.iter().map(|q| q.len()).sum();
        let aud_buf = arena.take(sources_len * 3 + 64)?;
        let audience = authorize::audience(config, sources, aud_buf)?;
        let scope_buf = arena.take(sources_len * 3 + 64)?;
        let scope = authorize::scope(config, sources, audience, scope_buf)?;

        // returnTo: same-origin only, else the sign-in return path; too long is dropped too.
        // Sized to the raw value (it decodes to at most its own length; the resolved URL adds
        // the app's base URL, and escapes triple it), at most what a stored field can use.
        let raw_len = raw_return_to.map_or(0, str::len);
        let rt_raw = arena.take(raw_len.min(MAX_STORED_FIELD * 2))?;
        let rt_out_len = (config.app_base_url.len() + raw_len) * 3 + 16;
        let rt_out = arena.take(rt_out_len.min(MAX_STORED_FIELD * 3))?;
        let return_to = raw_return_to
            .and_then(|raw| form::decode_component(raw, rt_raw).ok())
            .and_then(|v| url::safe_return_to(config.app_base_url, v, rt_out))
            .filter(|r| r.len() <= MAX_STORED_FIELD)
            .unwrap_or(config.sign_in_return_to_path);
        let max_age = sources
            .iter()
            .rev()
            .find_map(|q| query_get(q, "max_age"))
            .and_then(|v| v.parse::<i64>().ok());

        let transaction = Transaction {
            nonce: nonce.as_str().into(),
            max_age,
            code_verifier: pkce.code_verifier.as_str().into(),
            response_type: "code".into(),
            state: state.as_str().into(),
            return_to: return_to.into(),
            scope: scope
                .filter(|s| s.len() <= MAX_STORED_FIELD)
                .map(Into::into),
            audience: audience
                .filter(|a| a.len() <= MAX_STORED_FIELD)
                .map(Into::into),
            challenge_mode: challenge_mode.map(Into::into),
            raw: None,
        };
        let secrets = Secrets {
            state: state.as_str(),
            nonce: nonce.as_str(),
            code_challenge: pkce.code_challenge.as_str(),
            dpop_jkt: self.keys().dpop.as_ref().map(|d| d.jkt()),
        };
        // Pushed authorization requests (RFC 9126): the parameters go to the provider, the
        // browser only carries `client_id` and the `request_uri` it answers.
        let pushed = match config.pushed_authorization_requests {
            false => None,
            true => {
                let push = par::Request {
                    sources,
                    scope,
                    audience,
                    redirect_uri,
                    secrets,
                };
                match self
                    .push_authorization(&metadata, &push, rng, &mut arena)
                    .await?
                {
                    Ok(request_uri) => Some(request_uri),
                    Err(e) => {
                        event!(warn, reason = %e, "auth0-edge: the pushed authorization request failed");
                        return text(res_buf, e.status(), e.message());
                    }
                }
            }
        };
        let parts = Redirect {
            sources,
            scope,
            audience,
            redirect_uri,
            secrets,
            pushed,
            authorization_endpoint: metadata.authorization_endpoint,
        };
        self.redirect(&parts, &transaction, cookie_header, rng, arena, res_buf)
    }

    /// The login's answer once its parameters are made: the sealed transaction cookie
    /// (evicting stale ones) and the redirect to the provider. Never inlined: its locals
    /// (the cookie name, the sealing, the URL writer) are not laid out in the login's poll
    /// frame, which is on the stack under the provider requests' TLS checks.
    #[inline(never)]
    fn redirect<'b>(
        &self,
        parts: &Redirect<'_>,
        transaction: &Transaction<'_>,
        cookie_header: &str,
        rng: &mut impl CryptoRngCore,
        mut arena: Arena<'b>,
        res_buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let config = &self.config;
        let now = self.now();
        let Redirect {
            sources,
            scope,
            audience,
            redirect_uri,
            ref secrets,
            pushed,
            authorization_endpoint,
        } = *parts;
        let request_cookie = self.sdk_cookies(&arena, cookie_header)?;
        let mut name_buf = [0u8; 256];
        let name = authorize::cookie_name(config, secrets.state, &mut name_buf)?;
        let txn_buf = arena.take(arena.remaining())?;
        let value = transaction.seal(
            &self.keys().key,
            rng,
            now,
            config.transaction.max_age,
            txn_buf,
        )?;

        let mut res = ResponseBuilder::new(res_buf, 307);
        {
            let w = res.begin_header("Location")?;
            match pushed {
                Some(request_uri) => {
                    par::write_redirect(w, authorization_endpoint, config.client_id, request_uri)?
                }
                None => authorize::write_url(
                    w,
                    authorization_endpoint,
                    config,
                    sources,
                    scope,
                    audience,
                    redirect_uri,
                    secrets,
                )?,
            }
            res.end_header()?;
        }
        let topts = config.transaction_cookie();
        for c in authorize::evictions(
            request_cookie,
            config.transaction.prefix,
            name,
            value.len(),
            &topts,
        ) {
            res.header_display("Set-Cookie", &c)?;
        }
        let c = SetCookie {
            name: CookieName::plain(name),
            value,
            options: &topts,
            lifetime: Lifetime::MaxAge {
                max_age: config.transaction.max_age,
                now,
            },
        };
        res.header_display("Set-Cookie", &c)?;
        Ok(res.finish()?)
    }
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// Pushes the authorization request (with client authentication, without DPoP); the
    /// provider's `request_uri`, or why the push failed (answered with the SDK's login error).
    async fn push_authorization<'b>(
        &self,
        metadata: &crate::oauth::discovery::Metadata<'_>,
        push: &par::Request<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<Result<JsonStr<'b>, par::ParError<'b>>, AuthError> {
        let endpoint = match par::endpoint(metadata) {
            Ok(e) => e,
            Err(e) => return Ok(Err(e)),
        };
        let req_buf = arena.take(8192.min(arena.remaining() / 4))?;
        let body = par::request(
            &self.config,
            push,
            &self.client_auth(),
            metadata.issuer,
            self.protocol_now(),
            rng,
            req_buf,
        )?;
        let reply = match self
            .post_form(
                endpoint,
                &body,
                super::token_endpoint::Proof::None,
                rng,
                arena,
            )
            .await
        {
            Ok(r) => r,
            Err(_) => {
                return Ok(Err(par::ParError::Malformed {
                    status: 0,
                    reason: "the pushed authorization request endpoint could not be reached",
                }));
            }
        };
        Ok(par::parse_response(reply.status, reply.body).map(|p| p.request_uri))
    }
}

/// A plain-text response.
pub(crate) fn text<'b>(
    buf: &'b mut [u8],
    status: u16,
    message: &str,
) -> Result<Response<'b>, AuthError> {
    let res = ResponseBuilder::new(buf, status);
    Ok(res.body(Some("text/plain; charset=utf-8"), message.as_bytes())?)
}

/// What the login's redirect is made of ([`Auth0::redirect`]).
struct Redirect<'a> {
    sources: &'a [&'a str],
    scope: Option<&'a str>,
    audience: Option<&'a str>,
    redirect_uri: &'a str,
    secrets: Secrets<'a>,
    /// The `request_uri` of a pushed authorization request.
    pushed: Option<JsonStr<'a>>,
    authorization_endpoint: &'a str,
}
