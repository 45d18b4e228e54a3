//! The session document of `@auth0/nextjs-auth0` v4 and its sealed cookie(s).
//!
//! A [`Session`] is a view over the decrypted JSON, with no copies: `user` stays the raw claims
//! object (read claims with [`Object::get_str`] and friends), token strings are [`JsonStr`]s.
//! Written back, a session keeps every member it was read with, in its place: known members
//! take their (possibly changed) typed values, unknown members are copied, members the SDK
//! would add go in the SDK's order, and `exp` comes last. A session read from a Next.js cookie
//! and sealed again therefore has the same plaintext, byte for byte.
//!
//! ```text
//! {"user":{…},"tokenSet":{"accessToken":…,"idToken":…,"scope":…,"requestedScope":…,
//!  "audience":…,"refreshToken":…,"expiresAt":N,"token_type":…},"accessTokens":[…],
//!  "internal":{"sid":…,"createdAt":N,"sessionExpiresAt":N},<extra keys>,"exp":N}
//! ```

use crate::buf::Writer;
use crate::cookie::chunk::{self, ChunkedWrite};
use crate::cookie::{self, CookieName, CookieOptions, Lifetime, SetCookie};
use crate::json::{JsonStr, Object, ObjectWriter, Value};
use crate::time::UnixTime;
use crate::{Error, JsonError, JweError, SessionError, jwe};
use rand_core::CryptoRngCore;

/// The session cookie's default name.
pub const DEFAULT_COOKIE_NAME: &str = "__session";
/// The v3 cookie name, whose cookies are deleted whenever a v4 session is written.
pub const LEGACY_COOKIE_NAME: &str = "appSession";
/// The most `accessTokens` entries a session can hold in this build.
pub const MAX_ACCESS_TOKENS: usize = 8;
/// Reads treat a session as gone this many seconds before `internal.sessionExpiresAt`.
pub const SESSION_EXPIRY_MARGIN: i64 = 30;
/// A buffer size that opens or seals any session of up to about 6 KB of JSON.
pub const DEFAULT_BUFFER_LEN: usize = 16 * 1024;
/// The largest sealed session written to cookies: 10 chunks. Browsers keep more, but the
/// request headers of a larger session exceed what common servers and proxies accept (8-16 KB);
/// a larger session is [`SessionError::TooLarge`]: use a session store.
pub const MAX_COOKIE_SESSION_LEN: usize = 10 * crate::cookie::chunk::MAX_CHUNK_SIZE;

// ---------------------------------------------------------------------------------------------
// Documents with known members and preserved unknown ones
// ---------------------------------------------------------------------------------------------

