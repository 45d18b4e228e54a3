//! Writing `Set-Cookie` values the way the SDK writes them: attributes in its order, values
//! percent-encoded as `encodeURIComponent` does, deletions as `Max-Age=0`.

use super::*;

/// The `SameSite` attribute, written in lower case as the SDK writes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SameSite {
    /// `SameSite=lax`, the default.
    #[default]
    Lax,
    /// `SameSite=strict`.
    Strict,
    /// `SameSite=none` (requires `Secure` in browsers).
    None,
}

impl SameSite {
    /// Parses `lax`, `strict` or `none`, in any case.
    pub fn parse(s: &str) -> Option<SameSite> {
        if s.eq_ignore_ascii_case("lax") {
            Some(SameSite::Lax)
        } else if s.eq_ignore_ascii_case("strict") {
            Some(SameSite::Strict)
        } else if s.eq_ignore_ascii_case("none") {
            Some(SameSite::None)
        } else {
            None
        }
    }

    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Lax => "lax",
            SameSite::Strict => "strict",
            SameSite::None => "none",
        }
    }
}

/// The attributes shared by the cookies of one kind (session, transaction). `HttpOnly` is
/// not among them: it is always set, as the SDK requires (no script may read a session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct CookieOptions<'a> {
    /// `Path`, default `/`.
    pub path: &'a str,
    /// `Domain`, unset by default.
    pub domain: Option<&'a str>,
    /// `Secure`.
    pub secure: bool,
    /// `SameSite`, default `lax`.
    pub same_site: SameSite,
    /// Whether the cookie is transient (no `Max-Age`/`Expires`: it ends with the browser).
    pub transient: bool,
}

impl Default for CookieOptions<'_> {
    fn default() -> Self {
        CookieOptions {
            path: "/",
            domain: None,
            secure: false,
            same_site: SameSite::Lax,
            transient: false,
        }
    }
}

/// A cookie name, possibly with a chunk suffix (`<base>__<index>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CookieName<'a> {
    /// The base name.
    pub base: &'a str,
    /// The chunk index, for `<base>__<index>`.
    pub chunk: Option<usize>,
}

impl<'a> CookieName<'a> {
    /// The plain name `base`.
    pub const fn plain(base: &'a str) -> Self {
        CookieName { base, chunk: None }
    }
}

impl fmt::Display for CookieName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.chunk {
            None => f.write_str(self.base),
            Some(i) => {
                f.write_str(self.base)?;
                f.write_str(chunk::SEPARATOR)?;
                let mut digits = [0u8; 20];
                f.write_str(crate::codec::buf::decimal(i as u64, &mut digits))
            }
        }
    }
}

/// How long a written cookie lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lifetime {
    /// `Max-Age=<max_age>` and `Expires=<now + max_age>` (both omitted for transient options,
    /// `Expires` omitted when `max_age` is 0).
    MaxAge {
        /// Seconds the cookie lives.
        max_age: u64,
        /// The current time, for `Expires`.
        now: UnixTime,
    },
    /// A deletion: empty value, `Max-Age=0`, no `Expires`.
    Delete,
}

/// One `Set-Cookie` header value; write it with `Display` or [`SetCookie::write_into`].
///
/// ```
/// use auth0_edge::cookie::{CookieName, CookieOptions, Lifetime, SetCookie};
/// let opts = CookieOptions { secure: true, ..CookieOptions::default() };
/// let c = SetCookie {
///     name: CookieName::plain("__txn_abc"),
///     value: "1795819225:eyJ",
///     options: &opts,
///     lifetime: Lifetime::MaxAge { max_age: 3600, now: 1_795_819_225 },
/// };
/// assert_eq!(
///     c.to_string(),
///     "__txn_abc=1795819225%3AeyJ; Path=/; Expires=Fri, 27 Nov 2026 23:40:25 GMT; Max-Age=3600; Secure; HttpOnly; SameSite=lax"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal
pub struct SetCookie<'a> {
    /// The name.
    pub name: CookieName<'a>,
    /// The value, not yet encoded (ignored for deletions).
    pub value: &'a str,
    /// The attributes.
    pub options: &'a CookieOptions<'a>,
    /// Its lifetime, or deletion.
    pub lifetime: Lifetime,
}

