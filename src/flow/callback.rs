//! The callback: `GET /auth/callback`.

use super::hooks::{CallbackContext, SessionToSave};
use super::{Arena, Auth0, AuthError, GrantFailure, Hooks, Keys, ProviderError, copy_str};
use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::form;
use crate::codec::json::{JsonStr, Object};
use crate::cookie::{self, CookieName, Lifetime, SetCookie};
use crate::http::{Request, Response, ResponseBuilder};
use crate::oauth::authorization_response::AuthorizationResponse;
use crate::oauth::transaction;
use crate::oauth::{self, Grant};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use crate::session::{self, Internal, Session, TokenSet};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

/// What the callback found before it could fail: the transaction (for the context and to
/// delete its cookie).
struct Found<'b> {
    cookie_name: &'b str,
    ctx: CallbackContext<'b>,
}

/// What [`Auth0::callback_exchange`] established.
#[derive(Debug)]
#[non_exhaustive]
pub struct CallbackExchange<'b> {
    /// The session, or why the callback failed (answer it with the `on_callback` logic).
    pub outcome: Result<CallbackSession<'b>, AuthError>,
    /// The transaction's context (`returnTo`, …), empty when it could not be read.
    pub ctx: CallbackContext<'b>,
    /// The transaction cookie to delete, when one was found.
    pub transaction_cookie: Option<&'b str>,
    /// The request's `Cookie` header (for [`Auth0::write_session`]; its SDK cookies are the
    /// ones read).
    pub request_cookie: &'b str,
}

