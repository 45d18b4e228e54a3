//! `application/x-www-form-urlencoded` writing and reading, with the WHATWG `URLSearchParams`
//! rules that the Next.js SDK's requests use: [`push_form`] and [`FormWriter`] encode,
//! [`query_get`], [`query_pairs`] and [`decode_component`] read.

use crate::Error;
use crate::codec::buf::Writer;

/// Whether `URLSearchParams` leaves a byte as is.
fn form_keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

pub(crate) const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// The length of `s` form-encoded by [`push_form`], exactly.
pub(crate) fn form_len(s: &str) -> usize {
    s.bytes()
        .map(|b| if form_keep(b) || b == b' ' { 1 } else { 3 })
        .sum()
}

/// Appends one byte form-encoded.
fn push_form_byte(w: &mut Writer<'_>, b: u8) -> Result<(), Error> {
    if form_keep(b) {
        w.push_ascii(b)
    } else if b == b' ' {
        w.push_ascii(b'+')
    } else {
        w.push_ascii(b'%')?;
        w.push_ascii(HEX[usize::from(b >> 4)])?;
        w.push_ascii(HEX[usize::from(b & 15)])
    }
}

/// Appends `s` form-encoded (spaces as `+`).
pub fn push_form(w: &mut Writer<'_>, s: &str) -> Result<(), Error> {
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if form_keep(c) {
            continue;
        }
        w.push_bytes_utf8(&b[start..i])?;
        push_form_byte(w, c)?;
        start = i + 1;
    }
    w.push_bytes_utf8(&b[start..])
}

/// Appends a raw query component (as received) decoded and form-encoded again, so that it is
/// written exactly as `URLSearchParams` would write the decoded value.
pub fn push_form_from_raw(w: &mut Writer<'_>, raw: &str) -> Result<(), Error> {
    for b in Decoded::new(raw) {
        push_form_byte(w, b)?;
    }
    Ok(())
}

/// Writes `name=value&…` pairs, form-encoded, placing the separators.
///
/// ```
/// use auth0_edge::codec::form::FormWriter;
/// use auth0_edge::codec::buf::Writer;
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(&mut buf, "example");
/// let mut f = FormWriter::new(&mut w, '\0');
/// f.pair("scope", "openid profile")?;
/// f.pair("redirect_uri", "https://app/cb")?;
/// assert_eq!(w.as_str(), "scope=openid+profile&redirect_uri=https%3A%2F%2Fapp%2Fcb");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub struct FormWriter<'w, 'b> {
    w: &'w mut Writer<'b>,
    first: bool,
    first_sep: char,
}

impl<'w, 'b> FormWriter<'w, 'b> {
    /// Starts writing pairs; `first_sep` goes before the first pair (`'?'` after a URL path,
    /// `'&'` to append to an existing query, or `'\0'` for none).
    pub fn new(w: &'w mut Writer<'b>, first_sep: char) -> Self {
        FormWriter {
            w,
            first: true,
            first_sep,
        }
    }

    fn sep(&mut self) -> Result<(), Error> {
        if self.first {
            self.first = false;
            if self.first_sep != '\0' {
                let mut tmp = [0u8; 4];
                self.w.push_str(self.first_sep.encode_utf8(&mut tmp))?;
            }
            Ok(())
        } else {
            self.w.push_ascii(b'&')
        }
    }

    /// Appends `name=value`.
    pub fn pair(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.sep()?;
        push_form(self.w, name)?;
        self.w.push_ascii(b'=')?;
        push_form(self.w, value)
    }

    /// Appends `name=value` where both come raw from a received query.
    pub fn pair_raw(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.sep()?;
        push_form_from_raw(self.w, name)?;
        self.w.push_ascii(b'=')?;
        push_form_from_raw(self.w, value)
    }

    /// Appends `name=` followed by a value the caller writes into the returned writer (already
    /// encoded as needed).
    pub fn pair_with(&mut self, name: &str) -> Result<&mut Writer<'b>, Error> {
        self.sep()?;
        push_form(self.w, name)?;
        self.w.push_ascii(b'=')?;
        Ok(self.w)
    }
}

/// The bytes of a raw query component, `+` and `%XX` decoded (a malformed escape is kept as
/// is, as `URLSearchParams` does).
#[derive(Clone)]
pub struct Decoded<'a> {
    rest: &'a [u8],
}

impl<'a> Decoded<'a> {
    /// Decodes `raw`.
    pub fn new(raw: &'a str) -> Self {
        Decoded {
            rest: raw.as_bytes(),
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        match b {
            b'+' => Some(b' '),
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                if let [h, l, tail @ ..] = self.rest
                    && let (Some(h), Some(l)) = (hex(*h), hex(*l))
                {
                    self.rest = tail;
                    return Some((h * 16 + l) as u8);
                }
                Some(b'%')
            }
            b => Some(b),
        }
    }
}

