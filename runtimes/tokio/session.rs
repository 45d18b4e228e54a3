//! [`RequestSession`]: the session of one request, read once, changed in place by the
//! application and the flows (an update, a refresh), and written once when the response goes
//! out.
//!
//! Every write keeps the newest token set: a refresh runs through the client's single-flight
//! coordination (one request to the provider per refresh token, the memo for late requests); a
//! rolling write of a cookie session whose token needs a refresh takes a newer token set the
//! memo has; a rolling write of a stored session is conditional on the record's version, so it
//! never undoes a refresh saved meanwhile.

use std::prelude::rust_2024::*;

use super::client::{Auth0Client, CoreClient};
use super::convert::{OwnedHeaders, cookie_header};
use super::hooks::session_saved;
use super::opened::Opened;
use super::owned::{AccessTokenData, ConnectionTokenData, SessionData};
use super::pool::with_buffer;
use super::refresh::{Waited, key_of};
use crate::cookie::chunk;
use crate::flow::{AccessTokenOptions, AuthError, ReadSession, Rolled};
use crate::runtime::Clock as _;
use crate::session::Session;
use http::{HeaderMap, HeaderValue};
use std::sync::Arc;

/// The session of one request, shared by the layer, the extractors and the handler (a cheap
/// clone). [`super::Auth0Layer`] puts one in every request's extensions (read it in axum with
/// the [`super::axum`] extractors, or `parts.extensions.get::<RequestSession>()`) and writes
/// it once after the handler: one seal, one set of `Set-Cookie` values, and only when something
/// changed or the session rolls.
///
/// Every write keeps the newest token set. A refresh runs through the client's single-flight
/// coordination: one request to the provider per refresh token however many requests need it,
/// and, for a minute after, the refreshed session for requests that still carry the old cookie
/// (across servers with [`super::RedisCoordination`]). A rolling write of a cookie session whose
/// token needs a refresh takes the newer token set the memo has; a rolling write of a stored
/// session is conditional on the record's version ([`super::Store::update`]), so it never
/// undoes a refresh saved meanwhile.
///
/// ```no_run
/// # #[cfg(feature = "axum")] mod m {
/// use auth0_edge::flow::AccessTokenOptions;
/// use auth0_edge::tokio::RequestSession;
///
/// // Call an API with the user's token, inside a handler: a refresh is saved by the layer.
/// async fn orders(session: RequestSession) -> Result<String, axum::http::StatusCode> {
///     let token = session
///         .get_access_token(&AccessTokenOptions::default())
///         .await
///         .map_err(|_| axum::http::StatusCode::UNAUTHORIZED)?;
///     Ok(format!("Bearer {}", token.token))
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct RequestSession {
    scope: Arc<Scope>,
}

impl std::fmt::Debug for RequestSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSession").finish_non_exhaustive()
    }
}

struct Scope {
    client: Auth0Client,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The session document (without `exp`); `None` without a session.
    doc: Option<Doc>,
    /// The application replaced the session: written unconditionally.
    edited: bool,
    /// The tokens changed (a refresh, or a newer set from the memo): written.
    changed: bool,
    /// The headers of a write made already (a stored session's refresh is saved at once).
    pending: Option<OwnedHeaders>,
    /// Whether the session rolls on this request (rolling, and `before_session_rolled`).
    roll: bool,
    /// The store record's id and the version read or written last (stateful sessions).
    record_id: Option<String>,
    version: Option<u64>,
    /// The request's `Cookie` header (its SDK cookies' stale chunks are deleted when the
    /// session is written), shared with the request, not copied.
    request_cookie: RequestCookie,
    /// When the read session's access token expires.
    expires_at: Option<i64>,
    /// The rolled cookie of a cookie session as read, made when it was read (empty when the
    /// roll could not be written).
    rolled: Option<OwnedHeaders>,
    /// Written already.
    finished: bool,
    /// The challenge of the last `mfa_required` refresh.
    mfa: Option<MfaChallengeData>,
}

/// The challenge of an `mfa_required` refresh, owned: the encrypted `mfa_token` (wire spec
/// §8.4) and the `mfa_requirements` JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaChallengeData {
    /// `mfa_token`, sealed with the session key.
    pub mfa_token: String,
    /// `mfa_requirements`, JSON text, when sent.
    pub mfa_requirements: Option<String>,
}

/// The session document of a request, owned (without `exp`).
#[derive(Clone)]
pub(crate) struct Doc {
    /// Shared with the [`SessionData`] made of it (its SDK members are parts of it).
    text: Arc<str>,
    /// Where its `tokenSet` object is, when the document is the one the core read (the members
    /// are then walked without scanning the tokens again).
    token_set: Option<std::ops::Range<usize>>,
    /// What is made of it once for all who share the document (the opened-sessions cache and
    /// the requests it answers).
    memo: Arc<Memo>,
}

/// What is made of a [`Doc`] once, when first asked for.
#[derive(Default)]
struct Memo {
    /// The session as a handler sees it.
    data: std::sync::OnceLock<Option<SessionData>>,
    /// Where the `exp` value of the document starts, when the document is what the core
    /// writes as a cookie payload ([`Session::cookie_json_exp_at`]): a roll then re-seals its
    /// first part ([`crate::flow::Auth0::roll_cookie`]).
    exp_at: std::sync::OnceLock<Option<usize>>,
    /// Whether a roll from it was kept already ([`RequestSession::keep_rolled`]): one per
    /// document, so a client that keeps sending a cookie due for a roll (and drops what the
    /// roll sets) does not fill the cache with rolls nobody sends back.
    rolled: std::sync::atomic::AtomicBool,
}

impl Doc {
    /// A document written by this crate, or taken from a refresh.
    fn new(text: String) -> Doc {
        Doc {
            text: Arc::from(text),
            token_set: None,
            memo: Arc::default(),
        }
    }

