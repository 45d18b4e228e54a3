//! Cookies (RFC 6265): reading a `Cookie` header, writing `Set-Cookie` values the way
//! `@auth0/nextjs-auth0` v4 writes them, and chunking large values ([`chunk`]).
//!
//! - [`parse`] is lenient as RFC 6265 §5.4 asks of a server: pairs are split on `;`, blanks
//!   around names and values are trimmed, empty pairs and pairs without `=` are skipped, a
//!   quoted value loses its quotes. When a name repeats, lookups return the **last** one, as the
//!   SDK's cookie map does.
//! - [`SetCookie`] writes the attributes in the SDK's order (`Path`, `Expires`, `Max-Age`,
//!   `Domain`, `Secure`, `HttpOnly`, `SameSite`), percent-encodes the value as
//!   `encodeURIComponent` does, and writes deletions as an empty value with `Max-Age=0` and no
//!   `Expires`.

pub mod chunk;

use crate::buf::Writer;
use crate::time::{HttpDate, UnixTime};
use crate::{CookieError, Error};
use core::fmt;

/// One `name=value` pair of a `Cookie` header, as sent (the value is not percent-decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cookie<'a> {
    /// The cookie's name.
    pub name: &'a str,
    /// The cookie's value as sent; see [`Cookie::decode_into`].
    pub value: &'a str,
}

impl<'a> Cookie<'a> {
    /// Whether the value contains percent-escapes that [`Cookie::decode_into`] would decode.
    pub fn is_encoded(&self) -> bool {
        memchr::memchr(b'%', self.value.as_bytes()).is_some()
    }

    /// The value percent-decoded (as `decodeURIComponent` does) into `buf`.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "cookie value");
        percent_decode(self.value, &mut w)?;
        Ok(w.into_str())
    }
}

/// Appends the percent-decoding of `value` to `w`. Malformed escapes, or escapes that do not
/// decode to UTF-8, are [`CookieError::InvalidEncoding`].
pub(crate) fn percent_decode(value: &str, w: &mut Writer<'_>) -> Result<(), Error> {
    if memchr::memchr(b'%', value.as_bytes()).is_none() {
        return w.push_str(value);
    }
    let start = w.len();
    let b = value.as_bytes();
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        w.push_bytes_utf8(&b[run..i])?;
        let hex = |c: u8| (c as char).to_digit(16);
        let (Some(h), Some(l)) = (
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) else {
            return Err(CookieError::InvalidEncoding.into());
        };
        let byte = (h * 16 + l) as u8;
        // Bytes are checked to form UTF-8 once the whole value is decoded.
        match w.spare_mut().first_mut() {
            Some(slot) => *slot = byte,
            None => return Err(w.overflow()),
        }
        w.advance(1);
        i += 3;
        run = i;
    }
    w.push_bytes_utf8(&b[run..])?;
    if core::str::from_utf8(&w.as_bytes()[start..]).is_err() {
        return Err(CookieError::InvalidEncoding.into());
    }
    Ok(())
}

/// Iterates over the pairs of a `Cookie` header.
///
/// ```
/// let pairs: Vec<_> = auth0_edge::cookie::parse("a=1; b = \"2\" ;;junk; c=")
///     .map(|c| (c.name, c.value))
///     .collect();
/// assert_eq!(pairs, [("a", "1"), ("b", "2"), ("c", "")]);
/// ```
pub fn parse(header: &str) -> Cookies<'_> {
    Cookies { rest: header }
}

/// The value of the last cookie named `name` in `header`.
pub fn get<'a>(header: &'a str, name: &str) -> Option<Cookie<'a>> {
    parse(header).filter(|c| c.name == name).last()
}

/// The iterator returned by [`parse`].
#[derive(Clone, Debug)]
pub struct Cookies<'a> {
    rest: &'a str,
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

impl<'a> Iterator for Cookies<'a> {
    type Item = Cookie<'a>;

    fn next(&mut self) -> Option<Cookie<'a>> {
        while !self.rest.is_empty() {
            let (pair, rest) = match memchr::memchr(b';', self.rest.as_bytes()) {
                Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
                None => (self.rest, ""),
            };
            self.rest = rest;
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let name = trim(name);
            if name.is_empty() {
                continue;
            }
            let mut value = trim(value);
            if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                value = &value[1..value.len() - 1];
            }
            return Some(Cookie { name, value });
        }
        None
    }
}

/// Whether `name` is a valid cookie name (an RFC 9110 token).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

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

/// The attributes shared by the cookies of one kind (session, transaction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieOptions<'a> {
    /// `Path`, default `/`.
    pub path: &'a str,
    /// `Domain`, unset by default.
    pub domain: Option<&'a str>,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`; the SDK always sets it.
    pub http_only: bool,
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
            http_only: true,
            same_site: SameSite::Lax,
            transient: false,
        }
    }
}

/// A cookie name, possibly with a chunk suffix (`<base>__<index>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
            Some(i) => write!(f, "{}{}{}", self.base, chunk::SEPARATOR, i),
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
    crate::json::run_while(b, i, &URI_KEEP)
}

