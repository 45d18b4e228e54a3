//! Session I/O: reading a request's session (cookie or store record), writing it back (sealed
//! and chunked, or the record and its id cookie), the rolling touch, `update_session`, and the
//! deletion of every auth cookie.

use super::*;

/// A session as [`Auth0::read_session`] read it.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReadSession<'b> {
    /// The session.
    pub session: Session<'b>,
    /// The id of its store record (stateful sessions).
    pub record_id: Option<&'b str>,
    /// The request's SDK cookies.
    pub request_cookie: &'b str,
    /// Whether a rolling write would re-seal it now ([`crate::session::Durations::roll_due`]:
    /// rolling is on and the cookie's expiry is behind by the threshold or more).
    pub roll_due: bool,
}

/// The result of [`Auth0::touch`]: the request's session, and the headers that roll it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Touched<'b> {
    /// The session, if the request has one.
    pub session: Option<Session<'b>>,
    /// The id of its store record (stateful sessions).
    pub record_id: Option<&'b str>,
    /// The request's SDK cookies.
    pub request_cookie: &'b str,
    /// Headers to add to the application's response (empty when nothing was rolled).
    pub headers: Response<'b>,
    /// Why the request goes on without its session, or without its rolled cookie, when
    /// something failed: a store that is down, a cookie too large for the work buffer. The
    /// application is still served (the SDK's middleware does the same); the runtime should
    /// log this.
    pub failure: Option<AuthError>,
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks>
    Auth0<'c, T, C, P, S, H>
{
    /// Reads the session of a request's `Cookie` header: the sealed cookie, or the record its
    /// id points to when a store is configured. An expired, tampered or missing cookie is no
    /// session (`Ok(None)`), as in the SDK.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// let mut buf = vec![0u8; auth0_edge::session::DEFAULT_BUFFER_LEN];
    /// if let Some(session) = auth0.get_session(cookie_header, &mut buf).await? {
    ///     println!("signed in as {}", session.user.get_str("sub").unwrap());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn get_session<'b>(
        &self,
        cookie_header: &str,
        buf: &'b mut [u8],
    ) -> Result<Option<Session<'b>>, AuthError> {
        let mut arena = Arena::new(buf);
        let cookie_header = self.sdk_cookies(&mut arena, cookie_header)?;
        Ok(self
            .load(cookie_header, &mut arena)
            .await?
            .map(|l| l.session))
    }

    /// Loads the session and, for stateful sessions, its record id.
    pub(crate) async fn load<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<Loaded<'b>>, AuthError> {
        let now = self.now();
        let name = self.config.session.cookie_name;
        match &self.store {
            None => {
                // The joined value (at most the header) and its decoded plaintext (at most
                // three quarters of it), with room for the JWE's header.
                let need = cookie_header.len() + cookie_header.len() * 3 / 4 + 512;
                let buf = arena.take(need.min(arena.remaining()))?;
                match session::open(cookie_header, name, &self.keys.key, now, buf) {
                    Ok(o) => {
                        let mut session = o.session;
                        self.open_connection_tokens(cookie_header, &mut session, arena)?;
                        Ok(Some(Loaded {
                            session,
                            id: None,
                            cookie_exp: o.exp,
                        }))
                    }
                    Err(e) => no_session(e),
                }
            }
            Some(store) => {
                let Some((id, cookie_exp)) = self.record_id_and_exp(cookie_header, arena)? else {
                    return Ok(None);
                };
                let rest = arena.take(arena.remaining() / 2)?;
                let Some(json) = store.get(id, rest).await? else {
                    return Ok(None);
                };
                let opened = match session::open_payload(json, now) {
                    Ok(o) => o,
                    Err(e) => return no_session(e),
                };
                Ok(Some(Loaded {
                    session: opened.session,
                    id: Some(id),
                    cookie_exp,
                }))
            }
        }
    }

    /// The record id a stateful session's cookie points at (no store is asked); `None` without
    /// a valid id cookie.
    pub(crate) fn record_id<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<&'b str>, AuthError> {
        Ok(self
            .record_id_and_exp(cookie_header, arena)?
            .map(|(id, _)| id))
    }

    /// [`Auth0::record_id`] and the id cookie's `exp`.
    fn record_id_and_exp<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<(&'b str, Option<i64>)>, AuthError> {
        let Some(c) = cookie::get(cookie_header, self.config.session.cookie_name) else {
            return Ok(None);
        };
        let id_buf = arena.take(c.value.len() + 64)?;
        match jwe::open_jwt(&self.keys.key, c.value, self.now(), id_buf) {
            Ok(payload) => Ok(session::read_id(&payload)
                .and_then(|i| i.as_str())
                .map(|id| (id, payload.get_i64("exp")))),
            Err(e) => no_session(e),
        }
    }

    /// Whether a rolling write of `l` re-seals it now (the threshold of
    /// [`crate::session::Durations::rolling_threshold`]).
    fn roll_due(&self, l: &Loaded<'_>) -> bool {
        self.config.session.durations.roll_due(
            l.cookie_exp,
            l.session.internal.created_at,
            self.now(),
        )
    }

    /// Adds a cookie session's connection token sets: every `__FC_<i>` cookie of the request,
    /// in the jar's order; one that does not open (tampered, expired, another secret) is
    /// skipped, as in the SDK.
    fn open_connection_tokens<'b>(
        &self,
        cookie_header: &str,
        session: &mut Session<'b>,
        arena: &mut Arena<'b>,
    ) -> Result<(), AuthError> {
        session.connection_token_sets.clear();
        // Most requests have none: one substring search instead of parsing every cookie.
        if memchr::memmem::find(
            cookie_header.as_bytes(),
            CONNECTION_COOKIE_PREFIX.as_bytes(),
        )
        .is_none()
        {
            return Ok(());
        }
        for c in cookie::parse(cookie_header).filter(|c| is_connection_cookie(c.name)) {
            let buf = arena.take(c.value.len())?;
            let Ok(claims) = jwe::open_jwt(&self.keys.key, c.value, self.now(), buf) else {
                continue;
            };
            if let Ok(entry) = crate::oauth::token_exchange::ConnectionTokenSet::from_object(claims)
            {
                let _ = session.connection_token_sets.push(entry);
            }
        }
        Ok(())
    }

    /// Reads the session of a request's `Cookie` header for a runtime that keeps it for the
    /// whole request (a request-scoped session): the session, its store record id, and the
    /// request's SDK cookies (for [`Auth0::write_session`]'s clean-up). `None` without a
    /// (valid) session. Everything returned lives in `buf`.
    pub async fn read_session<'b>(
        &self,
        cookie_header: &str,
        buf: &'b mut [u8],
    ) -> Result<Option<ReadSession<'b>>, AuthError> {
        let mut arena = Arena::new(buf);
        let request_cookie = self.sdk_cookies(&mut arena, cookie_header)?;
        Ok(self
            .load(request_cookie, &mut arena)
            .await?
            .map(|l| ReadSession {
                roll_due: self.roll_due(&l),
                session: l.session,
                record_id: l.id,
                request_cookie,
            }))
    }

    /// Writes `session` for a response, into `buf`: its `Set-Cookie` headers (the sealed,
    /// chunked cookie with the request's stale chunks deleted; or, with a store, the record and
    /// its id cookie) and the cache headers. `request_cookie` is the request's `Cookie` header
    /// (only its SDK cookies are read). `fresh` is a new login: with a store, the record of
    /// the request's previous session is deleted and a new id made (against session
    /// fixation); otherwise the record `record_id` is updated (and nothing is written when it
    /// no longer exists).
    pub async fn write_session<'b>(
        &self,
        session: &Session<'_>,
        request_cookie: &str,
        record_id: Option<&str>,
        fresh: bool,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        let cookie = self.sdk_cookies(&mut arena, request_cookie)?;
        let previous = match (fresh, &self.store) {
            (true, Some(_)) => self.record_id(cookie, &mut arena).ok().flatten(),
            _ => record_id.map(|id| copy_str(&mut arena, id)).transpose()?,
        };
        self.save(session, cookie, previous, fresh, rng, &mut arena, &mut res)
            .await?;
        Ok(res.finish()?)
    }

    /// Writes `session` for the response: the sealed cookie (chunked, with the stale chunks
    /// deleted) or, with a store, the record and its id cookie; then the cache headers.
    ///
    /// `fresh` is a new login: a store record gets a new id (the old record is deleted).
    /// A rolling write to a store record that no longer exists writes nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn save<'b>(
        &self,
        session: &Session<'_>,
        request_cookie: &'b str,
        existing_id: Option<&str>,
        fresh: bool,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'b>,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let max_age = self
            .config
            .session
            .durations
            .max_age(session.internal.created_at, now);
        let exp = now.saturating_add(i64::try_from(max_age).unwrap_or(i64::MAX));
        let name = self.config.session.cookie_name;
        let opts = self.config.session_cookie();
        match &self.store {
            None => {
                let sealed = arena.seal(&self.keys.key, rng, |w| {
                    session.write_cookie_json(w, Some(exp))
                })?;
                for c in session::set_cookies(name, sealed, &opts, max_age, now, request_cookie)? {
                    res.header_display("Set-Cookie", &c)?;
                }
                self.write_connection_cookies(
                    session,
                    request_cookie,
                    exp,
                    max_age,
                    rng,
                    arena,
                    res,
                )?;
            }
            Some(store) => {
                let json = arena.write(|w| session.write_json(w, None))?;
                let sid_buf = arena.take(256)?;
                let sid = session.internal.sid.and_then(|s| s.to_str_in(sid_buf).ok());
                let sub_buf = arena.take(256)?;
                let sub = session
                    .user
                    .get_str("sub")
                    .and_then(|s| s.to_str_in(sub_buf).ok());
                let info = RecordInfo {
                    expires_at: exp,
                    sid,
                    sub,
                };
                let new_id;
                let id = match (existing_id, fresh) {
                    (Some(id), false) => {
                        if !store.update(id, json, &info).await? {
                            return Ok(());
                        }
                        id
                    }
                    (old, _) => {
                        if let Some(old) = old {
                            store.delete(old).await?;
                        }
                        new_id = SessionId::generate(rng);
                        store.set(new_id.as_str(), json, &info).await?;
                        new_id.as_str()
                    }
                };
                let sealed = arena.seal(&self.keys.key, rng, |w| {
                    session::write_id_payload(w, id, exp)
                })?;
                let c = SetCookie {
                    name: CookieName::plain(name),
                    value: sealed,
                    options: &opts,
                    lifetime: Lifetime::MaxAge { max_age, now },
                };
                res.header_display("Set-Cookie", &c)?;
            }
        }
        res.no_cache()?;
        Ok(())
    }

    /// A cookie session's connection token sets as `__FC_<i>` cookies (sealed like the
    /// session, with its lifetime), and the deletion of the request's `__FC_<j>` past them.
    #[allow(clippy::too_many_arguments)]
    fn write_connection_cookies(
        &self,
        session: &Session<'_>,
        request_cookie: &str,
        exp: UnixTime,
        max_age: u64,
        rng: &mut impl CryptoRngCore,
        arena: &mut Arena<'_>,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let opts = self.config.session_cookie();
        let entries = &session.connection_token_sets;
        for (i, entry) in entries.iter().enumerate() {
            let mut scratch = arena.checkpoint();
            let name = scratch.write(|w| {
                w.push_str(CONNECTION_COOKIE_PREFIX)?;
                w.push_u64(i as u64)
            })?;
            let sealed = scratch.seal(&self.keys.key, rng, |w| entry.write_json(w, Some(exp)))?;
            if sealed.len() + name.len() + 1 >= 4096 {
                event!(
                    warn,
                    cookie = name,
                    "auth0-edge: a connection token cookie is 4096 bytes or more; browsers may drop it"
                );
            }
            let c = SetCookie {
                name: CookieName::plain(name),
                value: sealed,
                options: &opts,
                lifetime: Lifetime::MaxAge { max_age, now },
            };
            res.header_display("Set-Cookie", &c)?;
        }
        for c in cookie::parse(request_cookie).filter(|c| is_connection_cookie(c.name)) {
            let index = c.name[CONNECTION_COOKIE_PREFIX.len()..].parse::<usize>();
            if index.is_ok_and(|i| i < entries.len()) {
                continue;
            }
            let d = SetCookie {
                name: CookieName::plain(c.name),
                value: "",
                options: &opts,
                lifetime: Lifetime::Delete,
            };
            res.header_display("Set-Cookie", &d)?;
        }
        Ok(())
    }

    /// The SDK's middleware touch for a non-auth request: when rolling is on and a session
    /// exists, write it back with the same `createdAt` (a later expiry) and add the cache
    /// headers — when the new expiry is at least `session.durations.rolling_threshold` later
    /// than the cookie's (every time with a threshold of 0, as the SDK does). The returned response carries only headers to add to the application's.
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, headers: &[(&str, &str)]) -> Result<(), auth0_edge::flow::AuthError> {
    /// use auth0_edge::http::Request;
    /// let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let touched = auth0.touch(&Request::get("/dashboard", &headers), &mut rand_core::OsRng, &mut buf).await?;
    /// for (name, value) in touched.headers.headers() { /* append to the application's response */ }
    /// # Ok(()) }
    /// ```
    pub async fn touch<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Touched<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        // The policy of the middleware path: a session that cannot be read (a store that is
        // down, a cookie larger than the work buffer) is no session, and a roll that cannot be
        // written is no roll; the application is served either way, and the failure reported.
        // More of the SDK's cookies than it accepts is answered (431), not ignored.
        let cookie = self.sdk_cookies(&mut arena, req.cookie())?;
        let without = |failure: AuthError| Touched {
            session: None,
            record_id: None,
            request_cookie: cookie,
            headers: Response::EMPTY,
            failure: Some(failure),
        };
        let loaded = match self.load(cookie, &mut arena).await {
            Ok(l) => l,
            Err(e) => {
                event!(warn, code = e.code(), reason = %crate::Report(&e), "auth0-edge: the request goes on without its session");
                return Ok(without(e));
            }
        };
        let mut failure = None;
        if let Some(l) = &loaded
            && self.roll_due(l)
            && self.hooks.before_session_rolled(req)
            && let Err(e) = self
                .save(&l.session, cookie, l.id, false, rng, &mut arena, &mut res)
                .await
        {
            event!(warn, code = e.code(), reason = %crate::Report(&e), "auth0-edge: the session could not be rolled");
            failure = Some(e);
        }
        let record_id = loaded.as_ref().and_then(|l| l.id);
        Ok(Touched {
            record_id,
            request_cookie: cookie,
            session: loaded.map(|l| l.session),
            headers: match failure {
                None => res.finish()?,
                Some(_) => Response::EMPTY,
            },
            failure,
        })
    }

    /// Replaces the session's document (`updateSession`): the `user`, token set and extra
    /// members of `session` are written back; `internal` (`sid`, `createdAt`) is kept from the
    /// current session. The returned headers (`Set-Cookie`, cache) must be added to the
    /// response. Without a session this is [`AuthError::MissingSession`].
    ///
    /// ```no_run
    /// # async fn example<T: auth0_edge::runtime::Transport, C: auth0_edge::runtime::Clock, P: auth0_edge::runtime::ProviderCache>(
    /// #     auth0: &auth0_edge::flow::Auth0<'_, T, C, P>, cookie_header: &str) -> Result<(), auth0_edge::flow::AuthError> {
    /// let mut buf = vec![0u8; auth0_edge::session::DEFAULT_BUFFER_LEN];
    /// let mut session = auth0.get_session(cookie_header, &mut buf).await?.expect("signed in");
    /// session.user = auth0_edge::codec::json::Object::parse(r#"{"sub":"auth0|1","nickname":"z"}"#).unwrap();
    /// let mut out = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    /// let headers = auth0.update_session(cookie_header, &session, &mut rand_core::OsRng, &mut out).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_session<'b>(
        &self,
        cookie_header: &str,
        session: &Session<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, AuthError> {
        let (mut arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        let cookie = self.sdk_cookies(&mut arena, cookie_header)?;
        let current = self
            .load(cookie, &mut arena)
            .await?
            .ok_or(AuthError::MissingSession)?;
        let mut updated = session.clone();
        updated.internal = current.session.internal;
        self.save(
            &updated, cookie, current.id, false, rng, &mut arena, &mut res,
        )
        .await?;
        Ok(res.finish()?)
    }

    /// Deletion `Set-Cookie` values for the session cookie(s), transaction cookies and
    /// connection-token cookies of a request, added to `res`.
    pub(crate) fn clear_cookies(
        &self,
        request_cookie: &str,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), Error> {
        let opts = self.config.session_cookie();
        for c in session::delete_cookies(self.config.session.cookie_name, &opts, request_cookie) {
            res.header_display("Set-Cookie", &c)?;
        }
        for c in cookie::parse(request_cookie).filter(|c| is_connection_cookie(c.name)) {
            let d = SetCookie {
                name: CookieName::plain(c.name),
                value: "",
                options: &opts,
                lifetime: Lifetime::Delete,
            };
            res.header_display("Set-Cookie", &d)?;
        }
        let topts = self.config.transaction_cookie();
        for c in crate::oauth::authorize::delete_all(
            request_cookie,
            self.config.transaction.prefix,
            &topts,
        ) {
            res.header_display("Set-Cookie", &c)?;
        }
        Ok(())
    }
}