/// A JSON object with known members (typed fields) and unknown ones (kept in `raw`).
pub(crate) trait Document {
    /// The known member names, in the order the SDK writes them.
    const KEYS: &'static [&'static str];
    /// The object the document was read from (or `{}`).
    fn raw(&self) -> Object<'_>;
    /// A large member value known to be in `raw` unchanged, which writing can jump over.
    fn known(&self) -> Option<&str> {
        None
    }
    /// Writes known member `index` if it has a value.
    fn write_known(&self, index: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error>;

    /// Writes the document: members in their original order, new known members after them in
    /// `KEYS` order, then whatever `tail` adds (e.g. `exp`). A known member whose typed value
    /// is `None` is left out.
    fn write(
        &self,
        w: &mut Writer<'_>,
        tail: impl FnOnce(&mut ObjectWriter<'_, '_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut o = ObjectWriter::begin(w)?;
        let mut done = 0u64;
        let members = match self.known() {
            Some(known) => self.raw().members_knowing(known),
            None => self.raw().members(),
        };
        for (k, v) in members {
            match Self::KEYS.iter().position(|name| k == *name) {
                Some(i) => {
                    if done & (1 << i) == 0 {
                        self.write_known(i, &mut o)?;
                        done |= 1 << i;
                    }
                }
                None => o.member(k, v)?,
            }
        }
        for i in 0..Self::KEYS.len() {
            if done & (1 << i) == 0 {
                self.write_known(i, &mut o)?;
            }
        }
        tail(&mut o)?;
        o.end()
    }
}

fn want_str<'a>(v: Value<'a>, field: &'static str) -> Result<JsonStr<'a>, SessionError> {
    v.as_json_str().ok_or(SessionError::InvalidField(field))
}

/// A number member read as `Math.floor` would; a non-number counts as absent, as in the SDK.
fn num(v: Value<'_>) -> Option<i64> {
    v.as_number()?.floor_i64()
}

fn put_str(o: &mut ObjectWriter<'_, '_>, k: &str, v: Option<JsonStr<'_>>) -> Result<(), Error> {
    match v {
        Some(s) => o.json_str(k, s),
        None => Ok(()),
    }
}

fn put_num(o: &mut ObjectWriter<'_, '_>, k: &str, v: Option<i64>) -> Result<(), Error> {
    match v {
        Some(n) => o.i64(k, n),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Token sets
// ---------------------------------------------------------------------------------------------

/// The session's main token set (`tokenSet`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TokenSet<'a> {
    /// `accessToken`.
    pub access_token: Option<JsonStr<'a>>,
    /// `idToken`.
    pub id_token: Option<JsonStr<'a>>,
    /// `scope`: the scope the server granted.
    pub scope: Option<JsonStr<'a>>,
    /// `requestedScope`: the scope the SDK asked for.
    pub requested_scope: Option<JsonStr<'a>>,
    /// `audience`.
    pub audience: Option<JsonStr<'a>>,
    /// `refreshToken`.
    pub refresh_token: Option<JsonStr<'a>>,
    /// `expiresAt`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `token_type`, lower case (`bearer`, `dpop`); only stored after a refresh.
    pub token_type: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> TokenSet<'a> {
    fn parse(o: Object<'a>) -> Result<TokenSet<'a>, SessionError> {
        let mut t = TokenSet {
            raw: Some(o),
            ..TokenSet::default()
        };
        for (k, v) in o.members() {
            let k = k.as_str().unwrap_or("");
            match k {
                "accessToken" => t.access_token = Some(want_str(v, "tokenSet.accessToken")?),
                "idToken" => t.id_token = Some(want_str(v, "tokenSet.idToken")?),
                "scope" => t.scope = Some(want_str(v, "tokenSet.scope")?),
                "requestedScope" => {
                    t.requested_scope = Some(want_str(v, "tokenSet.requestedScope")?)
                }
                "audience" => t.audience = Some(want_str(v, "tokenSet.audience")?),
                "refreshToken" => t.refresh_token = Some(want_str(v, "tokenSet.refreshToken")?),
                "expiresAt" => t.expires_at = num(v),
                "token_type" => t.token_type = Some(want_str(v, "tokenSet.token_type")?),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for TokenSet<'_> {
    const KEYS: &'static [&'static str] = &[
        "accessToken",
        "idToken",
        "scope",
        "requestedScope",
        "audience",
        "refreshToken",
        "expiresAt",
        "token_type",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "accessToken", self.access_token),
            1 => put_str(o, "idToken", self.id_token),
            2 => put_str(o, "scope", self.scope),
            3 => put_str(o, "requestedScope", self.requested_scope),
            4 => put_str(o, "audience", self.audience),
            5 => put_str(o, "refreshToken", self.refresh_token),
            6 => put_num(o, "expiresAt", self.expires_at),
            _ => put_str(o, "token_type", self.token_type),
        }
    }
}

/// An extra access token for another audience or scope (an `accessTokens` entry, MRRT).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AccessToken<'a> {
    /// `accessToken`.
    pub access_token: Option<JsonStr<'a>>,
    /// `expiresAt`, Unix seconds.
    pub expires_at: Option<i64>,
    /// `audience`.
    pub audience: Option<JsonStr<'a>>,
    /// `scope`: granted.
    pub scope: Option<JsonStr<'a>>,
    /// `requestedScope`.
    pub requested_scope: Option<JsonStr<'a>>,
    /// `token_type`.
    pub token_type: Option<JsonStr<'a>>,
    /// The object this was read from; its unknown members are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> AccessToken<'a> {
    fn parse(o: Object<'a>) -> Result<AccessToken<'a>, SessionError> {
        let mut t = AccessToken {
            raw: Some(o),
            ..AccessToken::default()
        };
        for (k, v) in o.members() {
            match k.as_str().unwrap_or("") {
                "accessToken" => t.access_token = Some(want_str(v, "accessTokens.accessToken")?),
                "expiresAt" => t.expires_at = num(v),
                "audience" => t.audience = Some(want_str(v, "accessTokens.audience")?),
                "scope" => t.scope = Some(want_str(v, "accessTokens.scope")?),
                "requestedScope" => {
                    t.requested_scope = Some(want_str(v, "accessTokens.requestedScope")?)
                }
                "token_type" => t.token_type = Some(want_str(v, "accessTokens.token_type")?),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for AccessToken<'_> {
    const KEYS: &'static [&'static str] = &[
        "accessToken",
        "expiresAt",
        "audience",
        "scope",
        "requestedScope",
        "token_type",
    ];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "accessToken", self.access_token),
            1 => put_num(o, "expiresAt", self.expires_at),
            2 => put_str(o, "audience", self.audience),
            3 => put_str(o, "scope", self.scope),
            4 => put_str(o, "requestedScope", self.requested_scope),
            _ => put_str(o, "token_type", self.token_type),
        }
    }
}

/// The SDK's bookkeeping (`internal`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Internal<'a> {
    /// `sid`: the ID token's session id, used for `logout_hint` and back-channel logout.
    pub sid: Option<JsonStr<'a>>,
    /// `createdAt`: Unix seconds at login; the absolute expiry counts from it.
    pub created_at: Option<i64>,
    /// `sessionExpiresAt`: the IPSIE ceiling from the ID token's `session_expiry`.
    pub session_expires_at: Option<i64>,
    /// The object this was read from; its unknown members (`mcd`, …) are written back.
    pub raw: Option<Object<'a>>,
}

impl<'a> Internal<'a> {
    fn parse(o: Object<'a>) -> Result<Internal<'a>, SessionError> {
        let mut t = Internal {
            raw: Some(o),
            ..Internal::default()
        };
        for (k, v) in o.members() {
            match k.as_str().unwrap_or("") {
                "sid" => t.sid = Some(want_str(v, "internal.sid")?),
                "createdAt" => t.created_at = num(v),
                "sessionExpiresAt" => t.session_expires_at = num(v),
                _ => {}
            }
        }
        Ok(t)
    }
}

impl Document for Internal<'_> {
    const KEYS: &'static [&'static str] = &["sid", "createdAt", "sessionExpiresAt"];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => put_str(o, "sid", self.sid),
            1 => put_num(o, "createdAt", self.created_at),
            _ => put_num(o, "sessionExpiresAt", self.session_expires_at),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------------------------

/// The session document.
#[derive(Clone, Debug, PartialEq)]
pub struct Session<'a> {
    /// `user`: the (filtered) ID-token claims, as a JSON object.
    pub user: Object<'a>,
    /// `tokenSet`.
    pub token_set: TokenSet<'a>,
    /// `accessTokens`: tokens for other audiences and scopes.
    pub access_tokens: heapless::Vec<AccessToken<'a>, MAX_ACCESS_TOKENS>,
    /// `internal`.
    pub internal: Internal<'a>,
    /// The document this was read from; its unknown top-level members (e.g. keys added by a
    /// `before_session_saved` hook) are written back.
    pub raw: Option<Object<'a>>,
}