impl fmt::Display for UriComponent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        fn text(s: &[u8]) -> Result<&str, fmt::Error> {
            core::str::from_utf8(s).map_err(|_| fmt::Error)
        }
        if crate::base64url::is_compact_jose(self.0) {
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
        let o = self.options;
        match self.lifetime {
            Lifetime::Delete => write!(f, "{}=; Path={}", self.name, o.path)?,
            Lifetime::MaxAge { .. } => write!(
                f,
                "{}={}; Path={}",
                self.name,
                UriComponent(self.value),
                o.path
            )?,
        }
        match self.lifetime {
            Lifetime::MaxAge { max_age, now } if !o.transient => {
                if max_age > 0 {
                    write!(
                        f,
                        "; Expires={}",
                        HttpDate(now.saturating_add(max_age as i64))
                    )?;
                }
                write!(f, "; Max-Age={max_age}")?;
            }
            Lifetime::MaxAge { .. } => {}
            Lifetime::Delete => f.write_str("; Max-Age=0")?,
        }
        if let Some(d) = o.domain {
            write!(f, "; Domain={d}")?;
        }
        if o.secure {
            f.write_str("; Secure")?;
        }
        if o.http_only {
            f.write_str("; HttpOnly")?;
        }
        write!(f, "; SameSite={}", o.same_site.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(c: &SetCookie<'_>) -> heapless::String<512> {
        let mut s = heapless::String::new();
        fmt::write(&mut s, format_args!("{c}")).unwrap();
        s
    }

    #[test]
    fn parse_is_lenient() {
        let mut it = parse(" a=1;b=2 ; =x; noeq ;c=\"q\"; d==e;;\te\t=\t ");
        assert_eq!(
            it.next(),
            Some(Cookie {
                name: "a",
                value: "1"
            })
        );
        assert_eq!(
            it.next(),
            Some(Cookie {
                name: "b",
                value: "2"
            })
        );
        assert_eq!(
            it.next(),
            Some(Cookie {
                name: "c",
                value: "q"
            })
        );
        assert_eq!(
            it.next(),
            Some(Cookie {
                name: "d",
                value: "=e"
            })
        );
        assert_eq!(
            it.next(),
            Some(Cookie {
                name: "e",
                value: ""
            })
        );
        assert_eq!(it.next(), None);
        assert_eq!(get("x=1; x=2", "x").unwrap().value, "2");
        assert!(get("", "x").is_none());
    }

    #[test]
    fn percent_decoding() {
        let mut buf = [0u8; 32];
        let c = Cookie {
            name: "t",
            value: "1795819225%3AeyJ%C3%A9",
        };
        assert_eq!(c.decode_into(&mut buf).unwrap(), "1795819225:eyJé");
        for bad in ["%", "%4", "%zz", "%C3"] {
            let c = Cookie {
                name: "t",
                value: bad,
            };
            assert_eq!(
                c.decode_into(&mut buf),
                Err(CookieError::InvalidEncoding.into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn set_cookie_matches_the_sdk() {
        let opts = CookieOptions::default();
        let c = SetCookie {
            name: CookieName::plain("__session"),
            value: "abc",
            options: &opts,
            lifetime: Lifetime::MaxAge {
                max_age: 86400,
                now: 1_795_820_448,
            },
        };
        assert_eq!(
            show(&c),
            "__session=abc; Path=/; Expires=Sat, 28 Nov 2026 23:00:48 GMT; Max-Age=86400; HttpOnly; SameSite=lax"
        );
        let del = SetCookie {
            name: CookieName {
                base: "__session",
                chunk: Some(3),
            },
            lifetime: Lifetime::Delete,
            ..c
        };
        assert_eq!(
            show(&del),
            "__session__3=; Path=/; Max-Age=0; HttpOnly; SameSite=lax"
        );
        let all = CookieOptions {
            path: "/app",
            domain: Some("example.com"),
            secure: true,
            same_site: SameSite::None,
            ..opts
        };
        let c2 = SetCookie { options: &all, ..c };
        assert_eq!(
            show(&c2),
            "__session=abc; Path=/app; Expires=Sat, 28 Nov 2026 23:00:48 GMT; Max-Age=86400; Domain=example.com; Secure; HttpOnly; SameSite=none"
        );
        let transient = CookieOptions {
            transient: true,
            ..opts
        };
        let c3 = SetCookie {
            options: &transient,
            ..c
        };
        assert_eq!(show(&c3), "__session=abc; Path=/; HttpOnly; SameSite=lax");
        let mut small = [0u8; 10];
        assert!(c.write_into(&mut small).is_err());
    }

    #[test]
    fn uri_component_matches_encode_uri_component() {
        let all: heapless::String<512> = (1u8..128).map(char::from).chain("é€😀".chars()).collect();
        let mut out = heapless::String::<2048>::new();
        fmt::write(&mut out, format_args!("{}", UriComponent(&all))).unwrap();
        // encodeURIComponent of the same string, computed by Node.js.
        let expected = "%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13%14%15%16%17%18%19%1A%1B%1C%1D%1E%1F%20!%22%23%24%25%26'()*%2B%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F%40ABCDEFGHIJKLMNOPQRSTUVWXYZ%5B%5C%5D%5E_%60abcdefghijklmnopqrstuvwxyz%7B%7C%7D~%7F%C3%A9%E2%82%AC%F0%9F%98%80";
        assert_eq!(out, expected);
        // Long base64url runs go through the word-at-a-time path.
        let jwe = "eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0..abc_DEF-123.xyz";
        let mut out = heapless::String::<128>::new();
        fmt::write(&mut out, format_args!("{}", UriComponent(jwe))).unwrap();
        assert_eq!(out, jwe);
        let mut out = heapless::String::<128>::new();
        fmt::write(
            &mut out,
            format_args!("{}", UriComponent("abcdefgh:ijklmnop/")),
        )
        .unwrap();
        assert_eq!(out, "abcdefgh%3Aijklmnop%2F");
    }

    #[test]
    fn names() {
        assert!(is_valid_name("__session"));
        assert!(is_valid_name("__txn_abc-_"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name("a;b"));
        assert!(!is_valid_name(""));
    }
}
