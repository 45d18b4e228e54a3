//! The profile and access-token routes, and `get_access_token` with refresh and
//! multi-resource refresh tokens (MRRT).

use super::hooks::SessionToSave;
use super::{Arena, Auth0, AuthError, GrantFailure, Hooks, Keys, copy_str};
use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object, ObjectWriter};
use crate::codec::time::UnixTime;
use crate::http::{Request, Response, ResponseBuilder};
use crate::oauth::id_token::IdTokenError;
use crate::oauth::{self, Grant, scope};
use crate::runtime::{Clock, ProviderCache, SessionStore, Transport};
use crate::session::{self, AccessToken as Entry, Session, TokenSet};
use core::borrow::Borrow;
use rand_core::CryptoRngCore;

/// Options of [`Auth0::get_access_token`] (`getAccessToken(options)`).
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct AccessTokenOptions<'a> {
    /// Refresh even if the token has not expired (`refresh: true`).
    pub refresh: bool,
    /// The scope needed (merged with the configured scope unless `merge_scopes` is false).
    pub scope: Option<&'a str>,
    /// The audience needed (another API: multi-resource refresh tokens).
    pub audience: Option<&'a str>,
    /// Merge `scope` with the configured scope for the audience (default true).
    pub merge_scopes: bool,
}

impl Default for AccessTokenOptions<'_> {
    fn default() -> Self {
        AccessTokenOptions {
            refresh: false,
            scope: None,
            audience: None,
            merge_scopes: true,
        }
    }
}

/// An access token and the response headers that persist any refresh.
#[derive(Debug)]
#[non_exhaustive]
pub struct AccessToken<'b> {
    /// The access token.
    pub token: &'b str,
    /// The scope granted, when known.
    pub scope: Option<&'b str>,
    /// When it expires (Unix seconds).
    pub expires_at: UnixTime,
    /// `token_type`, lower case, when stored (from the login and every refresh).
    pub token_type: Option<&'b str>,
    /// Headers to add to the response (`Set-Cookie` and cache headers) when the session
    /// changed; empty otherwise.
    pub headers: Response<'b>,
}

/// The outcome of [`Auth0::token_for`].
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenFor<'b> {
    /// The access token (its `headers` are empty: nothing was written).
    pub token: AccessToken<'b>,
    /// The session to write when the tokens were refreshed.
    pub refreshed: Option<Refreshed<'b>>,
}

/// A session whose tokens were refreshed, to be written by the caller.
#[derive(Debug)]
#[non_exhaustive]
pub struct Refreshed<'b> {
    /// The session with the new tokens; its `user` is [`Refreshed::claims`] when the provider
    /// sent a new ID token.
    pub session: Session<'b>,
    /// The new ID token's claims (verified), when the provider sent one.
    pub claims: Option<Object<'b>>,
    /// The new ID token.
    pub id_token: Option<&'b str>,
}