    /// The document `raw` the core read, with the extent of `token_set` (a part of `raw`).
    fn read(raw: &str, token_set: Option<&str>) -> Doc {
        let start = raw.as_ptr() as usize;
        let token_set = token_set.and_then(|t| {
            let at = (t.as_ptr() as usize).checked_sub(start)?;
            let range = at..at.checked_add(t.len())?;
            (range.end <= raw.len()).then_some(range)
        });
        Doc {
            text: Arc::from(raw),
            token_set,
            memo: Arc::default(),
        }
    }

    /// The session, as a handler sees it.
    fn data(&self) -> Option<SessionData> {
        self.memo
            .data
            .get_or_init(|| {
                let known = self.token_set.clone().and_then(|r| self.text.get(r));
                SessionData::from_trusted(&self.text, known).ok()
            })
            .clone()
    }
}

/// A cookie session as the opened-sessions cache keeps it ([`super::opened`]).
#[derive(Clone)]
pub(crate) struct Cached {
    doc: Doc,
    /// When its access token expires.
    expires_at: Option<i64>,
}

/// The request's `Cookie` header as the request-scoped session keeps it: the one header of an
/// HTTP/1.1 request shared with the request (a reference count, no copy), or several joined.
enum RequestCookie {
    Shared(HeaderValue),
    Joined(String),
}

impl Default for RequestCookie {
    fn default() -> Self {
        RequestCookie::Joined(String::new())
    }
}

impl RequestCookie {
    /// The `Cookie` header of `headers`, as `joined` ([`cookie_header`]) has it.
    fn of(headers: &HeaderMap, joined: &str) -> RequestCookie {
        let mut all = headers.get_all(http::header::COOKIE).iter();
        match (all.next(), all.next()) {
            // `joined` is the header itself (borrowed), not a header left out as invalid.
            (Some(one), None) if std::ptr::eq(one.as_bytes(), joined.as_bytes()) => {
                RequestCookie::Shared(one.clone())
            }
            _ => RequestCookie::Joined(joined.to_string()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            RequestCookie::Shared(v) => std::str::from_utf8(v.as_bytes()).unwrap_or(""),
            RequestCookie::Joined(s) => s,
        }
    }
}

/// A roll that cannot be written is no roll: logged, and no headers.
fn rolled_not(e: &AuthError) -> OwnedHeaders {
    event!(warn, code = e.code(), reason = %crate::Report(e), "auth0-edge: the session could not be rolled");
    let _ = e;
    OwnedHeaders::default()
}

/// What reading a request's session found, owned.
struct Read {
    doc: Result<Doc, AuthError>,
    expires_at: Option<i64>,
    record_id: Option<String>,
    rolled: Option<OwnedHeaders>,
    /// Whether a roll re-seals it (its cookie's expiry is behind by the threshold).
    roll_due: bool,
    /// What the checks of a later request need (the opened-sessions cache).
    cookie_exp: Option<i64>,
    created_at: Option<i64>,
    ceiling: Option<i64>,
}

impl Read {
    fn of(r: &ReadSession<'_>, roll_due: bool, rolled: Option<OwnedHeaders>) -> Read {
        let s = &r.session;
        Read {
            // The document as read (an `exp` in it is ignored when it is read back); with the
            // connection token sets of `__FC_<i>` cookies, as the core writes it.
            doc: match s.raw {
                Some(raw) if s.connection_token_sets.is_empty() => Ok(Doc::read(
                    raw.raw(),
                    s.token_set.raw.as_ref().map(|t| t.raw()),
                )),
                _ => SessionData::doc_of(s).map(Doc::new),
            },
            expires_at: s.token_set.expires_at,
            record_id: r.record_id.map(String::from),
            roll_due,
            rolled,
            cookie_exp: r.cookie_exp,
            created_at: s.internal.created_at,
            ceiling: s.internal.session_expires_at,
        }
    }
}

/// Room beyond the bytes a job reads (a session document and its cookies): the response head,
/// the chunk deletions, the arena's copies.
const SLACK: usize = 8 * 1024;

/// How often a request follows a chain of newer sessions (refreshes of refreshes) before it
/// refreshes on its own.
const MAX_ADOPTIONS: usize = 4;

impl RequestSession {
    /// Reads the session of a request with these headers. A request whose session cannot be
    /// read (a store that is down) goes on without one, and the failure is logged; more of the
    /// SDK's cookies than the flows accept is an error (answer it with its status, 431).
    pub async fn read(client: &Auth0Client, headers: &HeaderMap) -> Result<Self, AuthError> {
        Self::read_rolling(client, headers, false).await
    }

    /// [`RequestSession::read`] for a request on which the session rolls (`roll`).
    pub(crate) async fn read_rolling(
        client: &Auth0Client,
        headers: &HeaderMap,
        roll: bool,
    ) -> Result<Self, AuthError> {
        let cookie = cookie_header(headers);
        Self::read_in(client, headers, &cookie, roll).await
    }

