//! Session I/O: reading a request's session (cookie or store record), writing it back (sealed
//! and chunked, or the record and its id cookie), the rolling touch, `update_session`, and the
//! deletion of every auth cookie.

use super::*;
use core::borrow::Borrow;

/// When a written session's cookie was made and when it ends.
#[derive(Clone, Copy)]
struct CookieLifetime {
    now: UnixTime,
    max_age: u64,
    exp: UnixTime,
}

/// A cookie session rolled by [`Auth0::roll_cookie`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Rolled<'b> {
    /// The `Set-Cookie` headers and the cache headers.
    pub response: Response<'b>,
    /// The sealed value of the session cookie, as a later request sends it; empty when it is
    /// chunked (its pieces are in the response's lines).
    pub sealed: &'b str,
    /// The new cookie's `exp`.
    pub exp: UnixTime,
}

/// A session as [`Auth0::read_session`] read it.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReadSession<'b> {
    /// The session.
    pub session: Session<'b>,
    /// The id of its store record (stateful sessions).
    pub record_id: Option<&'b str>,
    /// The request's `Cookie` header (its SDK cookies are the ones read).
    pub request_cookie: &'b str,
    /// Whether a rolling write would re-seal it now ([`crate::session::Durations::roll_due`]:
    /// rolling is on and the cookie's expiry is behind by the threshold or more).
    pub roll_due: bool,
    /// The expiry of the request's cookie (the sealed session's `exp`, or the record id's).
    pub cookie_exp: Option<i64>,
}

/// The result of [`Auth0::touch`]: the request's session, and the headers that roll it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Touched<'b> {
    /// The session, if the request has one.
    pub session: Option<Session<'b>>,
    /// The id of its store record (stateful sessions).
    pub record_id: Option<&'b str>,
    /// The request's `Cookie` header (its SDK cookies are the ones read).
    pub request_cookie: &'b str,
    /// Headers to add to the application's response (empty when nothing was rolled).
    pub headers: Response<'b>,
    /// Why the request goes on without its session, or without its rolled cookie, when
    /// something failed: a store that is down, a cookie too large for the work buffer. The
    /// application is still served (the SDK's middleware does the same); the runtime should
    /// log this.
    pub failure: Option<AuthError>,
}