/// Whether the raw query component decodes to exactly `s`.
pub fn component_eq(raw: &str, s: &str) -> bool {
    Decoded::new(raw).eq(s.bytes())
}

/// Decodes a raw query component into `buf`. Bytes that are not UTF-8 become U+FFFD, as in
/// `URLSearchParams` (each maximal invalid sequence once); a value that does not fit `buf`,
/// replacements included, is [`Error::BufferTooSmall`], never a truncation.
pub fn decode_component<'b>(raw: &str, buf: &'b mut [u8]) -> Result<&'b str, Error> {
    let capacity = buf.len();
    let too_small = Error::BufferTooSmall {
        what: "query value",
        capacity,
    };
    let mut n = 0;
    for b in Decoded::new(raw) {
        *buf.get_mut(n).ok_or(too_small)? = b;
        n += 1;
    }
    if core::str::from_utf8(&buf[..n]).is_ok() {
        return Ok(core::str::from_utf8(&buf[..n]).unwrap_or(""));
    }
    // Rare: replace the invalid sequences in place. The output length first, then the decoded
    // bytes move to the end of the buffer and are rewritten from the front; the write position
    // never passes the read position, since the output is never shorter than what it replaces.
    let replaced: usize = buf[..n]
        .utf8_chunks()
        .map(|c| c.valid().len() + if c.invalid().is_empty() { 0 } else { 3 })
        .sum();
    if replaced > capacity {
        return Err(too_small);
    }
    let mut r = capacity - n;
    buf.copy_within(..n, r);
    let mut w = 0;
    while r < capacity {
        match core::str::from_utf8(&buf[r..]) {
            Ok(rest) => {
                let k = rest.len();
                buf.copy_within(r..capacity, w);
                w += k;
                break;
            }
            Err(e) => {
                let k = e.valid_up_to();
                buf.copy_within(r..r + k, w);
                w += k;
                r += k + e.error_len().unwrap_or(capacity - r - k);
                buf[w..w + 3].copy_from_slice("\u{FFFD}".as_bytes());
                w += 3;
            }
        }
    }
    core::str::from_utf8(&buf[..w]).map_err(|_| too_small)
}

/// Iterates over the raw `name=value` pairs of a query string (no decoding; empty pairs
/// skipped; a pair without `=` has an empty value).
///
/// ```
/// let pairs: Vec<_> = auth0_edge::codec::form::query_pairs("a=1&&b&c=x%20y").collect();
/// assert_eq!(pairs, [("a", "1"), ("b", ""), ("c", "x%20y")]);
/// ```
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> + '_ {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The raw value of the last pair named `name` in a query string.
pub fn query_get<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query_pairs(query)
        .filter(|(k, _)| component_eq(k, name))
        .map(|(_, v)| v)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_like_url_search_params() {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf, "t");
        push_form(&mut w, "a b&c=d/é*~").unwrap();
        assert_eq!(w.as_str(), "a+b%26c%3Dd%2F%C3%A9*%7E");
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf, "t");
        push_form_from_raw(&mut w, "a%20b+c%2x%E2%82%AC").unwrap();
        assert_eq!(w.as_str(), "a+b+c%252x%E2%82%AC");
        assert!(component_eq("re%74urnTo", "returnTo"));
        assert_eq!(query_get("a=1&b=2&a=3", "a"), Some("3"));
        let mut d = [0u8; 16];
        assert_eq!(decode_component("x%E2%82%ACy+z", &mut d).unwrap(), "x€y z");
        assert_eq!(decode_component("%FF", &mut d).unwrap(), "\u{FFFD}");
    }

    #[test]
    fn invalid_utf8_of_any_length_is_replaced_not_truncated() {
        // 600 invalid bytes become 600 replacement characters (1,800 bytes), and valid text
        // around them is kept: nothing is cut at any internal size.
        let raw = format!("a{}%E2%82%ACz", "%FF".repeat(600));
        let mut buf = [0u8; 4096];
        let s = decode_component(&raw, &mut buf).unwrap();
        assert_eq!(s.len(), 1 + 600 * 3 + 3 + 1);
        assert!(s.starts_with("a\u{FFFD}") && s.ends_with("\u{FFFD}€z"));
        assert_eq!(s.matches('\u{FFFD}').count(), 600);
        // A truncated sequence at the end, and a buffer too small for the replacements.
        assert_eq!(decode_component("x%E2%82", &mut buf).unwrap(), "x\u{FFFD}");
        let mut small = [0u8; 900];
        assert!(decode_component(&"%FF".repeat(600), &mut small).is_err());
    }
}