    /// Reads the session of a request with these headers and `cookie`, its `Cookie` header
    /// ([`cookie_header`]). When the session rolls on this request (`roll`) and a cookie
    /// session's roll is due, the rolled cookie is made at once, from the session as it is
    /// parsed (one parse, one seal), and sent when nothing else changed it. The work buffer is
    /// sized to the read (a cookie session's cookies and plaintext); a roll gets its own.
    pub(crate) async fn read_in(
        client: &Auth0Client,
        headers: &HeaderMap,
        cookie: &str,
        roll: bool,
    ) -> Result<Self, AuthError> {
        let mut state = State {
            roll,
            ..State::default()
        };
        if !client.may_have_session(cookie) {
            // No session cookie (nor chunk) at all: nothing to read.
            return Ok(Self::with_state(client, state));
        }
        let stateful = client.inner.store.is_some();
        // The cookie's pieces, when the opened-sessions cache may have it.
        let found = (!stateful && client.inner.opened.is_on())
            .then(|| Self::cacheable(client, cookie))
            .flatten();
        // Looked up as the header has them: what the cache keeps has no percent-escapes, so
        // an encoded value never matches it byte for byte.
        let kept = match found.as_ref().map(chunk::Found::raw_pieces) {
            Some(pieces) => Self::read_kept(client, pieces, cookie, roll).await,
            None => None,
        };
        let from_cache = kept.is_some();
        let read = match kept {
            Some(r) => Ok(Some(r)),
            None => {
                // A cookie session is decrypted where its chunks are joined (at most the
                // header's length), with its connection-token cookies beside it; a stored one
                // needs room for its record. (A job that runs out of room runs again with a
                // whole buffer.)
                let need = if stateful {
                    64 * 1024
                } else {
                    cookie.len() * 2 + 1024
                };
                // Boxed: the reading future is large (the core's read, a store's I/O), and a
                // request answered from the cache should not carry it (nor move it).
                Box::pin(async {
                    let core = client.core();
                    with_buffer!(client.inner.pool, need, |buf| {
                        Self::read_buf(client, &core, cookie, roll && !stateful, buf).await
                    })
                })
                .await
            }
        };
        match read {
            Ok(Some(r)) => {
                let doc = r.doc?;
                let pieces = found.as_ref().filter(|_| !from_cache);
                if let Some(pieces) = pieces.and_then(chunk::Found::pieces) {
                    let session = Cached {
                        doc: doc.clone(),
                        expires_at: r.expires_at,
                    };
                    client.inner.opened.insert(
                        pieces,
                        Opened {
                            session,
                            cookie_exp: r.cookie_exp,
                            created_at: r.created_at,
                            ceiling: r.ceiling,
                        },
                    );
                }
                state.doc = Some(doc);
                state.expires_at = r.expires_at;
                state.record_id = r.record_id;
                // A store's version of the record, for a conditional write (a store is never
                // read from the cache).
                if stateful {
                    state.version = client.core().store().and_then(|s| s.seen());
                }
                state.request_cookie = RequestCookie::of(headers, cookie);
                state.rolled = r.rolled;
                // A session whose cookie is not due for a roll is not written back.
                state.roll &= r.roll_due;
            }
            Ok(None) => {}
            Err(e @ AuthError::CookiesTooLarge { .. }) => return Err(e),
            Err(e) => {
                event!(warn, code = e.code(), reason = %crate::Report(&e), "auth0-edge: the request goes on without its session");
                let _ = e;
            }
        }
        Ok(Self::with_state(client, state))
    }

    /// The session the opened-sessions cache keeps for a cookie of these pieces, when it is
    /// still open now; rolled from the kept document when a roll is due on this request. A
    /// session that is no longer open is forgotten (the read that follows says why).
    async fn read_kept(
        client: &Auth0Client,
        pieces: &[&str],
        cookie: &str,
        roll: bool,
    ) -> Option<Read> {
        let hit = client.inner.opened.get(pieces)?;
        let now = super::SystemClock.now();
        if !hit.is_open(now) {
            client.inner.opened.remove(pieces);
            return None;
        }
        let durations = &client.inner.hot.durations;
        let roll_due = durations.roll_due(hit.cookie_exp, hit.created_at, now);
        let rolled = if roll && roll_due {
            // Rolled from the document kept: the one this cookie opens to.
            Some(Box::pin(Self::roll_kept(client, &hit, cookie)).await)
        } else {
            None
        };
        Some(Read {
            doc: Ok(hit.session.doc),
            expires_at: hit.session.expires_at,
            record_id: None,
            rolled,
            roll_due,
            cookie_exp: hit.cookie_exp,
            created_at: hit.created_at,
            ceiling: hit.ceiling,
        })
    }

    /// Reads the session of `cookie` in `buf`. A cookie session whose roll is due on this
    /// request (`roll`) is rolled at once; that future is boxed, with the session it writes,
    /// so that neither is kept in the future of every request. (A stored session rolls when it
    /// is written, conditional on its version.)
    async fn read_buf(
        client: &Auth0Client,
        core: &CoreClient<'_>,
        cookie: &str,
        roll: bool,
        buf: &mut [u8],
    ) -> Result<Option<Read>, AuthError> {
        let Some(r) = core.read_session(cookie, buf).await? else {
            return Ok(None);
        };
        if roll && r.roll_due {
            return Ok(Some(
                Box::pin(Self::roll_read(client, core, r, cookie)).await,
            ));
        }
        Ok(Some(Read::of(&r, r.roll_due, None)))
    }

    /// [`RequestSession::roll`] of a session kept by the opened-sessions cache (`hit`: a
    /// document the core read before, so it parses as it did then). A document that is what
    /// the core writes as a cookie payload (checked once per document) is not written again:
    /// its part before `exp` is re-sealed with the new expiry, which gives the same cookie a
    /// full roll gives; and the new cookie is kept too, so that the browser's next request,
    /// which sends it, is not decrypted either.
    async fn roll_kept(client: &Auth0Client, hit: &Opened<Cached>, cookie: &str) -> OwnedHeaders {
        let core = client.core();
        let doc = &hit.session.doc;
        let exp_at = doc.memo.exp_at.get_or_init(|| {
            let opened = Session::parse(&doc.text).ok()?;
            let mut scratch = vec![0u8; doc.text.len()];
            opened
                .session
                .cookie_json_exp_at(&doc.text, hit.cookie_exp?, &mut scratch)
        });
        if let Some(payload) = exp_at.and_then(|at| doc.text.get(..at)) {
            let need = (payload.len() + cookie.len()) * 2 + 2048;
            let written = with_buffer!(client.inner.pool, need, |buf| {
                let rolled = core
                    .roll_cookie(payload, hit.created_at, cookie, &mut super::ThreadRng, buf)
                    .await;
                rolled.map(|r| {
                    r.map(|r| {
                        Self::keep_rolled(client, hit, payload, &r);
                        OwnedHeaders::of(&r.response)
                    })
                })
            });
            match written {
                Ok(Some(h)) => return h,
                Ok(None) => {}
                Err(e) => return rolled_not(&e),
            }
        }
        match Session::parse(&doc.text) {
            Ok(opened) => Self::roll(client, &core, &opened.session, cookie).await,
            Err(_) => OwnedHeaders::default(),
        }
    }