/// A session read from a JWT payload, with the payload's time claims.
#[derive(Clone, Debug, PartialEq)]
pub struct Opened<'a> {
    /// The session.
    pub session: Session<'a>,
    /// The payload's `exp`.
    pub exp: Option<i64>,
}

impl<'a> Session<'a> {
    /// A session for `user` with `token_set`, created at `now`.
    pub fn new(
        user: Object<'a>,
        token_set: TokenSet<'a>,
        sid: Option<JsonStr<'a>>,
        now: UnixTime,
    ) -> Self {
        Session {
            user,
            token_set,
            access_tokens: heapless::Vec::new(),
            internal: Internal {
                sid,
                created_at: Some(now),
                session_expires_at: None,
                raw: None,
            },
            raw: None,
        }
    }

    /// Reads a session from its JSON (a decrypted cookie payload, or a store record).
    ///
    /// `user` and `tokenSet` must be objects; everything else is optional.
    pub fn parse(json: &'a str) -> Result<Opened<'a>, Error> {
        Self::parse_nbf(json).map(|(o, _)| o)
    }

    /// [`Session::parse`], also returning the payload's `nbf`; one pass over the text.
    fn parse_nbf(json: &'a str) -> Result<(Opened<'a>, Option<i64>), Error> {
        let mut b = Builder::default();
        let doc = Object::parse_each(json, |k, v| b.member(k, v))?;
        b.finish(doc)
    }

    /// Like [`Session::parse`] for a parsed object.
    pub fn from_object(doc: Object<'a>) -> Result<Opened<'a>, Error> {
        let mut b = Builder::default();
        for (k, v) in doc.members() {
            b.member(k, v)?;
        }
        b.finish(doc).map(|(o, _)| o)
    }

    /// Writes the session's JSON with `exp` as the last member (or without `exp`).
    pub fn write_json(&self, w: &mut Writer<'_>, exp: Option<i64>) -> Result<(), Error> {
        self.write(w, |o| put_num(o, "exp", exp))
    }

    /// Writes the session's JSON into `buf` and returns it.
    pub fn to_json<'b>(&self, buf: &'b mut [u8], exp: Option<i64>) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "session JSON");
        self.write_json(&mut w, exp)?;
        Ok(w.into_str())
    }

    /// Seals the session with `exp`: writes its JSON into `buf`, encrypts it, and returns the
    /// compact JWE (which also lives in `buf`). `buf` needs about 2.4 × the JSON's size.
    pub fn seal<'b>(
        &self,
        key: &jwe::Key,
        rng: &mut impl CryptoRngCore,
        exp: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, Error> {
        let capacity = buf.len();
        let mut w = Writer::new(buf, "session");
        self.write_json(&mut w, Some(exp))?;
        let (plaintext, out) = w.into_parts();
        jwe::seal(key, rng, plaintext, out).map_err(|e| match e {
            Error::BufferTooSmall { .. } => Error::BufferTooSmall {
                what: "session",
                capacity,
            },
            e => e,
        })
    }
}

