//! Reading a `Cookie` header (RFC 6265 §5.4, leniently): pairs, lookups by name (the last
//! one wins), and percent-decoding of values.

use super::*;

/// One `name=value` pair of a `Cookie` header, as sent (the value is not percent-decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

/// The bytes the cookies of `header` that `keep` accepts take as a `Cookie` header.
pub fn matching_len(header: &str, keep: impl Fn(&str) -> bool) -> usize {
    parse(header)
        .filter(|c| keep(c.name))
        .map(|c| c.name.len() + 1 + c.value.len() + 2)
        .sum::<usize>()
        .saturating_sub(2)
}

/// Writes the cookies of `header` that `keep` accepts as a `Cookie` header of their own
/// (`name=value` joined with `"; "`, values as sent): to keep only them. (The flows need no
/// copy: they read the header where it is, each reader picking its cookies by name.)
///
/// ```
/// let mut buf = [0u8; 64];
/// let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "cookies");
/// auth0_edge::cookie::write_matching("ga=1; __session=abc; theme=dark; __txn_x=2", &mut w, |n| n.starts_with("__"))?;
/// assert_eq!(w.as_str(), "__session=abc; __txn_x=2");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn write_matching(
    header: &str,
    w: &mut Writer<'_>,
    keep: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    for (i, c) in parse(header).filter(|c| keep(c.name)).enumerate() {
        if i > 0 {
            w.push_str("; ")?;
        }
        w.push_str(c.name)?;
        w.push_ascii(b'=')?;
        w.push_str(c.value)?;
    }
    Ok(())
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