fn text<'b>(
    arena: &mut Arena<'b>,
    s: Option<JsonStr<'b>>,
) -> Result<Option<&'b str>, crate::Error> {
    match s {
        None => Ok(None),
        Some(s) => match s.as_str() {
            Some(p) => Ok(Some(p)),
            None => super::json_text(arena, s).map(Some),
        },
    }
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The profile route: 200 with the session's `user` as JSON and the cache headers; 401
    /// (or 204 when configured) without a session.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let res = auth0.profile(&Request::get("/auth/profile", &headers), &mut buf).await?;
    /// if res.status == 200 { println!("{}", res.body_str()); }
    /// # Ok(()) }
    /// ```
    pub async fn profile<'b>(
        &self,
        req: &Request<'_>,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let cookie = self.sdk_cookies(&arena, req.cookie())?;
        match self.load(cookie, &mut arena).await? {
            Some(l) => {
                let mut res = ResponseBuilder::new(res_buf, 200);
                res.no_cache()?;
                Ok(res.body(Some("application/json"), l.session.user.raw().as_bytes())?)
            }
            None => {
                let status = if self.config.no_content_profile_response_when_unauthenticated {
                    204
                } else {
                    401
                };
                Ok(ResponseBuilder::new(res_buf, status).finish()?)
            }
        }
    }

    /// The access-token route: `{"token", "scope", "expires_at", "expires_in", "token_type"}`
    /// (refreshing when needed; query `audience`, `scope`, `mergeScopes=false`), or 401 with
    /// `{"error":{"message","code"}}`. A `session_expired` error also deletes the session.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let req = Request::get("/auth/access-token?audience=https%3A%2F%2Fapi.example.com", &headers);
    /// let res = auth0.access_token_route(&req, &mut rand_core::OsRng, &mut buf).await?;
    /// // 200 {"token":…} (with Set-Cookie when refreshed) or 401 {"error":{…}}
    /// # Ok(()) }
    /// ```
    pub async fn access_token_route<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let cookie = self.sdk_cookies(&arena, req.cookie())?;
        let opts = Self::options_in(req.query, &mut arena)?;
        let res = ResponseBuilder::new(res_buf, 200);
        let mut mfa = Mfa::new(0);
        let mut res = Some(res);
        let t = self
            .access_token_into(cookie, &opts, rng, &mut arena, &mut res, &mut mfa)
            .await;
        let res = res.ok_or(AuthError::MissingSession)?;
        let body_buf = arena.take(arena.remaining().min(16384))?;
        self.access_token_reply(t.as_ref(), mfa.text, cookie, res, body_buf)
    }

    /// The options of an access-token route request: its query's `audience`, `scope` and
    /// `mergeScopes=false`, decoded into `buf`.
    pub fn access_token_options<'b>(
        query: &str,
        buf: &'b mut [u8],
    ) -> Result<AccessTokenOptions<'b>, AuthError> {
        Self::options_in(query, &mut Arena::new(buf))
    }

    fn options_in<'b>(
        query: &str,
        arena: &mut Arena<'b>,
    ) -> Result<AccessTokenOptions<'b>, AuthError> {
        super::check_query(query)?;
        let query = copy_str(arena, query)?;
        let mut decode = |name: &str| super::query_value(arena, query, name);
        Ok(AccessTokenOptions {
            refresh: false,
            audience: decode("audience")?,
            scope: decode("scope")?,
            merge_scopes: decode("mergeScopes")? != Some("false"),
        })
    }

    /// The access-token route's answer to `result` (a runtime that gets the token its own way
    /// answers with this): 200 `{"token", "scope", "expires_at", "expires_in", "token_type"}`,
    /// 403 `{"error":"mfa_required",…}` for [`AuthError::MfaRequired`] with its
    /// `mfa_challenge` ([`super::MfaRequiredError::challenge`]), or 401 `{"error":{"message","code"}}`
    /// (deleting the session's cookies, found in `request_cookie`, on `session_expired`).
    /// Errors that are no answer (a store that is down, a buffer too small) are returned. The
    /// response lives in `buf`.
    pub fn access_token_response<'b>(
        &self,
        result: Result<&AccessToken<'_>, &AuthError>,
        mfa_challenge: Option<MfaChallenge<'_>>,
        request_cookie: &str,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let cookie = self.sdk_cookies(&arena, request_cookie)?;
        let body_buf = arena.take(arena.remaining().min(16384))?;
        self.access_token_reply(
            result,
            mfa_challenge,
            cookie,
            ResponseBuilder::new(res_buf, 200),
            body_buf,
        )
    }

    /// Writes the route's answer into `res` (200) or, for a refused request, into `err_buf`
    /// (401).
    fn access_token_reply<'b>(
        &self,
        result: Result<&AccessToken<'_>, &AuthError>,
        mfa_challenge: Option<MfaChallenge<'_>>,
        cookie: &str,
        res: ResponseBuilder<'b>,
        err_buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        if let (Err(AuthError::MfaRequired(e)), Some(c)) = (result, mfa_challenge) {
            super::log_error(&AuthError::MfaRequired(e.clone()));
            let mut res = ResponseBuilder::new(err_buf, 403);
            res.no_cache()?;
            let mut b = res.body_writer("application/json")?;
            let requirements = c
                .mfa_requirements
                .map(crate::codec::json::Value::parse)
                .transpose()
                .map_err(crate::Error::from)?;
            crate::oauth::mfa::write_required_body(
                &mut b.body,
                JsonStr::new(e.description.as_str()),
                c.mfa_token,
                requirements,
            )?;
            return Ok(b.finish());
        }
        match result {
            Ok(t) => {
                let now = self.now();
                let mut b = res.body_writer("application/json")?;
                let mut o = ObjectWriter::begin(&mut b.body)?;
                o.str("token", t.token)?;
                if let Some(s) = t.scope {
                    o.str("scope", s)?;
                }
                o.i64("expires_at", t.expires_at)?;
                o.i64("expires_in", t.expires_at.saturating_sub(now).max(0))?;
                if let Some(tt) = t.token_type {
                    o.str("token_type", tt)?;
                }
                o.end()?;
                Ok(b.finish())
            }
            Err(e @ (AuthError::Core(_) | AuthError::Store(_) | AuthError::Config(_))) => {
                Err(e.clone())
            }
            Err(e) => {
                super::log_error(e);
                let mut res = ResponseBuilder::new(err_buf, 401);
                if matches!(e, AuthError::SessionExpired) {
                    self.clear_cookies(cookie, &mut res)?;
                }
                let mut b = res.body_writer("application/json")?;
                let mut o = ObjectWriter::begin(&mut b.body)?;
                let w = o.key("error")?;
                let mut inner = ObjectWriter::begin(w)?;
                inner.str("message", e.message())?;
                inner.str("code", e.code())?;
                inner.end()?;
                o.end()?;
                Ok(b.finish())
            }
        }
    }

    /// An access token for the session (`getAccessToken`): the stored one while it is valid,
    /// else refreshed with the refresh token (and persisted: apply
    /// [`AccessToken::headers`] to the response). With `audience`/`scope` that differ from the
    /// configured ones, tokens are kept per audience in `accessTokens` (MRRT).
    ///
    /// A refresh that fails (provider down, `invalid_grant`) leaves the session as it was.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::flow::AccessTokenOptions;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let opts = AccessTokenOptions { audience: Some("https://api.example.com"), ..Default::default() };
    /// let token = auth0.get_access_token(cookie_header, &opts, &mut rand_core::OsRng, &mut buf).await?;
    /// println!("Authorization: Bearer {}", token.token);
    /// for (name, value) in token.headers.headers() { /* add to the response */ }
    /// # Ok(()) }
    /// ```
    pub async fn get_access_token<'b>(
        &self,
        cookie_header: &str,
        opts: &AccessTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<AccessToken<'b>, AuthError> {
        let mut mfa = Mfa::new(buf.as_ptr() as usize);
        let mut arena = Arena::new(buf);
        let cookie = self.sdk_cookies(&arena, cookie_header)?;
        let mut res = None;
        let t = self
            .access_token_into(cookie, opts, rng, &mut arena, &mut res, &mut mfa)
            .await
            .inspect_err(super::log_error)?;
        Ok(AccessToken {
            headers: match res {
                Some(res) => res.finish()?,
                None => Response::EMPTY,
            },
            ..t
        })
    }

    async fn access_token_into<'b>(
        &self,
        cookie: &str,
        opts: &AccessTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        res: &mut Option<ResponseBuilder<'b>>,
        mfa: &mut Mfa<'b>,
    ) -> Result<AccessToken<'b>, AuthError> {
        // The session is read before the refresh and again after it, from its text in the
        // work buffer, instead of being kept across it: this future holds no `Session` (2.5
        // KB with its inline token lists) while the provider is asked.
        let (from, plan) = {
            let mut slot = None;
            let Some(from) = self.load_into(cookie, arena, &mut slot).await? else {
                return Err(AuthError::MissingSession);
            };
            let session = slot.as_ref().ok_or(AuthError::MissingSession)?;
            match self.token_need(session, opts, arena)? {
                Need::Stored(t) => return Ok(t.token),
                Need::Refresh(plan) => (from, plan),
            }
        };
        let fetched = self.refresh_tokens(&plan, rng, arena, mfa).await?;
        let mut slot = None;
        let session = self.reopen(cookie, &from, arena, &mut slot)?;
        let t = self.apply_refresh(session, &plan, fetched, arena)?;
        if let Some(NewTokens {
            claims: Some(claims),
            id_token: Some(id_token),
        }) = t.refreshed
        {
            session.user = self.saved_user(&claims, id_token, arena)?;
        }
        // The response takes its room only now: the token request, its response and the
        // provider's certificates could use it (the route's, made before, is kept).
        let res = res.get_or_insert_with(|| arena.respond(200));
        self.save(session, cookie, from.id, false, rng, res).await?;
        Ok(t.token)
    }

    /// The `user` the hooks keep of a refreshed ID token's claims (`before_session_saved`).
    fn saved_user<'b>(
        &self,
        claims: &Object<'_>,
        id_token: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Object<'b>, AuthError> {
        // `extra` is not kept on a refresh; `user` gets the rest, and only what it writes is kept.
        let extra_buf = arena.take(64)?;
        let mut extra_w = Writer::new(extra_buf, "session extra");
        let user = arena.write(|user_w| {
            self.hooks.before_session_saved(&mut SessionToSave {
                claims,
                id_token,
                user: user_w,
                extra: &mut extra_w,
            })
        })?;
        Ok(
            Object::parse(user).map_err(|_| crate::ConfigError::Invalid {
                option: "before_session_saved",
                reason: "must write a JSON object into `user`",
            })?,
        )
    }

    /// An access token for `session` (already read by the caller: a runtime's request-scoped
    /// session), refreshed when needed. Nothing is written: when the tokens changed,
    /// [`TokenFor::refreshed`] is the session to write, whose `user` is the refreshed ID
    /// token's claims, unfiltered (run the `before_session_saved` logic on them, as the SDK
    /// does, before writing). Everything returned lives in `buf`.
    pub async fn token_for<'b>(
        &self,
        session: Session<'b>,
        opts: &AccessTokenOptions<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<TokenFor<'b>, AuthError> {
        let mut session = session;
        let mut mfa = Mfa::new(buf.as_ptr() as usize);
        let mut arena = Arena::new(buf);
        let t = self
            .token_in(&mut session, opts, true, rng, &mut arena, &mut mfa)
            .await
            .and_then(|t| t.ok_or(AuthError::MissingSession))
            .inspect_err(super::log_error)?;
        Ok(TokenFor {
            token: t.token,
            refreshed: t.refreshed.map(|r| Refreshed {
                session,
                claims: r.claims,
                id_token: r.id_token,
            }),
        })
    }

    /// The stored access token for `session` when it needs no refresh; `None` when it needs
    /// one (and a refresh token is there to get it): a runtime that coordinates refreshes
    /// (one request to the provider for many concurrent requests) asks this first, and calls
    /// [`Auth0::token_for`] only when it gets `None`. Errors are [`Auth0::token_for`]'s
    /// (`missing_refresh_token`, …). Nothing goes to the network.
    pub async fn cached_token<'b>(
        &self,
        session: Session<'b>,
        opts: &AccessTokenOptions<'_>,
        buf: &'b mut [u8],
    ) -> Result<Option<AccessToken<'b>>, AuthError> {
        let mut mfa = Mfa::new(buf.as_ptr() as usize);
        let mut arena = Arena::new(buf);
        let mut no_rng = NoRng;
        let mut session = session;
        Ok(self
            .token_in(&mut session, opts, false, &mut no_rng, &mut arena, &mut mfa)
            .await?
            .map(|t| t.token))
    }

    /// The token for `session`; `None` when it needs a refresh and `refresh` is false. An
    /// `mfa_required` answer leaves its encrypted token and requirements in `mfa`. A refresh
    /// changes `session` in place (its tokens, and its `user` to the new ID token's claims)
    /// only once everything it needs has succeeded, and says so in [`TokenIn::refreshed`].
    async fn token_in<'b>(
        &self,
        session: &mut Session<'b>,
        opts: &AccessTokenOptions<'_>,
        refresh: bool,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        mfa: &mut Mfa<'b>,
    ) -> Result<Option<TokenIn<'b>>, AuthError> {
        let plan = match self.token_need(session, opts, arena)? {
            Need::Stored(t) => return Ok(Some(t)),
            Need::Refresh(_) if !refresh => return Ok(None),
            Need::Refresh(plan) => plan,
        };
        let fetched = self.refresh_tokens(&plan, rng, arena, mfa).await?;
        self.apply_refresh(session, &plan, fetched, arena).map(Some)
    }

    /// What `session` has for `opts`: its token when it needs no refresh, or what a refresh
    /// asks for (`missing_refresh_token` when it has no refresh token). What it returns
    /// borrows the work buffer, not `session`, so the caller may drop the session while the
    /// provider is asked.
    fn token_need<'b>(
        &self,
        session: &Session<'b>,
        opts: &AccessTokenOptions<'_>,
        arena: &mut Arena<'b>,
    ) -> Result<Need<'b>, AuthError> {
        let config = &self.config;
        let now = self.now();
        // Copies into the work buffer, so the results borrow nothing else.
        let copy =
            |arena: &mut Arena<'b>, s: Option<&str>| -> Result<Option<&'b str>, crate::Error> {
                s.map(|s| copy_str(arena, s)).transpose()
            };
        let opt_audience = copy(arena, opts.audience)?;
        let opt_scope = copy(arena, opts.scope)?;
        let config_audience = copy(arena, config.authorization_parameters.audience)?;
        let audience = opt_audience.or(config_audience);
        let config_scope = copy_str(arena, config.scope_for(audience).unwrap_or(""))?;
        let requested = if opts.merge_scopes {
            arena.write(|w| scope::merge(w, config_scope, opt_scope.unwrap_or("")))?
        } else {
            opt_scope.unwrap_or("")
        };
        let ts = session.token_set;
        let global_audience = text(arena, ts.audience)?.or(config_audience);
        let stored_requested = text(arena, ts.requested_scope)?.unwrap_or(config_scope);
        let uses_global = opt_audience.is_none_or(|a| Some(a) == global_audience)
            && (opt_scope.is_none() || scope::covers(stored_requested.into(), requested));

        // The token in use: the global one, or the best MRRT entry.
        let entry_index = if uses_global {
            None
        } else {
            session::find_access_token(&session.access_tokens, audience, requested)
        };
        let (current, expires_at, token_type, scope) = match entry_index {
            Some(i) => {
                let e = session.access_tokens[i];
                (e.access_token, e.expires_at, e.token_type, e.scope)
            }
            None if uses_global => (ts.access_token, ts.expires_at, ts.token_type, ts.scope),
            None => (None, None, None, None),
        };
        let fresh = expires_at.is_some_and(|e| e > now.saturating_add(config.token_refresh_buffer));
        if let Some(tok) = current.filter(|_| fresh && !opts.refresh) {
            return Ok(Need::Stored(TokenIn {
                token: AccessToken {
                    token: text(arena, Some(tok))?.unwrap_or(""),
                    scope: text(arena, scope)?,
                    expires_at: expires_at.unwrap_or(0),
                    token_type: text(arena, token_type)?,
                    headers: Response::EMPTY,
                },
                refreshed: None,
            }));
        }
        let Some(refresh_token) = ts.refresh_token else {
            return Err(AuthError::MissingRefreshToken {
                expired: current.is_some(),
            });
        };
        Ok(Need::Refresh(RefreshPlan {
            refresh_token,
            opt_scope,
            opt_audience,
            audience,
            requested,
            uses_global,
            entry_index,
            now,
        }))
    }

    /// The refresh grant of `plan`, its answer checked (an `mfa_required` one left in `mfa`),
    /// and the new ID token verified. Nothing of the session is read or changed.
    async fn refresh_tokens<'b>(
        &self,
        plan: &RefreshPlan<'b>,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        mfa: &mut Mfa<'b>,
    ) -> Result<Fetched<'b>, AuthError> {
        let failed = |f| AuthError::FailedToRefreshToken(f);
        let metadata = self.metadata(arena).await?;
        let grant = Grant::RefreshToken {
            refresh_token: plan.refresh_token,
            scope: plan.opt_scope.map(|_| plan.requested),
            audience: plan.opt_audience,
        };
        let reply = self
            .token_post(&grant, &metadata, rng, arena)
            .await
            .map_err(|e| failed(GrantFailure::Transport(e)))?;
        if let Some(m) = crate::oauth::mfa::MfaRequired::parse(reply.body) {
            return Err(self.mfa_required(
                &m,
                plan.audience.unwrap_or(""),
                plan.requested,
                rng,
                arena,
                mfa,
            )?);
        }
        let tokens = oauth::parse_token_response(reply.status, reply.body)
            .map_err(|e| failed(GrantFailure::from_response(&e)))?;
        self.check_binding(&tokens, reply.status).map_err(failed)?;
        let token_type = super::token_type_text(arena, tokens.token_type)?;
        let id_token = text(arena, tokens.id_token)?;
        // A refreshed ID token replaces `user` (filtered by the caller); it may lack a nonce.
        let claims = match id_token {
            Some(idt) => Some(
                self.validate_id_token(idt, &metadata, None, None, arena)
                    .await
                    .map_err(|e| match e {
                        AuthError::AuthorizationCodeGrant(f) => failed(f),
                        other => other,
                    })?,
            ),
            None => None,
        };
        Ok(Fetched {
            tokens,
            token_type,
            id_token,
            claims,
        })
    }

    /// `session` with the tokens a refresh fetched for `plan` (the session `plan` was made
    /// from, or the same read again).
    fn apply_refresh<'b>(
        &self,
        session: &mut Session<'b>,
        plan: &RefreshPlan<'b>,
        fetched: Fetched<'b>,
        arena: &mut Arena<'b>,
    ) -> Result<TokenIn<'b>, AuthError> {
        let failed = |f| AuthError::FailedToRefreshToken(f);
        let Fetched {
            tokens,
            token_type,
            id_token: new_id_token,
            claims: new_claims,
        } = fetched;
        // OIDC Core §12.2: a refreshed ID token is for the same user.
        if let Some(claims) = &new_claims
            && let (Some(new), Some(old)) = (claims.get_str("sub"), session.user.get_str("sub"))
            && new != old
        {
            return Err(failed(GrantFailure::IdToken(IdTokenError::Subject)));
        }
        let RefreshPlan {
            refresh_token,
            opt_audience,
            audience,
            requested,
            uses_global,
            entry_index,
            now,
            ..
        } = *plan;
        let ts = session.token_set;
        let new_expires_at = tokens.expires_in.map(|e| now.saturating_add(e));
        let new_refresh = tokens.refresh_token.or(Some(refresh_token));
        if uses_global {
            session.token_set = TokenSet {
                access_token: Some(tokens.access_token),
                id_token: new_id_token.map(JsonStr::new),
                scope: tokens.scope,
                requested_scope: Some(JsonStr::new(requested)),
                expires_at: new_expires_at,
                audience: ts.audience.or(opt_audience.map(JsonStr::new)),
                token_type: token_type.map(JsonStr::new),
                refresh_token: new_refresh,
                raw: ts.raw,
            };
        } else {
            let entry = Entry {
                access_token: Some(tokens.access_token),
                expires_at: new_expires_at,
                audience: audience.map(JsonStr::new),
                scope: tokens.scope,
                requested_scope: Some(JsonStr::new(requested)),
                token_type: token_type.map(JsonStr::new),
                raw: None,
            };
            let granted_match = |e: &Entry<'_>| {
                e.audience == entry.audience && e.scope.is_some() && e.scope == entry.scope
            };
            match entry_index.or_else(|| session.access_tokens.iter().position(granted_match)) {
                Some(i) => {
                    let old = session.access_tokens[i];
                    session.access_tokens[i] = Entry {
                        raw: old.raw,
                        ..entry
                    };
                }
                None => session.access_tokens.push(entry).map_err(|_| {
                    AuthError::Core(crate::SessionError::TooManyAccessTokens.into())
                })?,
            }
            session.token_set.id_token = new_id_token.map(JsonStr::new).or(ts.id_token);
            session.token_set.refresh_token = new_refresh;
        }
        if let Some(claims) = new_claims {
            session.user = claims;
        }
        event!(
            debug,
            audience = audience.unwrap_or(""),
            rotated = tokens.refresh_token.is_some(),
            "auth0-edge: access token refreshed"
        );
        Ok(TokenIn {
            token: AccessToken {
                token: text(arena, Some(tokens.access_token))?.unwrap_or(""),
                scope: text(arena, tokens.scope)?,
                expires_at: new_expires_at.unwrap_or(now),
                token_type,
                headers: Response::EMPTY,
            },
            refreshed: Some(NewTokens {
                claims: new_claims,
                id_token: new_id_token,
            }),
        })
    }
}