/// Collects a session's members as they are read.
#[derive(Default)]
struct Builder<'a> {
    user: Option<Object<'a>>,
    token_set: Option<TokenSet<'a>>,
    access_tokens: heapless::Vec<AccessToken<'a>, MAX_ACCESS_TOKENS>,
    internal: Internal<'a>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

impl<'a> Builder<'a> {
    fn member(&mut self, k: JsonStr<'a>, v: Value<'a>) -> Result<(), Error> {
        let field = |name| SessionError::InvalidField(name);
        match k.as_str().unwrap_or("") {
            "user" => self.user = Some(v.as_object().ok_or(field("user"))?),
            "tokenSet" => {
                self.token_set = Some(TokenSet::parse(v.as_object().ok_or(field("tokenSet"))?)?)
            }
            "accessTokens" => {
                let a = v.as_array().ok_or(field("accessTokens"))?;
                self.access_tokens.clear();
                for e in a.iter() {
                    let o = e.as_object().ok_or(field("accessTokens"))?;
                    self.access_tokens
                        .push(AccessToken::parse(o)?)
                        .map_err(|_| SessionError::TooManyAccessTokens)?;
                }
            }
            "internal" => self.internal = Internal::parse(v.as_object().ok_or(field("internal"))?)?,
            "exp" => self.exp = num(v),
            "nbf" => self.nbf = num(v),
            _ => {}
        }
        Ok(())
    }

    fn finish(self, doc: Object<'a>) -> Result<(Opened<'a>, Option<i64>), Error> {
        let opened = Opened {
            session: Session {
                user: self.user.ok_or(SessionError::MissingField("user"))?,
                token_set: self
                    .token_set
                    .ok_or(SessionError::MissingField("tokenSet"))?,
                access_tokens: self.access_tokens,
                internal: self.internal,
                raw: Some(doc),
            },
            exp: self.exp,
        };
        Ok((opened, self.nbf))
    }
}

