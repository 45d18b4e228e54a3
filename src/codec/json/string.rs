//! JSON strings: [`JsonStr`] (text as written, escapes decoded on demand) and its characters.

use super::*;

/// A JSON string: either literal text or the escaped form found between quotes in a document.
///
/// Compare it with `==` against a `&str`, print it with `Display` (escapes decoded), borrow it
/// with [`JsonStr::as_str`] when it has no escapes, or decode it with [`JsonStr::unescape_into`].
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    pub(super) text: &'a str,
    pub(super) escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// A string with the given literal content.
    pub const fn new(s: &'a str) -> Self {
        JsonStr {
            text: s,
            escaped: false,
        }
    }

    /// The content as a `&str` when the text had no escape sequences (the usual case for
    /// tokens and most claims).
    pub fn as_str(&self) -> Option<&'a str> {
        (!self.escaped).then_some(self.text)
    }

    /// The content's characters, escapes decoded (a lone surrogate decodes to U+FFFD).
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            rest: self.text.as_bytes(),
            escaped: self.escaped,
        }
    }

    /// Whether the content is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The content's length in UTF-8 bytes after unescaping.
    pub fn len(&self) -> usize {
        if self.escaped {
            self.chars().map(char::len_utf8).sum()
        } else {
            self.text.len()
        }
    }

    /// Decodes the content into `buf`.
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let mut w = Writer::new(buf, "JSON string");
        if self.escaped {
            for c in self.chars() {
                let mut tmp = [0u8; 4];
                w.push_str(c.encode_utf8(&mut tmp))?;
            }
        } else {
            w.push_str(self.text)?;
        }
        Ok(w.into_str())
    }

    /// The content as a `&str`, borrowed when possible, else decoded into `scratch`.
    pub fn to_str_in<'s>(&self, scratch: &'s mut [u8]) -> Result<&'s str, Error>
    where
        'a: 's,
    {
        match self.as_str() {
            Some(s) => Ok(s),
            None => self.unescape_into(scratch),
        }
    }
}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        if !self.escaped {
            return self.text == other;
        }
        let mut it = other.chars();
        for c in self.chars() {
            if it.next() != Some(c) {
                return false;
            }
        }
        it.next().is_none()
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &JsonStr<'_>) -> bool {
        if !other.escaped {
            return *self == *other.text;
        }
        self.chars().eq(other.chars())
    }
}

impl Eq for JsonStr<'_> {}

impl Default for JsonStr<'_> {
    fn default() -> Self {
        JsonStr::new("")
    }
}

impl<'a> From<&'a str> for JsonStr<'a> {
    fn from(s: &'a str) -> Self {
        JsonStr::new(s)
    }
}

impl fmt::Display for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.escaped {
            return f.write_str(self.text);
        }
        for c in self.chars() {
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for JsonStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.chars() {
            for e in c.escape_debug() {
                fmt::Write::write_char(f, e)?;
            }
        }
        f.write_str("\"")
    }
}

/// The characters of a [`JsonStr`], escapes decoded.
#[derive(Clone)]
pub struct Chars<'a> {
    pub(super) rest: &'a [u8],
    pub(super) escaped: bool,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let (unit, n) = decode_unit(self.rest, self.escaped)?;
        self.rest = &self.rest[n..];
        match unit {
            Unit::Char(c) => Some(c),
            Unit::Surrogate(hi) if (0xD800..0xDC00).contains(&hi) => {
                if let Some((Unit::Surrogate(lo), m)) = decode_unit(self.rest, true)
                    && (0xDC00..0xE000).contains(&lo)
                {
                    self.rest = &self.rest[m..];
                    let c = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                    return Some(char::from_u32(c).unwrap_or('\u{FFFD}'));
                }
                Some('\u{FFFD}')
            }
            Unit::Surrogate(_) => Some('\u{FFFD}'),
        }
    }
}

pub(super) enum Unit {
    Char(char),
    Surrogate(u16),
}

/// Decodes one character or `\u` surrogate from the front of `s` (valid UTF-8, validated JSON
/// string content); returns it and the number of bytes it took.
pub(super) fn decode_unit(s: &[u8], escaped: bool) -> Option<(Unit, usize)> {
    let first = *s.first()?;
    if first == b'\\' && escaped {
        let c = match *s.get(1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let v = hex4(s.get(2..6)?)?;
                return Some(match char::from_u32(u32::from(v)) {
                    Some(c) => (Unit::Char(c), 6),
                    None => (Unit::Surrogate(v), 6),
                });
            }
            _ => return None,
        };
        return Some((Unit::Char(c), 2));
    }
    let n = match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    };
    let c = core::str::from_utf8(s.get(..n)?).ok()?.chars().next()?;
    Some((Unit::Char(c), n))
}

pub(super) fn hex4(h: &[u8]) -> Option<u16> {
    let mut v = 0u16;
    for &b in h {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u16::from(d);
    }
    Some(v)
}
