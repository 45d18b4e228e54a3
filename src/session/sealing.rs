//! Sealed session cookies: open (join chunks, decrypt, check `exp`, parse), write (`Set-Cookie`
//! values, chunked, with stale chunks deleted), and delete.

use super::*;

/// Reads the session from the cookie(s) named `name` in a `Cookie` header: joins chunks,
/// decrypts, checks `exp` (15 s tolerance) and the IPSIE ceiling, and parses the document.
///
/// `buf` holds the plaintext, which the returned session borrows: about 0.75 × the cookie
/// size for a single cookie (decrypted out of the header), the cookie size for a chunked one
/// (joined into `buf`, then decrypted where it is); [`DEFAULT_BUFFER_LEN`] holds any session
/// of up to about 6 KB of JSON.
///
/// ```
/// use auth0_edge::session;
/// use auth0_edge::jose::jwe::Key;
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
    let n = open_into(header, name, key, buf)?;
    open_payload(&buf[..n], now)
}

/// Joins (when chunked) and decrypts the session cookie named `name` into the front of `buf`
/// and returns the plaintext's length: [`open`] before the payload is read, so that a flow
/// keeps of its work buffer only the plaintext (a chunked cookie is joined into `buf` and
/// decrypted where it is, then its plaintext moved to the front; a single one is decrypted out
/// of the header).
#[inline(never)]
pub(crate) fn open_into(
    header: &str,
    name: &str,
    key: &jwe::Key,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let found = chunk::find(header, name)?;
    match found.joined_len() {
        None => {
            let value = found.join(&mut [])?;
            Ok(jwe::open(key, value, buf)?.len())
        }
        Some(n) => {
            let capacity = buf.len();
            let joined = buf.get_mut(..n).ok_or(Error::BufferTooSmall {
                what: "session",
                capacity,
            })?;
            // The joined value is exactly `n` bytes (`joined_len`), decrypted where it is.
            let len = found.join(&mut *joined)?.len();
            let base = joined.as_ptr().addr();
            let plaintext = jwe::open_in_place(key, &mut joined[..len])?;
            let (at, len) = (plaintext.as_ptr().addr() - base, plaintext.len());
            buf.copy_within(at..at + len, 0);
            Ok(len)
        }
    }
}

/// Reads a session from a decrypted payload, checking `exp` and the IPSIE ceiling.
pub fn open_payload(plaintext: &[u8], now: UnixTime) -> Result<Opened<'_>, Error> {
    let json = core::str::from_utf8(plaintext).map_err(|_| JsonError::Utf8)?;
    let (opened, nbf) = Session::parse_nbf(json).map_err(|e| match e {
        Error::Json(_) => JweError::Payload.into(),
        e => e,
    })?;
    jwe::check_times(opened.exp, nbf, now)?;
    check_open(opened.exp, opened.session.internal.session_expires_at, now)?;
    Ok(opened)
}

/// Whether a session opened before is still open at `now`: its cookie's `exp` (15 s
/// tolerance) and its IPSIE ceiling (`internal.sessionExpiresAt`), as [`open`] checks them. (A
/// cookie that opened once passed its `nbf`, which time cannot undo.)
pub fn check_open(exp: Option<i64>, ceiling: Option<i64>, now: UnixTime) -> Result<(), Error> {
    jwe::check_times(exp, None, now)?;
    if let Some(ceiling) = ceiling
        && now >= ceiling.saturating_sub(SESSION_EXPIRY_MARGIN)
    {
        return Err(SessionError::Expired.into());
    }
    Ok(())
}

/// The `Set-Cookie` values that store a sealed session: the value (chunked if over 3500
/// bytes), deletions of the request's chunks (and base cookie) it makes stale, and deletions of any v3 `appSession` cookies in the
/// request.
///
/// ```
/// use auth0_edge::{cookie::CookieOptions, session};
/// let opts = CookieOptions::default();
/// let lines: Vec<String> = session::set_cookies("__session", "eyJ…", &opts, 86400, 0, "")?
///     .map(|c| c.to_string())
///     .collect();
/// assert_eq!(lines.len(), 1); // the request had no chunks to delete
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

/// [`set_cookies`] for a sealed value of `sealed_len` bytes that the caller places itself
/// (into the response's lines, [`crate::http::ResponseBuilder`]): read it with
/// [`SessionCookies::next_piece`].
pub(crate) fn set_cookies_len<'a>(
    name: &'a str,
    sealed_len: usize,
    options: &'a CookieOptions<'a>,
    max_age: u64,
    now: UnixTime,
    request: &'a str,
) -> Result<SessionCookies<'a>, Error> {
    if sealed_len > MAX_COOKIE_SESSION_LEN {
        return Err(SessionError::TooLarge { sealed_len }.into());
    }
    Ok(SessionCookies {
        main: chunk::write_ascii_len(name, sealed_len, options, max_age, now, request)?,
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

impl<'a> SessionCookies<'a> {
    /// The next `Set-Cookie`, with the part of the sealed value it carries as a range (see
    /// [`chunk::ChunkedWrite::next_piece`]).
    pub(crate) fn next_piece(
        &mut self,
    ) -> Option<(SetCookie<'a>, Option<core::ops::Range<usize>>)> {
        self.main
            .next_piece()
            .or_else(|| self.legacy.next().map(|c| (c, None)))
    }
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

/// How long a cookie made by [`generate_session_cookie`] is valid: the SDK's hour.
pub const GENERATED_COOKIE_LIFETIME: i64 = 3600;

/// The SDK's testing helper `generateSessionCookie`: `session_json` (a whole or partial session
/// document) sealed into a bare cookie value, with `exp` an hour after `now`. A document
/// without `internal` gets the SDK's `{"sid":"auth0-sid","createdAt":now}`. Nothing is
/// filtered and nothing is chunked; send it as `__session=<value>`.
///
/// ```
/// use auth0_edge::jose::jwe::Key;
/// let key = Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!")?;
/// let mut buf = [0u8; 1024];
/// let value = auth0_edge::session::generate_session_cookie(
///     r#"{"user":{"sub":"u1"},"tokenSet":{"accessToken":"at","expiresAt":4102444800}}"#,
///     &key, 1_800_000_000, &mut rand_core::OsRng, &mut buf)?;
/// let header = format!("__session={value}");
/// let mut out = [0u8; 2048];
/// let opened = auth0_edge::session::open(&header, "__session", &key, 1_800_000_000, &mut out)?;
/// assert_eq!(opened.session.internal.sid.unwrap(), "auth0-sid");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn generate_session_cookie<'b>(
    session_json: &str,
    key: &jwe::Key,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
    buf: &'b mut [u8],
) -> Result<&'b str, Error> {
    let mut opened = Session::parse(session_json)?;
    let internal = &mut opened.session.internal;
    if internal.created_at.is_none() && internal.sid.is_none() {
        internal.sid = Some("auth0-sid".into());
        internal.created_at = Some(now);
    }
    opened
        .session
        .seal(key, rng, now.saturating_add(GENERATED_COOKIE_LIFETIME), buf)
}