impl Document for Session<'_> {
    const KEYS: &'static [&'static str] = &["user", "tokenSet", "accessTokens", "internal", "exp"];

    fn raw(&self) -> Object<'_> {
        self.raw.unwrap_or(Object::EMPTY)
    }

    fn known(&self) -> Option<&str> {
        Some(self.user.raw())
    }

    fn write_known(&self, i: usize, o: &mut ObjectWriter<'_, '_>) -> Result<(), Error> {
        match i {
            0 => o.raw("user", self.user.raw()),
            1 => {
                let w = o.key("tokenSet")?;
                self.token_set.write(w, |_| Ok(()))
            }
            2 if !self.access_tokens.is_empty() => {
                let w = o.key("accessTokens")?;
                w.push_ascii(b'[')?;
                for (n, t) in self.access_tokens.iter().enumerate() {
                    if n > 0 {
                        w.push_ascii(b',')?;
                    }
                    t.write(w, |_| Ok(()))?;
                }
                w.push_ascii(b']')
            }
            3 => {
                let w = o.key("internal")?;
                self.internal.write(w, |_| Ok(()))
            }
            // `accessTokens` when empty, and `exp`, which the caller appends last.
            _ => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

/// The session lifetime settings (`session.rolling`, `absoluteDuration`, `inactivityDuration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Durations {
    /// Whether each request extends the session (default true).
    pub rolling: bool,
    /// Seconds from login after which the session ends regardless (default 3 days).
    pub absolute_duration: u64,
    /// Seconds of inactivity after which a rolling session ends (default 1 day).
    pub inactivity_duration: u64,
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            rolling: true,
            absolute_duration: 259_200,
            inactivity_duration: 86_400,
        }
    }
}

impl Durations {
    /// The cookie `Max-Age` (and `exp - now`) for a write at `now`, as the SDK computes it:
    /// `absoluteDuration` when not rolling; otherwise
    /// `min(now + inactivityDuration, createdAt + absoluteDuration) - now`, at least 0, and 0
    /// when `createdAt` is missing.
    pub fn max_age(&self, created_at: Option<i64>, now: UnixTime) -> u64 {
        if !self.rolling {
            return self.absolute_duration;
        }
        let Some(created_at) = created_at else {
            return 0;
        };
        let expires_at = now
            .saturating_add(self.inactivity_duration as i64)
            .min(created_at.saturating_add(self.absolute_duration as i64));
        expires_at.saturating_sub(now).max(0) as u64
    }
}

// ---------------------------------------------------------------------------------------------
// Cookies
// ---------------------------------------------------------------------------------------------

/// Reads the session from the cookie(s) named `name` in a `Cookie` header: joins chunks,
/// decrypts, checks `exp` (15 s tolerance) and the IPSIE ceiling, and parses the document.
///
/// `buf` holds the joined value (when chunked) and the plaintext, which the returned session
/// borrows: about 1.8 × the cookie size, e.g. [`DEFAULT_BUFFER_LEN`].
///
/// ```
/// use auth0_edge::{jwe::Key, session};
/// let key = Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
/// let mut buf = [0u8; 4096];
/// let err = session::open("other=1", "__session", &key, 0, &mut buf).unwrap_err();
/// assert_eq!(err, auth0_edge::CookieError::NotFound.into());
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn open<'b>(
    header: &str,
    name: &str,
    key: &jwe::Key,
    now: UnixTime,
    buf: &'b mut [u8],
) -> Result<Opened<'b>, Error> {
    let found = chunk::find(header, name)?;
    let plaintext: &'b [u8] = match found.joined_len() {
        None => {
            let value = found.join(&mut [])?;
            jwe::open(key, value, buf)?
        }
        Some(n) => {
            let capacity = buf.len();
            let split = capacity.checked_sub(n).ok_or(Error::BufferTooSmall {
                what: "session",
                capacity,
            })?;
            let (head, tail) = buf.split_at_mut(split);
            let value = found.join(tail)?;
            jwe::open(key, value, head).map_err(|e| match e {
                Error::BufferTooSmall { .. } => Error::BufferTooSmall {
                    what: "session",
                    capacity,
                },
                e => e,
            })?
        }
    };
    open_payload(plaintext, now)
}