impl<'c, T: Transport, C: Clock, P: ProviderCache, S: SessionStore, H: Hooks, K: Borrow<Keys>>
    Auth0<'c, T, C, P, S, H, K>
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
        let cookie_header = self.sdk_cookies(&arena, cookie_header)?;
        Ok(self
            .load(cookie_header, &mut arena)
            .await?
            .map(|l| l.session))
    }

    /// Loads the session and, for stateful sessions, its record id. (A flow that keeps the
    /// session across other awaits loads it into a slot of its own: [`Auth0::load_into`].)
    pub(crate) async fn load<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<Loaded<'b>>, AuthError> {
        // Each slot is made after the branch's awaits, so that it is not kept in this future.
        let found = match &self.store {
            None => {
                let mut slot = None;
                let from = self.open_cookie(cookie_header, arena, &mut slot)?;
                if let Some(session) = slot.as_mut() {
                    self.open_connection_tokens(cookie_header, session, arena)?;
                }
                from.zip(slot)
            }
            Some(store) => {
                let Some((id, cookie_exp, json)) = self.record(store, cookie_header, arena).await?
                else {
                    return Ok(None);
                };
                let mut slot = None;
                open_record(json, self.now(), &mut slot)?;
                slot.map(|s| {
                    (
                        LoadedFrom {
                            id: Some(id),
                            cookie_exp,
                            payload: json,
                        },
                        s,
                    )
                })
            }
        };
        Ok(found.map(|(f, session)| Loaded {
            session,
            id: f.id,
            cookie_exp: f.cookie_exp,
        }))
    }

    /// [`Auth0::load`] into a slot the caller owns: the session is built there (by a frame
    /// of its own), not returned through this future and the caller's poll frame. `Some` (and
    /// the slot filled) when there is a session. A cookie session's connection-token cookies
    /// are not opened: [`Auth0::reopen`] does that, for the session that is written back.
    pub(crate) async fn load_into<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
        slot: &mut Option<Session<'b>>,
    ) -> Result<Option<LoadedFrom<'b>>, AuthError> {
        *slot = None;
        match &self.store {
            None => self.open_cookie(cookie_header, arena, slot),
            Some(store) => {
                let Some((id, cookie_exp, json)) = self.record(store, cookie_header, arena).await?
                else {
                    return Ok(None);
                };
                open_record(json, self.now(), slot)?;
                Ok(slot.is_some().then_some(LoadedFrom {
                    id: Some(id),
                    cookie_exp,
                    payload: json,
                }))
            }
        }
    }

    /// The session [`Auth0::load_into`] read, read again from its text in the work buffer
    /// into `slot` (its times were checked then), with a cookie session's connection tokens
    /// opened from `cookie_header`: a flow that awaits between reading a session and writing
    /// it back keeps only the text across the await, not the parsed session.
    pub(crate) fn reopen<'b, 's>(
        &self,
        cookie_header: &str,
        from: &LoadedFrom<'b>,
        arena: &mut Arena<'b>,
        slot: &'s mut Option<Session<'b>>,
    ) -> Result<&'s mut Session<'b>, AuthError> {
        let json = core::str::from_utf8(from.payload)
            .map_err(|_| crate::Error::from(crate::JsonError::Utf8))?;
        let session = slot.insert(Session::parse(json)?.session);
        if from.id.is_none() {
            self.open_connection_tokens(cookie_header, session, arena)?;
        }
        Ok(session)
    }

    /// A stateful session's record: its id, the id cookie's `exp` and the record's JSON (in
    /// the arena). `None` without a valid id cookie or without the record.
    async fn record<'b>(
        &self,
        store: &S,
        cookie_header: &str,
        arena: &mut Arena<'b>,
    ) -> Result<Option<(&'b str, Option<i64>, &'b [u8])>, AuthError> {
        let Some((id, cookie_exp)) = self.record_id_and_exp(cookie_header, arena)? else {
            return Ok(None);
        };
        let rest = arena.take(arena.remaining() / 2)?;
        Ok(store
            .get(id, rest)
            .await?
            .map(|json| (id, cookie_exp, json)))
    }

    /// A cookie session into `slot`, without its connection token sets (the caller opens them,
    /// [`Auth0::open_connection_tokens`], when it needs them).
    #[inline(never)]
    fn open_cookie<'b>(
        &self,
        cookie_header: &str,
        arena: &mut Arena<'b>,
        slot: &mut Option<Session<'b>>,
    ) -> Result<Option<LoadedFrom<'b>>, AuthError> {
        let now = self.now();
        let name = self.config.session.cookie_name;
        // Only the plaintext is kept: a chunked cookie is joined into the rest and decrypted
        // where it is, a single one decrypted out of the header.
        let key = &self.keys().key;
        match arena
            .keep(|rest| session::open_into(cookie_header, name, key, rest))
            .and_then(|plaintext| {
                let plaintext: &[u8] = plaintext;
                Ok((session::open_payload(plaintext, now)?, plaintext))
            }) {
            Ok((o, payload)) => {
                *slot = Some(o.session);
                Ok(Some(LoadedFrom {
                    id: None,
                    cookie_exp: o.exp,
                    payload,
                }))
            }
            Err(e) => no_session(e),
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
        match jwe::open_jwt(&self.keys().key, c.value, self.now(), id_buf) {
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
            let Ok(claims) = jwe::open_jwt(&self.keys().key, c.value, self.now(), buf) else {
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
    /// request's `Cookie` header (for [`Auth0::write_session`]'s clean-up). `None` without a
    /// (valid) session. Everything returned lives in `buf`, but the header, which is read where
    /// it is (not copied).
    pub async fn read_session<'b>(
        &self,
        cookie_header: &'b str,
        buf: &'b mut [u8],
    ) -> Result<Option<ReadSession<'b>>, AuthError> {
        let mut arena = Arena::new(buf);
        let request_cookie = self.sdk_cookies(&arena, cookie_header)?;
        Ok(self
            .load(request_cookie, &mut arena)
            .await?
            .map(|l| ReadSession {
                roll_due: self.roll_due(&l),
                cookie_exp: l.cookie_exp,
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
        let mut arena = Arena::new(buf);
        let cookie = self.sdk_cookies(&arena, request_cookie)?;
        let previous = match (fresh, &self.store) {
            (true, Some(_)) => self.record_id(cookie, &mut arena).ok().flatten(),
            _ => record_id.map(|id| copy_str(&mut arena, id)).transpose()?,
        };
        let mut res = arena.respond(200);
        self.save(session, cookie, previous, fresh, rng, &mut res)
            .await?;
        Ok(res.finish()?)
    }

    /// The rolled cookie of a cookie session from the text its cookie opened to, without
    /// writing the session again: `payload` is that text up to its `exp` value, as
    /// [`Session::cookie_json_exp_at`] found it. What [`Auth0::write_session`] writes for
    /// the session on a rolling write (the same `Set-Cookie` headers, the new `exp` the
    /// configured durations give from `created_at`), for a request that has no connection
    /// token cookies; `None` (nothing written) for one that has them, or with a store.
    pub async fn roll_cookie<'b>(
        &self,
        payload: &str,
        created_at: Option<i64>,
        request_cookie: &str,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Option<Rolled<'b>>, AuthError> {
        if self.store.is_some()
            || cookie::parse(request_cookie).any(|c| is_connection_cookie(c.name))
        {
            return Ok(None);
        }
        let (arena, res_buf) = Arena::split_for_response(buf);
        let mut res = ResponseBuilder::new(res_buf, 200);
        let cookie = self.sdk_cookies(&arena, request_cookie)?;
        let lifetime = self.cookie_lifetime(created_at);
        let exp = lifetime.exp;
        self.write_cookie(&lifetime, cookie, rng, &mut res, |w| {
            w.push_str(payload)?;
            w.push_i64(exp)?;
            w.push_str("}")
        })?;
        res.no_cache()?;
        let response = res.finish()?;
        // One cookie's value is a later request's whole value; chunks are not one piece.
        let prefix_len = self.config.session.cookie_name.len() + 1;
        let sealed = response
            .headers()
            .find(|(k, v)| {
                k.eq_ignore_ascii_case("Set-Cookie")
                    && v.strip_prefix(self.config.session.cookie_name)
                        .is_some_and(|r| r.starts_with('='))
            })
            .and_then(|(_, v)| v.get(prefix_len..))
            .map(|v| v.split(';').next().unwrap_or(""))
            .unwrap_or("");
        Ok(Some(Rolled {
            response,
            sealed,
            exp,
        }))
    }

    /// A written session's lifetime from now: its cookie's `Max-Age` and `exp`.
    fn cookie_lifetime(&self, created_at: Option<i64>) -> CookieLifetime {
        let now = self.now();
        let max_age = self.config.session.durations.max_age(created_at, now);
        CookieLifetime {
            now,
            max_age,
            exp: now.saturating_add(i64::try_from(max_age).unwrap_or(i64::MAX)),
        }
    }

    /// A cookie session's `Set-Cookie` headers: `payload` (written with `lifetime`'s `exp`)
    /// sealed, chunked, and the request's stale chunks deleted. The plaintext is written and
    /// sealed in the response's own room and the `Set-Cookie` lines are written over it
    /// ([`ResponseBuilder::lines_with_tail_value`]): the sealed value takes no room of its own
    /// in the work buffer.
    fn write_cookie(
        &self,
        lifetime: &CookieLifetime,
        request_cookie: &str,
        rng: &mut impl CryptoRngCore,
        res: &mut ResponseBuilder<'_>,
        payload: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<(), AuthError> {
        let CookieLifetime { now, max_age, .. } = *lifetime;
        let opts = self.config.session_cookie();
        let name = self.config.session.cookie_name;
        let key = &self.keys().key;
        res.lines_with_tail_value(
            |room| {
                let n = {
                    let mut w = Writer::new(&mut *room, "session cookie");
                    payload(&mut w)?;
                    w.len()
                };
                jwe::seal_in_place_len(key, rng, room, n)
            },
            |lines, sealed_len| {
                let mut cookies = session::set_cookies_len(
                    name,
                    sealed_len,
                    &opts,
                    max_age,
                    now,
                    request_cookie,
                )?;
                while let Some((c, piece)) = cookies.next_piece() {
                    match piece {
                        Some(r) => {
                            let before = NameEq(&c.name);
                            lines.line("Set-Cookie", &before, Some(r.len()), &c.attributes())?
                        }
                        None => lines.line("Set-Cookie", &c, None, &"")?,
                    }
                }
                Ok(())
            },
        )?;
        Ok(())
    }

    /// Writes `session` for the response: the sealed cookie (chunked, with the stale chunks
    /// deleted) or, with a store, the record and its id cookie; then the cache headers.
    /// Everything is made in the response's own room (a store's record in its spare room
    /// while it is sent, each sealed cookie where its lines go), so the response may be given
    /// all the room a flow has left ([`Arena::respond`]).
    ///
    /// `fresh` is a new login: a store record gets a new id (the old record is deleted).
    /// A rolling write to a store record that no longer exists writes nothing.
    pub(crate) async fn save(
        &self,
        session: &Session<'_>,
        request_cookie: &str,
        existing_id: Option<&str>,
        fresh: bool,
        rng: &mut impl CryptoRngCore,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), AuthError> {
        let lifetime = self.cookie_lifetime(session.internal.created_at);
        let CookieLifetime { now, max_age, exp } = lifetime;
        let name = self.config.session.cookie_name;
        match &self.store {
            None => {
                self.write_cookie(&lifetime, request_cookie, rng, res, |w| {
                    session.write_cookie_json(w, Some(exp))
                })?;
                self.write_connection_cookies(session, request_cookie, exp, max_age, rng, res)?;
            }
            Some(store) => {
                let new_id;
                let id = {
                    // The record, its `sid` and `sub` live in the response's spare room while
                    // they are sent, and are gone before the id cookie is written there.
                    let mut scratch = Arena::new(res.spare_mut());
                    let json = scratch.write(|w| session.write_json(w, None))?;
                    let sid_buf = scratch.take(256)?;
                    let sid = session.internal.sid.and_then(|s| s.to_str_in(sid_buf).ok());
                    let sub_buf = scratch.take(256)?;
                    let sub = session
                        .user
                        .get_str("sub")
                        .and_then(|s| s.to_str_in(sub_buf).ok());
                    let info = RecordInfo {
                        expires_at: exp,
                        sid,
                        sub,
                    };
                    match (existing_id, fresh) {
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
                    }
                };
                self.write_sealed_cookie(res, rng, name, Lifetime::MaxAge { max_age, now }, |w| {
                    session::write_id_payload(w, id, exp)
                })?;
            }
        }
        res.no_cache()?;
        Ok(())
    }

    /// One `Set-Cookie` line, `name=<the sealed payload>` with `lifetime`: the payload written
    /// and sealed where the line goes ([`ResponseBuilder::lines_with_tail_value`]), so it takes
    /// no room of its own. The sealed value's length.
    fn write_sealed_cookie(
        &self,
        res: &mut ResponseBuilder<'_>,
        rng: &mut impl CryptoRngCore,
        name: &str,
        lifetime: Lifetime,
        payload: impl FnOnce(&mut Writer<'_>) -> Result<(), Error>,
    ) -> Result<usize, AuthError> {
        let opts = self.config.session_cookie();
        let key = &self.keys().key;
        let mut sealed = 0;
        res.lines_with_tail_value(
            |room| {
                let n = {
                    let mut w = Writer::new(&mut *room, "session cookie");
                    payload(&mut w)?;
                    w.len()
                };
                jwe::seal_in_place_len(key, rng, room, n)
            },
            |lines, len| {
                sealed = len;
                let c = SetCookie {
                    name: CookieName::plain(name),
                    value: "",
                    options: &opts,
                    lifetime,
                };
                lines.line("Set-Cookie", &NameEq(&c.name), Some(len), &c.attributes())
            },
        )?;
        Ok(sealed)
    }

    /// A cookie session's connection token sets as `__FC_<i>` cookies (sealed like the
    /// session, with its lifetime), and the deletion of the request's `__FC_<j>` past them.
    fn write_connection_cookies(
        &self,
        session: &Session<'_>,
        request_cookie: &str,
        exp: UnixTime,
        max_age: u64,
        rng: &mut impl CryptoRngCore,
        res: &mut ResponseBuilder<'_>,
    ) -> Result<(), AuthError> {
        let now = self.now();
        let opts = self.config.session_cookie();
        let entries = &session.connection_token_sets;
        for (i, entry) in entries.iter().enumerate() {
            let mut name_buf = [0u8; CONNECTION_COOKIE_PREFIX.len() + 20];
            let mut w = Writer::new(&mut name_buf, "connection cookie name");
            w.push_str(CONNECTION_COOKIE_PREFIX)?;
            w.push_u64(i as u64)?;
            let name = w.into_str();
            let sealed =
                self.write_sealed_cookie(res, rng, name, Lifetime::MaxAge { max_age, now }, |w| {
                    entry.write_json(w, Some(exp))
                })?;
            if sealed + name.len() + 1 >= 4096 {
                event!(
                    warn,
                    cookie = name,
                    "auth0-edge: a connection token cookie is 4096 bytes or more; browsers may drop it"
                );
            }
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
        req: &Request<'b>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Touched<'b>, AuthError> {
        let t = self.touch_in(req, rng, buf).await?;
        Ok(Touched {
            request_cookie: req.cookie(),
            ..t
        })
    }

    /// [`Auth0::touch`] without its `request_cookie` (left empty), for a caller whose request
    /// lives less long than `buf` (the routes' fallback keeps only the headers).
    pub(crate) async fn touch_in<'b>(
        &self,
        req: &Request<'_>,
        rng: &mut impl CryptoRngCore,
        buf: &'b mut [u8],
    ) -> Result<Touched<'b>, AuthError> {
        let mut arena = Arena::new(buf);
        // The policy of the middleware path: a session that cannot be read (a store that is
        // down, a cookie larger than the work buffer) is no session, and a roll that cannot be
        // written is no roll; the application is served either way, and the failure reported.
        // More of the SDK's cookies than it accepts is answered (431), not ignored.
        let cookie = self.sdk_cookies(&arena, req.cookie())?;
        let without = |failure: AuthError| Touched {
            session: None,
            record_id: None,
            request_cookie: "",
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
        let mut res = arena.respond(200);
        if let Some(l) = &loaded
            && self.roll_due(l)
            && self.hooks.before_session_rolled(req)
            && let Err(e) = self
                .save(&l.session, cookie, l.id, false, rng, &mut res)
                .await
        {
            event!(warn, code = e.code(), reason = %crate::Report(&e), "auth0-edge: the session could not be rolled");
            failure = Some(e);
        }
        let record_id = loaded.as_ref().and_then(|l| l.id);
        Ok(Touched {
            record_id,
            request_cookie: "",
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
        let mut arena = Arena::new(buf);
        let cookie = self.sdk_cookies(&arena, cookie_header)?;
        let current = self
            .load(cookie, &mut arena)
            .await?
            .ok_or(AuthError::MissingSession)?;
        let mut updated = session.clone();
        updated.internal = current.session.internal;
        let mut res = arena.respond(200);
        self.save(&updated, cookie, current.id, false, rng, &mut res)
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
pub(crate) fn is_connection_cookie(name: &str) -> bool {
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

/// A store record's session into `slot` (left `None` when the record is no session).
#[inline(never)]
fn open_record<'b>(
    json: &'b [u8],
    now: UnixTime,
    slot: &mut Option<Session<'b>>,
) -> Result<(), AuthError> {
    *slot = match session::open_payload(json, now) {
        Ok(o) => Some(o.session),
        Err(e) => no_session(e)?,
    };
    Ok(())
}

/// Where a session [`Auth0::load_into`] read came from: the id of its store record, the
/// expiry of the request's cookie (the session's, or the record id's), and its text.
#[derive(Clone, Copy)]
pub(crate) struct LoadedFrom<'b> {
    pub(crate) id: Option<&'b str>,
    pub(crate) cookie_exp: Option<i64>,
    /// The session's JSON (the cookie's plaintext or the record), in the work buffer: what
    /// [`Auth0::reopen`] reads again.
    pub(crate) payload: &'b [u8],
}

/// A session and, when stored, the id of its record.
pub(crate) struct Loaded<'b> {
    pub(crate) session: Session<'b>,
    pub(crate) id: Option<&'b str>,
    /// The expiry of the request's cookie (the session's, or the record id's).
    pub(crate) cookie_exp: Option<i64>,
}

/// A cookie's `name=`, before a value its writer places itself.
struct NameEq<'a>(&'a crate::cookie::CookieName<'a>);

impl core::fmt::Display for NameEq<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self.0, f)?;
        f.write_str("=")
    }
}

#[cfg(test)]
mod tests {
    //! The request's `Cookie` header is read where it is: cookies that are not the SDK's, even
    //! with names close to its own, change nothing that is read or written.
    extern crate std;
    use super::*;
    use crate::config::ClientAuth;
    use crate::http::ResponseHead;
    use crate::runtime::{FixedClock, MemoryCache, TransportError};
    use std::string::{String, ToString};
    use std::vec;
    use std::vec::Vec;

    const NOW: i64 = 1_800_000_000;

    /// No request of these tests goes to the network.
    struct NoNetwork;
    impl Transport for NoNetwork {
        async fn send(
            &self,
            _: &OutgoingRequest<'_>,
            _: &mut [u8],
        ) -> Result<ResponseHead, TransportError> {
            Err(TransportError::Io)
        }
    }

    fn block_on<F: core::future::Future>(f: F) -> F::Output {
        let mut f = core::pin::pin!(f);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            core::task::Poll::Ready(v) => v,
            core::task::Poll::Pending => panic!("no future of these tests waits"),
        }
    }

    fn auth0() -> Auth0<'static, NoNetwork, FixedClock, MemoryCache<1024>> {
        let mut config = Config::new(
            "https://t.example.com",
            "client",
            ClientAuth::SecretPost("secret"),
            "https://app.example.com",
        );
        config.secret = "a-test-secret-that-is-at-least-32-characters-long!";
        Auth0::new(config, NoNetwork, FixedClock(NOW), MemoryCache::new()).unwrap()
    }

    /// The cookies a browser sends back for these `Set-Cookie` lines.
    fn browser(res: &Response<'_>) -> String {
        let mut jar: Vec<(String, String)> = Vec::new();
        for (k, v) in res.headers() {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let (name, value) = v.split("; ").next().unwrap().split_once('=').unwrap();
            jar.retain(|(n, _)| n != name);
            if !v.contains("Max-Age=0") {
                jar.push((name.to_string(), value.to_string()));
            }
        }
        jar.iter()
            .map(|(n, v)| std::format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Each `Set-Cookie` line without its value (the sealed values differ by their IV).
    fn shapes(res: &Response<'_>) -> Vec<String> {
        res.headers()
            .map(|(k, v)| match v.split_once('=') {
                Some((name, rest)) if k.eq_ignore_ascii_case("set-cookie") => std::format!(
                    "{k}: {name}={}",
                    rest.split_once(';').map_or("", |(_, attrs)| attrs)
                ),
                _ => std::format!("{k}: {v}"),
            })
            .collect()
    }

    #[test]
    fn foreign_cookies_change_nothing() {
        let auth0 = auth0();
        // A chunked session (over 3500 bytes sealed) with a connection token set (a `__FC_0`
        // cookie).
        let doc = std::format!(
            r#"{{"user":{{"sub":"u1","bio":"{}"}},"tokenSet":{{"accessToken":"at","refreshToken":"rt","expiresAt":{}}},"internal":{{"sid":"s","createdAt":{NOW}}},"connectionTokenSets":[{{"accessToken":"ct","connection":"google-oauth2","expiresAt":{}}}]}}"#,
            "b".repeat(3000),
            NOW + 3600,
            NOW + 3600
        );
        let session = Session::parse(&doc).unwrap().session;
        let mut buf = vec![0u8; 64 * 1024];
        let res = block_on(auth0.write_session(
            &session,
            "",
            None,
            true,
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap();
        let sdk = browser(&res);
        assert!(
            sdk.contains("__session__1=") && sdk.contains("__FC_0="),
            "{sdk}"
        );
        let foreign = [
            "__session_x=1",
            "__sessionX=2",
            "__session__0x=3",
            "__session__=4",
            "x__session__0=5",
            "__FC_=6",
            "__FC_x=7",
            "x__FC_1=8",
            "appSessionX=9",
            "appSession.x=10",
            "theme=\"dark\"",
            "ga=GA1.2.3",
        ];
        let mixed = std::format!(
            "{}; {sdk}; {}",
            foreign[..6].join("; "),
            foreign[6..].join("; ")
        );
        for header in [sdk.as_str(), mixed.as_str()] {
            let mut buf = vec![0u8; 16 * 1024];
            let read = block_on(auth0.read_session(header, &mut buf))
                .unwrap()
                .unwrap();
            assert_eq!(read.request_cookie, header);
            let mut json = [0u8; 8192];
            let mut expected = [0u8; 8192];
            assert_eq!(
                read.session.to_json(&mut json, None).unwrap(),
                session.to_json(&mut expected, None).unwrap()
            );
            assert_eq!(read.session.connection_token_sets.len(), 1);
            let mut buf = vec![0u8; 16 * 1024];
            let got = block_on(auth0.get_session(header, &mut buf))
                .unwrap()
                .unwrap();
            assert_eq!(got.user.get_str("sub").unwrap(), "u1");
        }
        // Writing: the same lines for the plain and the mixed header (nothing is deleted that
        // the SDK does not own).
        let write = |header: &str| {
            let mut buf = vec![0u8; 64 * 1024];
            let res = block_on(auth0.write_session(
                &session,
                header,
                None,
                false,
                &mut rand_core::OsRng,
                &mut buf,
            ))
            .unwrap();
            shapes(&res)
        };
        assert_eq!(write(&sdk), write(&mixed));
        // A shorter session: its stale chunk and connection cookie are deleted, and only those.
        let mut short = session.clone();
        short.user = crate::codec::json::Object::parse(r#"{"sub":"u1"}"#).unwrap();
        short.connection_token_sets.clear();
        let mut buf = vec![0u8; 64 * 1024];
        let res = block_on(auth0.write_session(
            &short,
            &mixed,
            None,
            false,
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap();
        let deleted: Vec<&str> = res
            .headers()
            .filter(|(_, v)| v.contains("Max-Age=0"))
            .map(|(_, v)| v.split_once('=').unwrap().0)
            .collect();
        assert_eq!(deleted, ["__session__0", "__session__1", "__FC_0"]);
        // Logging out: the SDK's cookies only, as for the header without the others.
        let clear = |header: &str| {
            let mut res_buf = [0u8; 4096];
            let mut res = ResponseBuilder::new(&mut res_buf, 200);
            auth0.clear_cookies(header, &mut res).unwrap();
            shapes(&res.finish().unwrap())
        };
        let cleared = clear(&mixed);
        assert_eq!(cleared, clear(&sdk));
        assert_eq!(cleared.len(), 4, "{cleared:?}"); // `__session`, its two chunks, `__FC_0`
    }
}