    /// Keeps the cookie `rolled` wrote from `hit`'s document (`payload`, its part before
    /// `exp`) as what opening it gives: the same session with the new `exp`; the first roll of
    /// each document only. (When the request's session is changed after all, the rolled
    /// cookie is not sent, and this entry is one nobody has.)
    fn keep_rolled(client: &Auth0Client, hit: &Opened<Cached>, payload: &str, rolled: &Rolled<'_>) {
        let old = &hit.session.doc;
        if old
            .memo
            .rolled
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let text = format!("{payload}{}}}", rolled.exp);
        let memo = Memo::default();
        // The same members: the handler's view of them is the old document's.
        if let Some(data) = old.memo.data.get() {
            let _ = memo.data.set(data.clone());
        }
        let _ = memo.exp_at.set(Some(payload.len()));
        let doc = Doc {
            text: Arc::from(text),
            token_set: old.token_set.clone(),
            memo: Arc::new(memo),
        };
        client.inner.opened.insert(
            &[rolled.sealed],
            Opened {
                session: Cached {
                    doc,
                    expires_at: hit.session.expires_at,
                },
                cookie_exp: Some(rolled.exp),
                created_at: hit.created_at,
                ceiling: hit.ceiling,
            },
        );
    }

    /// [`RequestSession::roll`] of a session read, and what was read.
    async fn roll_read(
        client: &Auth0Client,
        core: &CoreClient<'_>,
        r: ReadSession<'_>,
        cookie: &str,
    ) -> Read {
        let rolled = Self::roll(client, core, &r.session, cookie).await;
        Read::of(&r, true, Some(rolled))
    }

    /// The rolled cookie of a cookie session as read (the core's rolling write: the same
    /// `createdAt`, a later expiry). A roll that cannot be written is no roll: logged, and no
    /// headers.
    async fn roll(
        client: &Auth0Client,
        core: &CoreClient<'_>,
        session: &Session<'_>,
        cookie: &str,
    ) -> OwnedHeaders {
        let doc_len = session.raw.map_or(0, |r| r.raw().len());
        // The sealed value (4/3 of the JSON) in the arena's two thirds, its `Set-Cookie` lines
        // and the request's stale chunks' deletions in the response's third.
        let need = (doc_len + cookie.len()) * 2 + 2048;
        let written = with_buffer!(client.inner.pool, need, |buf| {
            core.write_session(session, cookie, None, false, &mut super::ThreadRng, buf)
                .await
                .map(|r| OwnedHeaders::of(&r))
        });
        written.unwrap_or_else(|e| rolled_not(&e))
    }

    fn with_state(client: &Auth0Client, state: State) -> Self {
        RequestSession {
            scope: Arc::new(Scope {
                client: client.clone(),
                state: tokio::sync::Mutex::new(state),
            }),
        }
    }