/// Reads a session from a decrypted payload, checking `exp` and the IPSIE ceiling.
pub fn open_payload(plaintext: &[u8], now: UnixTime) -> Result<Opened<'_>, Error> {
    let json = core::str::from_utf8(plaintext).map_err(|_| JsonError::Utf8)?;
    let (opened, nbf) = Session::parse_nbf(json).map_err(|e| match e {
        Error::Json(_) => JweError::Payload.into(),
        e => e,
    })?;
    jwe::check_times(opened.exp, nbf, now)?;
    if let Some(ceiling) = opened.session.internal.session_expires_at
        && now >= ceiling - SESSION_EXPIRY_MARGIN
    {
        return Err(SessionError::Expired.into());
    }
    Ok(opened)
}

/// The `Set-Cookie` values that store a sealed session: the value (chunked if over 3500
/// bytes), the stale-chunk deletions, and deletions of any v3 `appSession` cookies in the
/// request.
///
/// ```
/// use auth0_edge::{cookie::CookieOptions, session};
/// let opts = CookieOptions::default();
/// let lines: Vec<String> = session::set_cookies("__session", "eyJ…", &opts, 86400, 0, "")?
///     .map(|c| c.to_string())
///     .collect();
/// assert_eq!(lines.len(), 6); // the cookie and __session__0..4 deleted
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn set_cookies<'a>(
    name: &'a str,
    sealed: &'a str,
    options: &'a CookieOptions<'a>,
    max_age: u64,
    now: UnixTime,
    request: &'a str,
) -> Result<SessionCookies<'a>, Error> {
    if sealed.len() > MAX_COOKIE_SESSION_LEN {
        return Err(SessionError::TooLarge {
            sealed_len: sealed.len(),
        }
        .into());
    }
    Ok(SessionCookies {
        main: chunk::write(name, sealed, options, max_age, now, request)?,
        legacy: LegacyDeletions::new(request, options),
    })
}

/// The `Set-Cookie` values that remove a session (logout): the cookie, its chunks, and v3
/// `appSession` cookies present in the request.
pub fn delete_cookies<'a>(
    name: &'a str,
    options: &'a CookieOptions<'a>,
    request: &'a str,
) -> SessionCookies<'a> {
    SessionCookies {
        main: chunk::delete_all(name, options, request),
        legacy: LegacyDeletions::new(request, options),
    }
}

/// The iterator returned by [`set_cookies`] and [`delete_cookies`].
#[derive(Clone, Debug)]
pub struct SessionCookies<'a> {
    main: ChunkedWrite<'a>,
    legacy: LegacyDeletions<'a>,
}

impl<'a> Iterator for SessionCookies<'a> {
    type Item = SetCookie<'a>;

    fn next(&mut self) -> Option<SetCookie<'a>> {
        self.main.next().or_else(|| self.legacy.next())
    }
}

/// Deletions for `appSession` and `appSession.<n>` cookies present in a request.
#[derive(Clone, Debug)]
struct LegacyDeletions<'a> {
    cookies: cookie::Cookies<'a>,
    options: &'a CookieOptions<'a>,
}

impl<'a> LegacyDeletions<'a> {
    fn new(request: &'a str, options: &'a CookieOptions<'a>) -> Self {
        LegacyDeletions {
            cookies: cookie::parse(request),
            options,
        }
    }
}

impl<'a> Iterator for LegacyDeletions<'a> {
    type Item = SetCookie<'a>;