/// The name of a connection-token cookie before its index.
pub(crate) const CONNECTION_COOKIE_PREFIX: &str = "__FC_";

/// `__FC_<digits>`: a connection-token cookie.
pub(super) fn is_connection_cookie(name: &str) -> bool {
    name.strip_prefix(CONNECTION_COOKIE_PREFIX)
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Errors that mean "no session" in the SDK (missing, tampered, expired, malformed cookie);
/// others (a buffer too small) are reported.
pub(super) fn no_session<T>(e: Error) -> Result<Option<T>, AuthError> {
    match e {
        Error::BufferTooSmall { .. } => Err(AuthError::Core(e)),
        Error::Cookie(
            CookieError::NotFound
            | CookieError::MissingChunk { .. }
            | CookieError::TooManyChunks
            | CookieError::InvalidEncoding
            | CookieError::BadChunkIndex
            | CookieError::InvalidName,
        )
        | Error::Jwe(_)
        | Error::Json(_)
        | Error::Session(_) => Ok(None),
        other => Err(AuthError::Core(other)),
    }
}

/// A session and, when stored, the id of its record.
pub(crate) struct Loaded<'b> {
    pub(crate) session: Session<'b>,
    pub(crate) id: Option<&'b str>,
    /// The expiry of the request's cookie (the session's, or the record id's).
    pub(crate) cookie_exp: Option<i64>,
}