/// What a session has for a token request ([`Auth0::token_need`]).
enum Need<'b> {
    /// Its stored token, which needs no refresh.
    Stored(TokenIn<'b>),
    /// What a refresh asks for.
    Refresh(RefreshPlan<'b>),
}

/// A refresh's parameters, read from the session and the options (in the work buffer).
#[derive(Clone, Copy)]
struct RefreshPlan<'b> {
    refresh_token: JsonStr<'b>,
    /// The scope asked for, when the options name one (`requested` is then sent).
    opt_scope: Option<&'b str>,
    /// The audience the options name.
    opt_audience: Option<&'b str>,
    /// The audience of the token: the options', else the configured one.
    audience: Option<&'b str>,
    /// The scope to ask for (merged with the configured one unless told not to).
    requested: &'b str,
    /// Whether the token is the session's global one (else an MRRT entry).
    uses_global: bool,
    /// The MRRT entry in use, if any.
    entry_index: Option<usize>,
    /// When the need was read: new expiries count from it.
    now: UnixTime,
}

/// What a refresh fetched ([`Auth0::refresh_tokens`]).
struct Fetched<'b> {
    tokens: oauth::TokenResponse<'b>,
    /// `token_type`, lower case.
    token_type: Option<&'b str>,
    /// The new ID token, when sent.
    id_token: Option<&'b str>,
    /// Its verified claims.
    claims: Option<Object<'b>>,
}