    fn next(&mut self) -> Option<SetCookie<'a>> {
        for c in self.cookies.by_ref() {
            let legacy = c.name == LEGACY_COOKIE_NAME
                || c.name
                    .strip_prefix(LEGACY_COOKIE_NAME)
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
            if legacy {
                return Some(SetCookie {
                    name: CookieName::plain(c.name),
                    value: "",
                    options: self.options,
                    lifetime: Lifetime::Delete,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    const DOC: &str = r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"at","x":[1],"expiresAt":1.9e9},"extra":true,"internal":{"sid":"s","createdAt":100,"mcd":{"domain":"d"}},"exp":5}"#;

    #[test]
    fn parse_and_write_keep_unknown_members_in_place() {
        let opened = Session::parse(DOC).unwrap();
        let s = &opened.session;
        assert_eq!(opened.exp, Some(5));
        assert_eq!(s.user.get_str("name").unwrap(), "Né");
        assert_eq!(s.token_set.access_token.unwrap(), "at");
        assert_eq!(s.token_set.expires_at, Some(1_900_000_000));
        assert_eq!(s.internal.created_at, Some(100));
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, Some(7)).unwrap(),
            r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"at","x":[1],"expiresAt":1900000000},"extra":true,"internal":{"sid":"s","createdAt":100,"mcd":{"domain":"d"}},"exp":7}"#
        );
    }

    #[test]
    fn changed_and_new_members() {
        let mut opened = Session::parse(DOC).unwrap();
        let s = &mut opened.session;
        s.token_set.access_token = Some("new".into());
        s.token_set.refresh_token = Some("rt".into());
        s.token_set.token_type = Some("bearer".into());
        s.internal.sid = None;
        s.access_tokens
            .push(AccessToken {
                access_token: Some("a2".into()),
                expires_at: Some(9),
                audience: Some("https://api".into()),
                ..AccessToken::default()
            })
            .unwrap();
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, None).unwrap(),
            r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"new","x":[1],"expiresAt":1900000000,"refreshToken":"rt","token_type":"bearer"},"extra":true,"internal":{"createdAt":100,"mcd":{"domain":"d"}},"accessTokens":[{"accessToken":"a2","expiresAt":9,"audience":"https://api"}]}"#
        );
    }

    #[test]
    fn fresh_session_in_sdk_order() {
        let user = Object::parse(r#"{"sub":"u"}"#).unwrap();
        let ts = TokenSet {
            access_token: Some("at".into()),
            id_token: Some("id".into()),
            scope: Some("openid".into()),
            requested_scope: Some("openid profile".into()),
            refresh_token: Some("rt".into()),
            expires_at: Some(10),
            ..TokenSet::default()
        };
        let s = Session::new(user, ts, Some("sid".into()), 1);
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, Some(2)).unwrap(),
            r#"{"user":{"sub":"u"},"tokenSet":{"accessToken":"at","idToken":"id","scope":"openid","requestedScope":"openid profile","refreshToken":"rt","expiresAt":10},"internal":{"sid":"sid","createdAt":1},"exp":2}"#
        );
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            Session::parse(r#"{"id":"x"}"#).unwrap_err(),
            SessionError::MissingField("user").into()
        );
        assert_eq!(
            Session::parse(r#"{"user":{},"tokenSet":{"accessToken":1}}"#).unwrap_err(),
            SessionError::InvalidField("tokenSet.accessToken").into()
        );
        let many = std::format!(
            r#"{{"user":{{}},"tokenSet":{{}},"accessTokens":[{}]}}"#,
            ["{}"; MAX_ACCESS_TOKENS + 1].join(",")
        );
        assert_eq!(
            Session::parse(&many).unwrap_err(),
            SessionError::TooManyAccessTokens.into()
        );
    }

    #[test]
    fn durations() {
        let d = Durations::default();
        assert_eq!(d.max_age(Some(1000), 1000), 86_400);
        assert_eq!(d.max_age(Some(1000), 1000 + 259_200 - 10), 10);
        assert_eq!(d.max_age(Some(1000), 1000 + 300_000), 0);
        assert_eq!(d.max_age(None, 1000), 0);
        let fixed = Durations {
            rolling: false,
            ..d
        };
        assert_eq!(fixed.max_age(None, 5), 259_200);
    }

    #[test]
    fn legacy_cookies_are_deleted() {
        let o = CookieOptions::default();
        let out: Vec<_> = set_cookies(
            "__session",
            "v",
            &o,
            1,
            0,
            "appSession=x; appSession.0=y; appSessionX=z",
        )
        .unwrap()
        .map(|c| c.to_string())
        .collect();
        assert_eq!(out.len(), 8);
        assert!(out[6].starts_with("appSession=; "));
        assert!(out[7].starts_with("appSession.0=; "));
        let del: Vec<_> = delete_cookies("__session", &o, "")
            .map(|c| c.to_string())
            .collect();
        assert_eq!(del.len(), 6);
        assert!(del.iter().all(|l| l.contains("Max-Age=0")));
    }
}