/// The session a callback made, before the hooks.
#[derive(Debug)]
#[non_exhaustive]
pub struct CallbackSession<'b> {
    /// The session; `user` has every claim of the ID token.
    pub session: Session<'b>,
    /// The ID token.
    pub id_token: &'b str,
    /// Its claims.
    pub claims: Object<'b>,
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'c, T, C, P, S, H, K>
{
    /// The callback route: checks `state` against the transaction cookie, the provider's
    /// answer (`error`, `iss`), exchanges the code (with the configured client
    /// authentication), validates the ID token (signature included), builds the session,
    /// runs the `on_callback` and `before_session_saved` hooks, writes the session cookie and
    /// deletes the transaction cookie.
    ///
    /// Errors are answered by the `on_callback` hook (by default 500 with the SDK's message).
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request::get("/auth/callback?code=abc&state=xyz", &headers);
    /// let res = auth0.callback(&req, &mut rand_core::OsRng, &mut buf).await?;
    /// // 307 to returnTo with the session's Set-Cookie headers, or the hook's error response.
    /// # Ok(()) }
    /// ```
    pub async fn callback<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        super::check_query(req.query)?;
        let mut arena = Arena::new(buf);
        let (outcome, found, cookie_header) = self.exchange_in(req, rng, &mut arena).await?;
        // The response takes its room once the exchange is done with it (its token response
        // and the provider's certificates could use it): three quarters of what is left, a
        // quarter kept for what the hooks write beside it (the page body, `user`, `extra`).
        let mut res = arena.respond_keeping(arena.remaining() / 4, 200);
        let ctx = self.context(&found);
        // The session is built here, once the exchange is done (its slot shares this future's
        // room with the exchange's), and changed where it is: no copy is moved through the
        // exchange's future and this poll's frame.
        let mut slot = None;
        let body: &str;
        match outcome {
            Ok(x) => {
                let (id_token, claims) = (x.id_token, x.claims);
                let session = x.session_into(&mut slot);
                // The hook's page body is written into the rest of the work buffer, and only
                // what it wrote is kept (nothing, for the default redirect).
                body = arena.write(|w| self.hooks.on_callback(Ok(&*session), &ctx, &mut res, w))?;
                // before_session_saved decides the stored `user` (and extra top-level members):
                // `extra` gets an eighth of the rest, `user` what is left after it, and only
                // what it writes is kept.
                let extra_buf = arena.take(arena.remaining() / 8)?;
                let mut extra_w = Writer::new(extra_buf, "session extra");
                let user_text = arena.write(|user_w| {
                    self.hooks.before_session_saved(&mut SessionToSave {
                        claims: &claims,
                        id_token,
                        user: user_w,
                        extra: &mut extra_w,
                    })
                })?;
                let user = Object::parse(user_text).map_err(|_| crate::ConfigError::Invalid {
                    option: "before_session_saved",
                    reason: "must write a JSON object into `user`",
                })?;
                let extra_text: &str = extra_w.into_str();
                let raw = if extra_text.trim().is_empty() {
                    None
                } else {
                    let extra =
                        Object::parse(extra_text).map_err(|_| crate::ConfigError::Invalid {
                            option: "before_session_saved",
                            reason: "must write a JSON object (or nothing) into `extra`",
                        })?;
                    Some(
                        Object::parse(arena.write(|w| session::write_template(w, &extra))?)
                            .map_err(crate::Error::from)?,
                    )
                };
                session.user = user;
                session.raw = raw;
                // With a store, the record of a previous session is replaced (new id).
                let previous = match &self.store {
                    Some(_) => self.record_id(cookie_header, &mut arena).ok().flatten(),
                    None => None,
                };
                self.save(session, cookie_header, previous, true, rng, &mut res)
                    .await?;
            }
            Err(e) => {
                super::log_error(&e);
                body = arena.write(|w| self.hooks.on_callback(Err(&e), &ctx, &mut res, w))?;
            }
        }
        if let Some(f) = &found {
            let topts = self.config.transaction_cookie();
            let d = SetCookie {
                name: CookieName::plain(f.cookie_name),
                value: "",
                options: &topts,
                lifetime: Lifetime::Delete,
            };
            res.header_display("Set-Cookie", &d)?;
        }
        Ok(res.body(None, body.as_bytes())?)
    }

    /// The callback up to the session, without the hooks and without writing anything: for a
    /// runtime whose hooks are async. It checks the request, the transaction and the provider's
    /// answer, exchanges the code and verifies the ID token, and returns the session (with every
    /// claim as `user`), or why the callback failed, with the transaction's context. The runtime
    /// then runs its `on_callback` and `before_session_saved`, writes the session with
    /// [`Auth0::write_session`] (`fresh`) and deletes the transaction cookie with
    /// [`Auth0::delete_transaction_cookie`]. An `Err` is a request the callback cannot take at all
    /// (too large).
    pub async fn callback_exchange<'b>(
        &self,
        req: &Request<'b>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<CallbackExchange<'b>, AuthError>
    where
        'c: 'b,
    {
        super::check_query(req.query)?;
        let mut arena = Arena::new(buf);
        let (outcome, found, request_cookie) = self.exchange_in(req, rng, &mut arena).await?;
        if let Err(e) = &outcome {
            super::log_error(e);
        }
        Ok(CallbackExchange {
            outcome: outcome.map(|x| CallbackSession {
                session: x.session(),
                id_token: x.id_token,
                claims: x.claims,
            }),
            ctx: self.context(&found),
            transaction_cookie: found.map(|f| f.cookie_name),
            request_cookie,
        })
    }

    /// The deletion `Set-Cookie` of a transaction cookie (after a callback), into `buf`.
    pub fn delete_transaction_cookie<'b>(
        &self,
        name: &str,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let mut res = ResponseBuilder::new(buf, 200);
        let topts = self.config.transaction_cookie();
        let d = SetCookie {
            name: CookieName::plain(name),
            value: "",
            options: &topts,
            lifetime: Lifetime::Delete,
        };
        res.header_display("Set-Cookie", &d)?;
        Ok(res.finish()?)
    }

    fn context<'b>(&self, found: &Option<Found<'b>>) -> CallbackContext<'b>
    where
        'c: 'b,
    {
        found.as_ref().map(|f| f.ctx).unwrap_or(CallbackContext {
            app_base_url: self.config.app_base_url,
            ..CallbackContext::default()
        })
    }

    /// Copies the query into the arena and runs [`Self::exchange`] (the `Cookie` header is read
    /// where it is, and returned).
    #[allow(clippy::type_complexity)]
    async fn exchange_in<'b, 'r>(
        &self,
        req: &Request<'r>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
    ) -> Result<(Result<Exchanged<'b>, AuthError>, Option<Found<'b>>, &'r str), AuthError> {
        let cookie_header = self.sdk_cookies(arena, req.cookie())?;
        let query = copy_str(arena, req.query)?;
        let mut found = None;
        let outcome = self
            .exchange(query, cookie_header, rng, arena, &mut found)
            .await;
        Ok((outcome, found, cookie_header))
    }

    /// Everything of the callback that can fail: returns what the (unfiltered) session is made
    /// of, the ID token and its claims.
    async fn exchange<'b>(
        &self,
        query: &'b str,
        cookie_header: &str,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        found: &mut Option<Found<'b>>,
    ) -> Result<Exchanged<'b>, AuthError> {
        let config = &self.config;
        let now = self.now();
        let response = AuthorizationResponse::new(query);
        let raw_state = response.state().ok_or(AuthError::MissingState)?;
        let state = form::decode_component(raw_state, arena.take(raw_state.len() + 8)?)?;

        // The transaction cookie for this state.
        let name = {
            let buf = arena.take(config.transaction.prefix.len() + state.len() + 1)?;
            crate::oauth::authorize::cookie_name(config, state, buf)?
        };
        let c = cookie::get(cookie_header, name).ok_or(AuthError::InvalidState)?;
        let value = c
            .decode_into(arena.take(c.value.len())?)
            .map_err(|_| AuthError::InvalidState)?;
        let txn_buf = arena.take(value.len())?;
        let t = transaction::open(&self.keys().key, value, now, txn_buf)
            .map_err(|_| AuthError::InvalidState)?
            .transaction;
        if t.state != *state {
            return Err(AuthError::InvalidState);
        }
        let text = |arena: &mut Arena<'b>, s: JsonStr<'b>| -> Result<&'b str, Error> {
            match s.as_str() {
                Some(p) => Ok(p),
                None => super::json_text(arena, s),
            }
        };
        let return_to = text(arena, t.return_to)?;
        let response_type = text(arena, t.response_type)?;
        let challenge_mode = match t.challenge_mode {
            Some(m) => Some(text(arena, m)?),
            None => None,
        };
        let app_base_url = copy_str(arena, config.app_base_url)?;
        *found = Some(Found {
            cookie_name: name,
            ctx: CallbackContext {
                response_type,
                return_to,
                challenge_mode,
                app_base_url,
            },
        });

        let metadata = self.metadata(arena).await?;
        let raw_code = response
            .code(
                metadata.issuer,
                metadata.authorization_response_iss_parameter_supported,
            )
            .map_err(|e| {
                AuthError::Authorization(ProviderError::from_authorization_response(&e))
            })?;
        let code = form::decode_component(raw_code, arena.take(raw_code.len() + 8)?)?;

        // The code exchange.
        let redirect_uri =
            arena.write(|w| crate::oauth::authorize::write_redirect_uri(w, config))?;
        let grant = Grant::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier: t.code_verifier,
        };
        let res = self
            .token_post(&grant, &metadata, rng, arena)
            .await
            .map_err(AuthError::AuthorizationCodeGrantRequest)?;
        let tokens = oauth::parse_token_response(res.status, res.body)
            .map_err(|e| AuthError::AuthorizationCodeGrant(GrantFailure::from_response(&e)))?;
        self.check_binding(&tokens, res.status)
            .map_err(AuthError::AuthorizationCodeGrant)?;
        let malformed = |reason| {
            AuthError::AuthorizationCodeGrant(GrantFailure::Malformed {
                status: res.status,
                reason,
            })
        };
        let id_token = tokens.id_token.ok_or(malformed("`id_token` is missing"))?;
        let id_token = text(arena, id_token)?;
        let nonce = text(arena, t.nonce)?;
        let claims = self
            .validate_id_token(id_token, &metadata, Some(nonce), t.max_age, arena)
            .await?;

        // The session (SDK `buildSessionFromCallback`).
        let session_expires_at = crate::oauth::id_token::session_expiry(&claims);
        if let Some(ceiling) = session_expires_at {
            let iat = claims.get_i64("iat").unwrap_or(now);
            if ceiling <= iat.saturating_add(30) {
                return Err(AuthError::SessionExpired);
            }
        }
        // `token_type` lower case, as a refresh stores it: a DPoP-bound token from the login is
        // sent as DPoP at once (the SDK leaves it out until the first refresh).
        let token_type = super::token_type_text(arena, tokens.token_type)?.map(JsonStr::new);
        let token_set = TokenSet {
            access_token: Some(tokens.access_token),
            id_token: Some(JsonStr::new(id_token)),
            scope: tokens.scope,
            requested_scope: t.scope,
            audience: t.audience,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_in.map(|e| now.saturating_add(e)),
            token_type,
            raw: None,
        };
        Ok(Exchanged {
            token_set,
            id_token,
            claims,
            now,
            session_expires_at,
        })
    }
}

/// What the callback's session is made of (SDK `buildSessionFromCallback`), once the code is
/// exchanged and the ID token verified: the session itself is built by the caller, in its own
/// slot ([`Exchanged::session_into`]).
struct Exchanged<'b> {
    token_set: TokenSet<'b>,
    /// The ID token.
    id_token: &'b str,
    /// Its claims: the session's `user`, unfiltered.
    claims: Object<'b>,
    /// The time of the exchange: the session's `createdAt`.
    now: crate::codec::time::UnixTime,
    session_expires_at: Option<i64>,
}

impl<'b> Exchanged<'b> {
    /// The session.
    fn session(&self) -> Session<'b> {
        let claims = self.claims;
        let mut session = Session::new(claims, self.token_set, claims.get_str("sid"), self.now);
        session.internal = Internal {
            session_expires_at: self.session_expires_at,
            ..session.internal
        };
        session
    }

    /// Builds the session in `slot`, in a frame of its own, so the caller's poll frame holds
    /// no copy of it.
    #[inline(never)]
    fn session_into<'s>(&self, slot: &'s mut Option<Session<'b>>) -> &'s mut Session<'b> {
        slot.insert(self.session())
    }
}