    /// The session cookie of `cookie`, when what opening it gives may be kept and reused: no
    /// connection-token cookies (their sets are part of the session read), and SDK cookies
    /// within what a read accepts (a larger header is refused by the read, never answered from
    /// the cache).
    fn cacheable<'h>(client: &Auth0Client, cookie: &'h str) -> Option<chunk::Found<'h>> {
        if cookie.len() > crate::flow::MAX_SDK_COOKIES_LEN {
            return None;
        }
        let mut connection = false;
        let found = chunk::find_with(cookie, &client.inner.hot.cookie_name, |c| {
            connection |= crate::flow::is_connection_cookie(c.name);
        });
        found.ok().filter(|_| !connection)
    }

    /// Whether a request with these headers may have a session: it carries a cookie whose
    /// name has the session cookie's (false: it has none).
    pub(crate) fn may_exist(client: &Auth0Client, headers: &HeaderMap) -> bool {
        let name = client.inner.config.as_config().session.cookie_name;
        if name.is_empty() {
            return true;
        }
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .any(|v| client.inner.session_cookie.find(v.as_bytes()).is_some())
    }

    /// After [`RequestSession::get_access_token`] failed with [`AuthError::MfaRequired`]: the
    /// encrypted `mfa_token` and the `mfa_requirements` to hand to the client (the SDK's
    /// `MfaRequiredError` fields).
    pub async fn mfa_challenge(&self) -> Option<MfaChallengeData> {
        self.scope.state.lock().await.mfa.clone()
    }

    /// The client this session belongs to.
    pub fn client(&self) -> &Auth0Client {
        &self.scope.client
    }

    /// Whether the request has a session.
    pub async fn exists(&self) -> bool {
        self.scope.state.lock().await.doc.is_some()
    }

    /// The session (`getSession`), as it stands now (with this request's changes).
    pub async fn get(&self) -> Option<SessionData> {
        let state = self.scope.state.lock().await;
        state.doc.as_ref().and_then(Doc::data)
    }

    /// Replaces the session (`updateSession`): `session`'s user, extra members and tokens are
    /// saved when the response goes out; `internal` (`sid`, `createdAt`) stays the current
    /// session's. Without a session this is [`AuthError::MissingSession`].
    pub async fn update(&self, session: &SessionData) -> Result<(), AuthError> {
        let mut state = self.scope.state.lock().await;
        let current = state.doc().ok_or(AuthError::MissingSession)?;
        let current = SessionData::from_json(current)?;
        let mut next = session.clone();
        next.keep_internal_of(&current);
        state.doc = Some(Doc::new(next.to_json()));
        state.edited = true;
        Ok(())
    }

    /// An access token for the session (`getAccessToken`): the stored one while it is valid,
    /// else refreshed, once for all the requests that need the same refresh (see
    /// [`RequestSession`]). The new tokens are saved when the response goes out.
    pub async fn get_access_token(
        &self,
        options: &AccessTokenOptions<'_>,
    ) -> Result<AccessTokenData, AuthError> {
        let client = &self.scope.client;
        let inner = &*client.inner;
        let core = client.core();
        let audience = options
            .audience
            .or(core.config().authorization_parameters.audience);
        let mut state = self.scope.state.lock().await;
        for _ in 0..=MAX_ADOPTIONS {
            let doc = state.doc_owned().ok_or(AuthError::MissingSession)?;
            let session = parse(&doc)?;
            let cached = with_buffer!(inner.pool, doc.len() * 2 + SLACK, |buf| {
                core.cached_token(session.clone(), options, buf)
                    .await
                    .map(|t| t.map(|t| AccessTokenData::new(&t, audience)))
            });
            if let Some(t) = cached? {
                return Ok(t);
            }
            let refresh_token = session
                .token_set
                .refresh_token
                .and_then(|t| t.as_str())
                .unwrap_or_default();
            let key = key_of(refresh_token);
            // A refresh of this token finished already (here, or on another server)?
            if let Some(newer) = inner.coordinator.newer(&key, true, &inner.keys).await {
                state.take(&newer)?;
                continue;
            }
            let flight = match inner.coordinator.lock(&key, &inner.keys).await {
                Waited::Refreshed(newer) => {
                    state.take(&newer)?;
                    continue;
                }
                Waited::Locked(flight) => flight,
            };
            let outcome = self
                .refresh_locked(&mut state, &key, options, audience)
                .await;
            flight.release().await;
            match outcome? {
                Some(token) => return Ok(token),
                None => continue,
            }
        }
        Err(AuthError::FailedToRefreshToken(
            crate::flow::GrantFailure::Transport(crate::runtime::TransportError::Timeout),
        ))
    }

    /// A connection access token (`getAccessTokenForConnection`): the session's cached one for
    /// the connection (and login hint) while valid, else the refresh token exchanged for one,
    /// saved in the session when the response goes out (`__FC_<i>` cookies for a cookie
    /// session).
    pub async fn get_access_token_for_connection(
        &self,
        options: &crate::flow::ConnectionTokenOptions<'_>,
    ) -> Result<ConnectionTokenData, AuthError> {
        let client = &self.scope.client;
        let core = client.core();
        let mut state = self.scope.state.lock().await;
        let doc = state.doc_owned().ok_or(AuthError::MissingSession)?;
        let mut pooled = client.inner.pool.get();
        let (token, updated) = {
            let session = parse(&doc)?;
            let t = core
                .connection_token_for(session, options, &mut super::ThreadRng, pooled.buf())
                .await?;
            let updated = t.updated.as_ref().map(SessionData::doc_of).transpose()?;
            (ConnectionTokenData::new(&t.token), updated)
        };
        drop(pooled);
        if let Some(doc) = updated {
            state.doc = Some(Doc::new(doc));
            state.changed = true;
        }
        Ok(token)
    }

    /// The refresh, holding the flight of `key`: the memo and the store are asked once more
    /// (`None`: a newer session was adopted, try again), else the provider.
    async fn refresh_locked(
        &self,
        state: &mut State,
        key: &super::refresh::Key,
        options: &AccessTokenOptions<'_>,
        audience: Option<&str>,
    ) -> Result<Option<AccessTokenData>, AuthError> {
        let client = &self.scope.client;
        let inner = &*client.inner;
        let core = client.core();
        // Asked again under the lock: the refresh that held it may have just finished (here,
        // or on another server).
        if let Some(newer) = inner.coordinator.newer(key, true, &inner.keys).await {
            state.take(&newer)?;
            return Ok(None);
        }
        let doc = state.doc_owned().ok_or(AuthError::MissingSession)?;
        // A stored session: the record is the truth (another server may have refreshed it).
        if let (Some(store), Some(id)) = (inner.store.as_deref(), state.record_id.clone()) {
            match store.get(&id).await? {
                None => {
                    state.doc = None;
                    return Err(AuthError::MissingSession);
                }
                Some(r) if r.json != doc => {
                    let theirs = SessionData::from_json(&r.json)?;
                    let ours = SessionData::from_json(&doc)?;
                    if theirs.refresh_token() != ours.refresh_token() {
                        // The record has it already: nothing to write but the roll.
                        state.take(&r.json)?;
                        state.changed = false;
                        state.version = Some(r.version);
                        return Ok(None);
                    }
                }
                Some(_) => {}
            }
        }
        let mut pooled = inner.pool.get();
        let (token, refreshed) = {
            let session = parse(&doc)?;
            let result = core
                .token_for(session, options, &mut super::ThreadRng, pooled.buf())
                .await;
            if let Err(AuthError::MfaRequired(e)) = &result {
                let e = e.clone();
                drop(result);
                // The encrypted MFA token is in the work buffer: keep it for the answer.
                state.mfa = e.challenge(pooled.buf()).map(|c| MfaChallengeData {
                    mfa_token: c.mfa_token.to_string(),
                    mfa_requirements: c.mfa_requirements.map(String::from),
                });
                return Err(AuthError::MfaRequired(e));
            }
            let t = result?;
            let token = AccessTokenData::new(&t.token, audience);
            match t.refreshed {
                None => (token, None),
                Some(r) => {
                    let doc = SessionData::doc_of(&r.session)?;
                    (token, Some((doc, r.id_token.map(String::from))))
                }
            }
        };
        drop(pooled);
        let Some((doc, id_token)) = refreshed else {
            return Ok(Some(token));
        };
        let mut refreshed = SessionData::from_json(&doc)?;
        if let Some(id_token) = &id_token {
            // `user` is every claim of the new ID token: the hook decides what stays.
            session_saved(&*inner.hooks, &mut refreshed, id_token).await?;
        }
        let json = refreshed.to_json();
        inner.coordinator.remember(key, &json, &inner.keys).await;
        state.take(&json)?;
        if state.record_id.is_some() {
            // Saved at once, so another server reading the record sees the new tokens.
            let headers = self.write(state, false).await?;
            state.pending = Some(headers);
        }
        Ok(Some(token))
    }

    /// Writes the session for the response, once: after an application's update (always),
    /// a refresh (once), or when it rolls. The headers go on the response.
    pub async fn finish(&self) -> Result<HeaderMap, AuthError> {
        Ok(self.finish_owned().await?.into_map())
    }

    /// [`RequestSession::finish`], its headers appended to `map` (the response's): nothing is
    /// made when nothing is written. On an error nothing is appended.
    pub(crate) async fn finish_into(&self, map: &mut HeaderMap) -> Result<(), AuthError> {
        self.finish_owned().await?.append_to(map);
        Ok(())
    }

    async fn finish_owned(&self) -> Result<OwnedHeaders, AuthError> {
        let mut state = self.scope.state.lock().await;
        if std::mem::replace(&mut state.finished, true) || state.doc.is_none() {
            return Ok(OwnedHeaders::default());
        }
        if !state.edited
            && let Some(headers) = state.pending.take()
        {
            return Ok(headers);
        }
        if !(state.edited || state.changed || state.roll) {
            return Ok(OwnedHeaders::default());
        }
        // The work of a store, a refresh's adoption and a write is boxed: their futures (a
        // core, I/O, a seal) are large, and the future of every request should not carry them.
        let stateful = state.record_id.is_some();
        if stateful && state.edited {
            Box::pin(self.keep_stored_tokens(&mut state)).await?;
        } else if !stateful && !state.changed && self.may_adopt(&state) {
            Box::pin(self.adopt_refreshed(&mut state)).await?;
        }
        if !(state.edited || state.changed)
            && let Some(rolled) = state.rolled.take()
        {
            return Ok(rolled);
        }
        // A stored session's roll does not undo a write made since it was read.
        let conditional = stateful && !state.edited;
        Box::pin(self.write(&mut state, conditional)).await
    }

    /// Whether the session's token is within the refresh buffer of its expiry, so that
    /// another request may have refreshed it ([`RequestSession::adopt_refreshed`]).
    fn may_adopt(&self, state: &State) -> bool {
        let horizon = super::SystemClock
            .now()
            .saturating_add(self.scope.client.inner.hot.token_refresh_buffer);
        state.expires_at.is_some_and(|e| e <= horizon)
    }

    /// An application's update of a stored session keeps the record's tokens when a refresh
    /// elsewhere saved newer ones.
    async fn keep_stored_tokens(&self, state: &mut State) -> Result<(), AuthError> {
        let inner = &*self.scope.client.inner;
        let (Some(store), Some(id), Some(doc)) = (
            inner.store.as_deref(),
            state.record_id.as_deref(),
            state.doc(),
        ) else {
            return Ok(());
        };
        if let Some(r) = store.get(id).await? {
            let theirs = SessionData::from_json(&r.json)?;
            let mut ours = SessionData::from_json(doc)?;
            if theirs.refresh_token() != ours.refresh_token() {
                ours.take_tokens(&theirs);
                state.doc = Some(Doc::new(ours.to_json()));
            }
        }
        Ok(())
    }

    /// A cookie session whose token needs a refresh: when the memo has the refresh another
    /// request made (its `Set-Cookie` raced this request's), roll that one instead.
    async fn adopt_refreshed(&self, state: &mut State) -> Result<(), AuthError> {
        let client = &self.scope.client;
        let inner = &*client.inner;
        if !self.may_adopt(state) {
            return Ok(());
        }
        let Some(doc) = state.doc_owned() else {
            return Ok(());
        };
        let session = parse(&doc)?;
        let Some(rt) = session.token_set.refresh_token.and_then(|t| t.as_str()) else {
            return Ok(());
        };
        if let Some(newer) = inner
            .coordinator
            .newer(&key_of(rt), false, &inner.keys)
            .await
        {
            state.take(&newer)?;
        }
        Ok(())
    }

    /// Writes the session: its cookies (or record and id cookie), and the cache headers.
    async fn write(&self, state: &mut State, conditional: bool) -> Result<OwnedHeaders, AuthError> {
        let client = &self.scope.client;
        let core = client.core();
        let Some(doc) = state.doc.as_ref().map(|d| &*d.text) else {
            return Ok(OwnedHeaders::default());
        };
        let session = parse(doc)?;
        if let Some(store) = core.store() {
            store.require(if conditional { state.version } else { None });
        }
        let request_cookie = state.request_cookie.as_str();
        let need = doc.len() * 4 + request_cookie.len() * 3 + SLACK;
        let record_id = state.record_id.as_deref();
        let headers = with_buffer!(client.inner.pool, need, |buf| {
            core.write_session(
                &session,
                request_cookie,
                record_id,
                false,
                &mut super::ThreadRng,
                buf,
            )
            .await
            .map(|res| OwnedHeaders::of(&res))
        })?;
        if let Some(v) = core.store().and_then(|s| s.seen()) {
            state.version = Some(v);
        }
        Ok(headers)
    }
}