impl SetCookie<'_> {
    /// Writes the header value into `buf`.
    pub fn write_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "Set-Cookie");
        fmt::write(&mut w, format_args!("{self}")).map_err(|_| w.overflow())?;
        Ok(w.into_str())
    }

    /// Whether this is a deletion.
    pub fn is_deletion(&self) -> bool {
        self.lifetime == Lifetime::Delete
    }
}

/// Writes `value` percent-encoded as `encodeURIComponent` does.
pub(crate) struct UriComponent<'a>(pub &'a str);

/// Bytes `encodeURIComponent` leaves alone.
const URI_KEEP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
            );
        c += 1;
    }
    t
};

/// The index of the first byte at or after `i` that `encodeURIComponent` would escape, or
/// `b.len()`.
fn uri_keep_run(b: &[u8], i: usize) -> usize {
    crate::codec::json::run_while(b, i, &URI_KEEP)
}

impl fmt::Display for UriComponent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        fn text(s: &[u8]) -> Result<&str, fmt::Error> {
            core::str::from_utf8(s).map_err(|_| fmt::Error)
        }
        if crate::codec::base64url::is_compact_jose(self.0) {
            return f.write_str(self.0);
        }
        let b = self.0.as_bytes();
        let mut start = 0;
        loop {
            // Kept runs are ASCII, so every slice written is valid UTF-8.
            let i = uri_keep_run(b, start);
            f.write_str(text(&b[start..i])?)?;
            let Some(&c) = b.get(i) else {
                return Ok(());
            };
            let esc = [b'%', HEX[usize::from(c >> 4)], HEX[usize::from(c & 15)]];
            f.write_str(text(&esc)?)?;
            start = i + 1;
        }
    }
}

impl fmt::Display for SetCookie<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name, f)?;
        f.write_str("=")?;
        if let Lifetime::MaxAge { .. } = self.lifetime {
            fmt::Display::fmt(&UriComponent(self.value), f)?;
        }
        fmt::Display::fmt(&self.attributes(), f)
    }
}

impl<'a> SetCookie<'a> {
    /// What follows the value in the header (`; Path=/; …`): for a writer that places the
    /// value itself ([`crate::http::ResponseBuilder`]'s lines over a sealed value).
    pub(crate) fn attributes(&self) -> Attributes<'_> {
        Attributes(self)
    }
}

/// The attributes of a [`SetCookie`], everything after its value.
pub(crate) struct Attributes<'a>(&'a SetCookie<'a>);

impl fmt::Display for Attributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Piece by piece with `write_str` (every session write formats these): no formatting
        // machinery per attribute.
        let c = self.0;
        let o = c.options;
        f.write_str("; Path=")?;
        f.write_str(o.path)?;
        match c.lifetime {
            Lifetime::MaxAge { max_age, now } if !o.transient => {
                if max_age > 0 {
                    f.write_str("; Expires=")?;
                    let at = now.saturating_add(i64::try_from(max_age).unwrap_or(i64::MAX));
                    fmt::Display::fmt(&HttpDate(at), f)?;
                }
                f.write_str("; Max-Age=")?;
                let mut digits = [0u8; 20];
                f.write_str(crate::codec::buf::decimal(max_age, &mut digits))?;
            }
            Lifetime::MaxAge { .. } => {}
            Lifetime::Delete => f.write_str("; Max-Age=0")?,
        }
        if let Some(d) = o.domain {
            f.write_str("; Domain=")?;
            f.write_str(d)?;
        }
        if o.secure {
            f.write_str("; Secure")?;
        }
        f.write_str("; HttpOnly; SameSite=")?;
        f.write_str(o.same_site.as_str())
    }
}