/// What [`Auth0::token_in`] got: the token, and whether it refreshed the session it was given.
struct TokenIn<'b> {
    token: AccessToken<'b>,
    /// Set when the session was refreshed (changed in place).
    refreshed: Option<NewTokens<'b>>,
}

/// What a refresh brought beside the session's new tokens.
struct NewTokens<'b> {
    /// The new ID token's claims (verified), when the provider sent one.
    claims: Option<Object<'b>>,
    /// The new ID token.
    id_token: Option<&'b str>,
}

/// An `mfa_required` answer's encrypted token and requirements, in a flow's work buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaChallenge<'b> {
    /// `mfa_token`: the provider's MFA token sealed with the session key (wire spec §8.4).
    pub mfa_token: &'b str,
    /// `mfa_requirements`, JSON text, when the provider sent them.
    pub mfa_requirements: Option<&'b str>,
}

/// Where an `mfa_required` answer is left: the challenge (for the route), and the start of
/// the caller's work buffer (for the error's offsets).
pub(crate) struct Mfa<'b> {
    base: usize,
    pub(crate) text: Option<MfaChallenge<'b>>,
}

impl Mfa<'_> {
    pub(crate) fn new(base: usize) -> Self {
        Mfa { base, text: None }
    }
}

impl<T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'_, T, C, P, S, H, K>
{
    /// The typed error of an `mfa_required` refresh: the provider's MFA token sealed with the
    /// session key for `AUTH0_MFA_TOKEN_TTL` (with the audience and scope asked for), its
    /// requirements, both written into the work buffer.
    fn mfa_required<'b>(
        &self,
        m: &crate::oauth::mfa::MfaRequired<'_>,
        audience: &str,
        scope: &str,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        mfa: &mut Mfa<'b>,
    ) -> Result<AuthError, AuthError> {
        let description = super::ErrorText::new(&m.description());
        let now = self.now();
        let sealed = match m.context(audience, scope, now.saturating_mul(1000)) {
            Some(ctx) => {
                let buf = arena.take(arena.remaining().min(16 * 1024))?;
                Some(ctx.seal(self.key(), rng, now, self.config.mfa_token_ttl, buf)?)
            }
            None => None,
        };
        let requirements = match m.mfa_requirements {
            Some(v) => Some(arena.write(|w| crate::codec::json::write_value(w, v))?),
            None => None,
        };
        let range = |s: &str| {
            let start = (s.as_ptr() as usize).saturating_sub(mfa.base);
            start..start + s.len()
        };
        let error =
            super::MfaRequiredError::new(description, sealed.map(range), requirements.map(range));
        mfa.text = sealed.map(|mfa_token| MfaChallenge {
            mfa_token,
            mfa_requirements: requirements,
        });
        Ok(AuthError::MfaRequired(error))
    }
}

/// The generator of a flow that never draws (a token read from the session).
struct NoRng;

impl rand_core::RngCore for NoRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0)
    }
    fn try_fill_bytes(&mut self, _dest: &mut [u8]) -> Result<(), rand_core::Error> {
        Err(rand_core::Error::from(
            core::num::NonZeroU32::new(rand_core::Error::CUSTOM_START)
                .unwrap_or(core::num::NonZeroU32::MIN),
        ))
    }
}

impl rand_core::CryptoRng for NoRng {}