impl State {
    /// The session document.
    fn doc(&self) -> Option<&str> {
        self.doc.as_ref().map(|d| &*d.text)
    }

    /// A copy of the session document (to parse while the state changes).
    fn doc_owned(&self) -> Option<String> {
        self.doc().map(String::from)
    }

    /// Takes a newer session (a refresh's): its tokens and, unless the application edited this
    /// one, all of it.
    fn take(&mut self, newer: &str) -> Result<(), AuthError> {
        match (self.doc(), self.edited) {
            (Some(doc), true) => {
                let mut ours = SessionData::from_json(doc)?;
                ours.take_tokens(&SessionData::from_json(newer)?);
                self.doc = Some(Doc::new(ours.to_json()));
            }
            _ => self.doc = Some(Doc::new(newer.to_string())),
        }
        self.changed = true;
        Ok(())
    }
}

/// The session of a document this request holds: one the core read, or one written by this
/// crate (`SessionData::to_json`, the memo), or checked when it came from a store. It is not
/// validated again.
fn parse(doc: &str) -> Result<Session<'_>, AuthError> {
    Ok(Session::from_object(crate::codec::json::Object::assume_valid(doc))?.session)
}

impl SessionData {
    /// The JSON document of a core session (without `exp`).
    pub(crate) fn doc_of(s: &Session<'_>) -> Result<String, AuthError> {
        let mut buf = vec![0u8; s.user.raw().len() + 16 * 1024];
        loop {
            let len = buf.len();
            match s.to_json(&mut buf, None) {
                Ok(json) => return Ok(json.to_string()),
                Err(crate::Error::BufferTooSmall { .. }) if len < 1 << 22 => {
                    buf = vec![0u8; len * 4];
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientAuth, Config};

    const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
    /// A session made at `created_at`.
    fn doc(created_at: i64) -> String {
        format!(
            r#"{{"user":{{"sub":"auth0|1","name":"Ada","email":"ada@example.com"}},"tokenSet":{{"accessToken":"at-0123456789","idToken":"a.b.c","refreshToken":"rt-1","expiresAt":4102444800,"scope":"openid"}},"internal":{{"sid":"s-1","createdAt":{created_at}}}}}"#
        )
    }

    fn config() -> Config<'static> {
        Config {
            secret: SECRET,
            ..Config::new(
                "127.0.0.1:9",
                "test",
                ClientAuth::SecretPost("s"),
                "http://127.0.0.1:3000",
            )
        }
    }

    fn client(opened: usize) -> Auth0Client {
        Auth0Client::builder(config())
            .opened_sessions(opened)
            .build()
            .unwrap()
    }

    /// A cookie sealed as if at `now`: it expires an hour later.
    fn cookie_at(now: i64) -> String {
        let key = crate::jose::jwe::Key::from_secret(SECRET).unwrap();
        let doc = doc(now);
        let mut buf = vec![0u8; doc.len() * 3 + 1024];
        let sealed = crate::session::generate_session_cookie(
            &doc,
            &key,
            now,
            &mut super::super::ThreadRng,
            &mut buf,
        )
        .unwrap();
        format!("__session={sealed}")
    }

    fn headers(cookie: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        h
    }

    fn now() -> i64 {
        crate::runtime::Clock::now(&super::super::SystemClock)
    }

    async fn read(c: &Auth0Client, cookie: &str, roll: bool) -> (Option<SessionData>, HeaderMap) {
        let s = RequestSession::read_rolling(c, &headers(cookie), roll)
            .await
            .unwrap();
        (s.get().await, s.finish().await.unwrap())
    }

    fn cached(c: &Auth0Client, cookie: &str) -> bool {
        let found = chunk::find(cookie, "__session").unwrap();
        c.inner.opened.get(found.pieces().unwrap()).is_some()
    }

    /// The cookie a roll of `cookie` wrote (one that needs no re-seal for a while).
    async fn rolled(c: &Auth0Client, cookie: &str) -> String {
        let (_, h) = read(c, cookie, true).await;
        let line = h
            .get_all(http::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("__session="))
            .expect("a rolled cookie")
            .to_string();
        line.split(';').next().unwrap().to_string()
    }

    #[tokio::test]
    async fn a_cookie_read_again_gives_what_opening_it_gives() {
        let on = client(16);
        let off = client(0);
        let fresh = rolled(&off, &cookie_at(now())).await;
        for roll in [false, true] {
            let first = read(&on, &fresh, roll).await;
            assert!(cached(&on, &fresh));
            let again = read(&on, &fresh, roll).await;
            let reference = read(&off, &fresh, roll).await;
            assert!(first.0.is_some());
            assert_eq!(first.0, reference.0);
            assert_eq!(again.0, reference.0);
            // No re-seal is due: nothing is written, from the cache or not.
            assert!(reference.1.get(http::header::SET_COOKIE).is_none());
            assert!(again.1.get(http::header::SET_COOKIE).is_none());
        }
        assert!(!cached(&off, &fresh));
        // The session a handler gets is made once for both requests.
        let a = RequestSession::read(&on, &headers(&fresh)).await.unwrap();
        let b = RequestSession::read(&on, &headers(&fresh)).await.unwrap();
        assert_eq!(a.get().await, b.get().await);
    }

    #[tokio::test]
    async fn a_roll_that_is_due_re_seals_a_cached_cookie() {
        // Expiring in an hour: a roll to a day from now is due on every request.
        let (on, _, due) = kept_due_cookie().await;
        for _ in 0..2 {
            let (data, h) = read(&on, &due, true).await;
            assert!(data.is_some());
            let line = h.get(http::header::SET_COOKIE).expect("re-sealed");
            assert!(line.to_str().unwrap().starts_with("__session="));
        }
    }

    /// The plaintext a sealed cookie value opens to.
    fn plaintext(value: &str) -> Option<String> {
        let key = crate::jose::jwe::Key::from_secret(SECRET).unwrap();
        let mut buf = vec![0u8; value.len()];
        let plain = crate::jose::jwe::open(&key, value, &mut buf).ok()?;
        Some(String::from_utf8(plain.to_vec()).unwrap())
    }

    /// `h`'s `Set-Cookie` lines, each as (the plaintext its value opens to, its attributes).
    fn set_cookies(h: &HeaderMap) -> Vec<(String, String)> {
        h.get_all(http::header::SET_COOKIE)
            .iter()
            .map(|v| {
                let line = v.to_str().unwrap();
                let (pair, attributes) = line.split_once(';').unwrap();
                let (_, value) = pair.split_once('=').unwrap();
                // A deletion's empty value stays as it is.
                let plain = plaintext(value).unwrap_or_else(|| value.to_string());
                (plain, attributes.to_string())
            })
            .collect()
    }

    /// A client with the cache on, one with it off, and a cookie due for a roll that the
    /// first has opened (and keeps).
    async fn kept_due_cookie() -> (Auth0Client, Auth0Client, String) {
        let on = client(16);
        let due = cookie_at(now());
        let _ = read(&on, &due, false).await;
        assert!(cached(&on, &due));
        (on, client(0), due)
    }

    #[tokio::test]
    async fn a_kept_document_rolls_to_what_a_full_roll_writes() {
        let (on, off, due) = kept_due_cookie().await;
        let mut compared = 0;
        while compared < 3 {
            // Both rolls within one second, so their `exp` and `Max-Age` are the same.
            let at = now();
            let (kept, from_kept) = read(&on, &due, true).await;
            let (read_again, full) = read(&off, &due, true).await;
            if now() != at {
                continue;
            }
            assert_eq!(kept, read_again);
            let (a, b) = (set_cookies(&from_kept), set_cookies(&full));
            assert!(
                a[0].0.contains(&format!(r#""exp":{}"#, at + 86_400)),
                "{a:?}"
            );
            assert_eq!(a, b);
            compared += 1;
        }
        // The kept document was found to be what the core writes, so it was not written again.
        let found = chunk::find(&due, "__session").unwrap();
        let hit = on.inner.opened.get(found.pieces().unwrap()).unwrap();
        assert!(matches!(hit.session.doc.memo.exp_at.get(), Some(Some(_))));
        // A document written otherwise (a space) is rolled the full way, to the same payload.
        let exp = now() + 3600;
        let d = doc(now());
        let spaced = Opened {
            session: Cached {
                doc: Doc::new(format!(r#"{}, "exp":{exp}}}"#, &d[..d.len() - 1])),
                expires_at: None,
            },
            cookie_exp: Some(exp),
            created_at: None,
            ceiling: None,
        };
        let rolled = RequestSession::roll_kept(&on, &spaced, "").await.into_map();
        assert_eq!(spaced.session.doc.memo.exp_at.get(), Some(&None));
        let rolled = set_cookies(&rolled);
        assert!(rolled[0].0.starts_with(&d[..d.len() - 1]), "{rolled:?}");
        assert!(rolled[0].0.contains(r#","exp":"#));
    }

    #[tokio::test]
    async fn the_cookie_a_kept_document_rolls_to_is_kept_too() {
        let (on, off, due) = kept_due_cookie().await;
        // Rolled from the kept document: the new cookie is in the cache before it comes back.
        let next = rolled(&on, &due).await;
        assert!(cached(&on, &next));
        // A client that sends the old cookie again gets another roll, which is not kept: one
        // kept roll per document.
        let again = rolled(&on, &due).await;
        assert_ne!(again, next);
        assert!(!cached(&on, &again));
        let (from_cache, h) = read(&on, &next, true).await;
        let (opened, _) = read(&off, &next, true).await;
        assert!(from_cache.is_some());
        assert_eq!(from_cache, opened);
        // A day from now: no re-seal due, nothing written, from the cache or not.
        assert!(h.get(http::header::SET_COOKIE).is_none());
        // What the cache answers for it is what opening it gives, `exp` included: it is
        // rolled again (from the kept text) to the same payload a full roll writes.
        let found = chunk::find(&next, "__session").unwrap();
        let hit = on.inner.opened.get(found.pieces().unwrap()).unwrap();
        let plain = plaintext(next.strip_prefix("__session=").unwrap()).unwrap();
        assert_eq!(&*hit.session.doc.text, plain);
        let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
        assert_eq!(hit.cookie_exp, plain["exp"].as_i64());
        assert!(hit.cookie_exp.unwrap() >= now() + 86_400 - 2);
    }

    #[tokio::test]
    async fn a_changed_cookie_is_never_answered_from_the_cache() {
        let on = client(16);
        let fresh = rolled(&on, &cookie_at(now())).await;
        let _ = read(&on, &fresh, false).await;
        assert!(cached(&on, &fresh));
        // The same length and the same last bytes (the cache's key), one byte changed in the
        // ciphertext: it does not open, and the cache does not answer it.
        let mut bytes = fresh.clone().into_bytes();
        let at = bytes.len() / 2;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).unwrap();
        let (data, _) = read(&on, &forged, false).await;
        assert!(data.is_none());
        assert!(!cached(&on, &forged));
        // The genuine one still reads.
        assert!(read(&on, &fresh, false).await.0.is_some());
    }

    #[tokio::test]
    async fn a_cookie_that_expired_since_it_was_opened_is_not_read() {
        let on = client(16);
        // It expires (beyond opening's 15 s tolerance) three seconds from now: room for a
        // loaded machine between making it and the first read.
        let cookie = cookie_at(now() - 3600 - 12);
        assert!(read(&on, &cookie, false).await.0.is_some());
        assert!(cached(&on, &cookie));
        tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
        assert!(read(&on, &cookie, false).await.0.is_none());
        assert!(!cached(&on, &cookie));
    }

    #[tokio::test]
    async fn connection_token_cookies_and_stores_bypass_the_cache() {
        let on = client(16);
        let fresh = rolled(&on, &cookie_at(now())).await;
        let with_fc = format!("{fresh}; __FC_0=x");
        let _ = read(&on, &with_fc, false).await;
        assert!(!cached(&on, &with_fc));
        let stateful = Auth0Client::builder(config())
            .store(super::super::MemoryStore::default())
            .build()
            .unwrap();
        assert!(!stateful.inner.opened.is_on());
    }
}
