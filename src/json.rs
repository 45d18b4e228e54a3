//! JSON (RFC 8259) without allocation: checked views over text, and a writer.
//!
//! [`Value::parse`] and [`Object::parse`] validate the whole text once; the views they return
//! borrow it and hand out members, numbers and strings on demand. Strings stay as they appear
//! in the text ([`JsonStr`]) and are unescaped only when asked, so nothing is copied to read a
//! token or a claim.
//!
//! The writer functions emit what JavaScript's `JSON.stringify` emits for the same data, so a
//! document written here is byte-identical to the Next.js SDK's: `"`, `\` and control
//! characters are escaped (`\b \f \n \r \t`, else `\u00xx`), lone surrogates become `\udxxx`,
//! everything else (including `/` and non-ASCII) is written as is. Runs of characters that need
//! no escaping are copied in bulk.

use crate::buf::Writer;
use crate::{Error, JsonError};
use core::fmt;

/// How deeply arrays and objects may nest before parsing stops with [`JsonError::TooDeep`].
pub const MAX_DEPTH: usize = 32;

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

/// A JSON string: either literal text or the escaped form found between quotes in a document.
///
/// Compare it with `==` against a `&str`, print it with `Display` (escapes decoded), borrow it
/// with [`JsonStr::as_str`] when it has no escapes, or decode it with [`JsonStr::unescape_into`].
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    text: &'a str,
    escaped: bool,
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
    rest: &'a [u8],
    escaped: bool,
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

enum Unit {
    Char(char),
    Surrogate(u16),
}

/// Decodes one character or `\u` surrogate from the front of `s` (valid UTF-8, validated JSON
/// string content); returns it and the number of bytes it took.
fn decode_unit(s: &[u8], escaped: bool) -> Option<(Unit, usize)> {
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

fn hex4(h: &[u8]) -> Option<u16> {
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

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// A JSON value viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, as written.
    Number(Number<'a>),
    /// A string.
    String(JsonStr<'a>),
    /// An array.
    Array(Array<'a>),
    /// An object.
    Object(Object<'a>),
}

impl<'a> Value<'a> {
    /// Parses and validates `text` as one JSON value (surrounding whitespace allowed).
    pub fn parse(text: &'a str) -> Result<Value<'a>, JsonError> {
        let mut p = Parser::new(text);
        p.ws();
        let v = p.value(0)?;
        p.ws();
        if p.i != text.len() {
            return Err(JsonError::Syntax { offset: p.i });
        }
        Ok(v)
    }

    /// Like [`Value::parse`], for bytes that must first be checked to be UTF-8.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Value<'a>, JsonError> {
        Value::parse(core::str::from_utf8(bytes).map_err(|_| JsonError::Utf8)?)
    }

    /// The value's text as it appears in the document (`null`, `true`, … for literals; strings
    /// without their quotes are reached through [`Value::as_json_str`]).
    pub fn raw(&self) -> &'a str {
        match self {
            Value::Null => "null",
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            Value::Number(n) => n.0,
            Value::String(s) => s.text,
            Value::Array(a) => a.raw,
            Value::Object(o) => o.raw,
        }
    }

    /// The string, if this is one.
    pub fn as_json_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Value::String(s) => Some(*s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<Object<'a>> {
        match self {
            Value::Object(o) => Some(*o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<Array<'a>> {
        match self {
            Value::Array(a) => Some(*a),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Number<'a>> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// A JSON number, kept as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number<'a>(&'a str);

impl<'a> Number<'a> {
    /// The number as written in the document.
    pub fn as_text(&self) -> &'a str {
        self.0
    }

    /// The value if it is an integer written without fraction or exponent and fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as an `f64` (JavaScript's number type).
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse().ok()
    }

    /// The value rounded down to an integer, as `Math.floor` would, for numbers in `i64` range.
    pub fn floor_i64(&self) -> Option<i64> {
        if let Some(i) = self.as_i64() {
            return Some(i);
        }
        let f = self.as_f64()?;
        if !f.is_finite() || !(-9.2e18..=9.2e18).contains(&f) {
            return None;
        }
        let t = f as i64;
        Some(if (t as f64) > f { t - 1 } else { t })
    }
}

/// A JSON array viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Array<'a> {
    raw: &'a str,
}

impl<'a> Array<'a> {
    /// The array's text, brackets included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The elements in order.
    pub fn iter(&self) -> Elements<'a> {
        Elements {
            p: Parser::at(self.raw, 1),
            done: false,
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// The elements of an [`Array`].
pub struct Elements<'a> {
    p: Parser<'a>,
    done: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        if self.done {
            return None;
        }
        self.p.ws();
        match self.p.peek() {
            Some(b']') | None => {
                self.done = true;
                return None;
            }
            Some(b',') => {
                self.p.i += 1;
                self.p.ws();
            }
            _ => {}
        }
        match self.p.value(1) {
            Ok(v) => Some(v),
            Err(_) => {
                self.done = true;
                None
            }
        }
    }
}

/// A JSON object viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Object<'a> {
    raw: &'a str,
}

impl<'a> Object<'a> {
    /// The empty object `{}`.
    pub const EMPTY: Object<'static> = Object { raw: "{}" };

    /// Parses and validates `text` as a JSON object (surrounding whitespace allowed).
    pub fn parse(text: &'a str) -> Result<Object<'a>, JsonError> {
        match Value::parse(text)? {
            Value::Object(o) => Ok(o),
            _ => Err(JsonError::Syntax { offset: 0 }),
        }
    }

    /// Like [`Object::parse`], for bytes that must first be checked to be UTF-8.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<Object<'a>, JsonError> {
        Object::parse(core::str::from_utf8(bytes).map_err(|_| JsonError::Utf8)?)
    }

    /// A view of text that this crate validated before (a copy of an `Object`'s text), without
    /// validating it again. Text that is not a valid object gives wrong members, never a panic.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn assume_valid(raw: &'a str) -> Object<'a> {
        Object { raw }
    }

    /// Validates `text` as an object and hands each member to `f` as it is validated: one
    /// pass over the text where [`Object::parse`] followed by [`Object::members`] takes two.
    pub fn parse_each<E: From<JsonError>>(
        text: &'a str,
        mut f: impl FnMut(JsonStr<'a>, Value<'a>) -> Result<(), E>,
    ) -> Result<Object<'a>, E> {
        let mut p = Parser::new(text);
        p.ws();
        let start = p.i;
        p.expect(b'{')?;
        p.ws();
        if p.peek() == Some(b'}') {
            p.i += 1;
        } else {
            loop {
                p.ws();
                let k = p.string()?;
                p.ws();
                p.expect(b':')?;
                p.ws();
                let v = p.value(1)?;
                f(k, v)?;
                p.ws();
                match p.peek() {
                    Some(b',') => p.i += 1,
                    Some(b'}') => {
                        p.i += 1;
                        break;
                    }
                    _ => return Err(p.err().into()),
                }
            }
        }
        let raw = p.slice(start, p.i);
        p.ws();
        if p.i != text.len() {
            return Err(p.err().into());
        }
        Ok(Object { raw })
    }

    /// The object's text, braces included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// The members in document order.
    pub fn members(&self) -> Members<'a> {
        Members {
            p: Parser::at(self.raw, 1),
            done: false,
        }
    }

    /// Like [`Object::members`], told that `known` is one of the member values (the same text,
    /// as a view taken from this object hands out): iteration jumps over it instead of scanning
    /// it. A `known` that is not a member value of this object changes nothing.
    pub fn members_knowing(&self, known: &'a str) -> Members<'a> {
        let mut m = self.members();
        m.p.known = Some(known);
        m
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.members().next().is_none()
    }

    /// The value of member `key`; with duplicate keys the last wins, as in `JSON.parse`.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        let mut found = None;
        for (k, v) in self.members() {
            if k == *key {
                found = Some(v);
            }
        }
        found
    }

    /// Member `key` if it is a string.
    pub fn get_str(&self, key: &str) -> Option<JsonStr<'a>> {
        self.get(key)?.as_json_str()
    }

    /// Member `key` if it is an integer in `i64` range.
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key)?.as_number()?.as_i64()
    }

    /// Member `key` if it is an object.
    pub fn get_object(&self, key: &str) -> Option<Object<'a>> {
        self.get(key)?.as_object()
    }

    /// Member `key` if it is a boolean.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key)?.as_bool()
    }
}

/// The members of an [`Object`].
pub struct Members<'a> {
    p: Parser<'a>,
    done: bool,
}

impl<'a> Iterator for Members<'a> {
    type Item = (JsonStr<'a>, Value<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.member();
        if r.is_none() {
            self.done = true;
        }
        r
    }
}

impl<'a> Members<'a> {
    fn member(&mut self) -> Option<(JsonStr<'a>, Value<'a>)> {
        let p = &mut self.p;
        p.ws();
        match p.peek()? {
            b'}' => return None,
            b',' => {
                p.i += 1;
                p.ws();
            }
            _ => {}
        }
        let k = p.string().ok()?;
        p.ws();
        p.expect(b':').ok()?;
        p.ws();
        let v = p.value(1).ok()?;
        Some((k, v))
    }
}

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

/// Whether a byte may appear unescaped inside a JSON string and needs no escaping by
/// `JSON.stringify` either: anything but `"`, `\` and control characters.
const fn plain_table() -> [bool; 256] {
    let mut t = [true; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = false;
        i += 1;
    }
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t
}
static PLAIN: [bool; 256] = plain_table();

/// The index of the first byte at or after `i` in `b` for which `table` is false, or
/// `b.len()`. Checks eight bytes per step with no branch inside the step.
#[inline]
pub(crate) fn run_while(b: &[u8], mut i: usize, table: &[bool; 256]) -> usize {
    while let Some(w) = b.get(i..i + 8) {
        let all = table[usize::from(w[0])]
            & table[usize::from(w[1])]
            & table[usize::from(w[2])]
            & table[usize::from(w[3])]
            & table[usize::from(w[4])]
            & table[usize::from(w[5])]
            & table[usize::from(w[6])]
            & table[usize::from(w[7])];
        if !all {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if !table[usize::from(c)] {
            break;
        }
        i += 1;
    }
    i
}

/// The index of the first byte at or after `i` that is not plain (see [`plain_table`]), or
/// `b.len()`. Scans eight bytes at a time: session documents are mostly long strings.
#[inline]
fn plain_run(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A lane is special if it is `"`, `\` or below 0x20.
        let special =
            zero(w ^ (LO * 0x22)) | zero(w ^ (LO * 0x5C)) | (w.wrapping_sub(LO * 0x20) & !w & HI);
        if special != 0 {
            break;
        }
        i += 8;
    }
    run_while(b, i, &PLAIN)
}

/// Parses JSON text. A validating parser checks everything; a trusted one reads text that was
/// validated before (the inside of an [`Object`] or [`Array`]) and only finds where values end,
/// which is several times faster for the long strings of a session.
#[derive(Clone)]
struct Parser<'a> {
    text: &'a str,
    i: usize,
    trusted: bool,
    /// A value of the (trusted) text whose extent is already known; see
    /// [`Object::members_knowing`].
    known: Option<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text,
            i: 0,
            trusted: false,
            known: None,
        }
    }

    /// A trusted parser over validated text, starting at byte `i`.
    fn at(text: &'a str, i: usize) -> Self {
        Parser {
            text,
            i,
            trusted: true,
            known: None,
        }
    }

    /// The end of the string whose content starts at `i` (just past its closing quote), and
    /// whether it has escapes; for validated text.
    fn skip_string(b: &[u8], mut i: usize) -> (usize, bool) {
        let mut escaped = false;
        loop {
            i = b
                .get(i..)
                .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                .map_or(b.len(), |n| i + n);
            match b.get(i) {
                Some(b'"') => return (i + 1, escaped),
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                // A control character cannot be in validated text; stop rather than loop.
                Some(_) => i += 1,
                None => return (b.len(), escaped),
            }
        }
    }

    /// The end of the array or object starting at `i`, for validated text.
    fn skip_container(b: &[u8], mut i: usize) -> usize {
        let mut depth = 0usize;
        while let Some(&c) = b.get(i) {
            match c {
                b'"' => {
                    i = Self::skip_string(b, i + 1).0;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        b.len()
    }

    /// A value of validated text.
    fn trusted_value(&mut self) -> Result<Value<'a>, JsonError> {
        let b = self.text.as_bytes();
        let start = self.i;
        match b.get(start) {
            Some(b'{') => {
                // The same text at the same place is the same value: jump over it.
                self.i = match self.known {
                    Some(k)
                        if core::ptr::eq(k.as_ptr(), b[start..].as_ptr())
                            && start + k.len() <= b.len() =>
                    {
                        start + k.len()
                    }
                    _ => Self::skip_container(b, start),
                };
                Ok(Value::Object(Object {
                    raw: self.slice(start, self.i),
                }))
            }
            Some(b'[') => {
                self.i = Self::skip_container(b, start);
                Ok(Value::Array(Array {
                    raw: self.slice(start, self.i),
                }))
            }
            Some(b'"') => {
                let (end, escaped) = Self::skip_string(b, start + 1);
                self.i = end;
                Ok(Value::String(JsonStr {
                    text: self.slice(start + 1, end.saturating_sub(1).max(start + 1)),
                    escaped,
                }))
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => {
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = b.get(self.i) {
                    self.i += 1;
                }
                if self.i == start {
                    return Err(self.err());
                }
                Ok(Value::Number(Number(self.slice(start, self.i))))
            }
            None => Err(self.err()),
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn err(&self) -> JsonError {
        JsonError::Syntax { offset: self.i }
    }

    #[inline]
    fn ws(&mut self) {
        let b = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(self.i) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        if self.trusted {
            return self.trusted_value();
        }
        match self.peek() {
            Some(b'{') => self.object(depth).map(|raw| Value::Object(Object { raw })),
            Some(b'[') => self.array(depth).map(|raw| Value::Array(Array { raw })),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            _ => Err(self.err()),
        }
    }

    fn literal(&mut self, word: &str, v: Value<'a>) -> Result<Value<'a>, JsonError> {
        if self.text.as_bytes()[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err())
        }
    }

    fn digits(&mut self) -> usize {
        let b = self.text.as_bytes();
        let start = self.i;
        while let Some(b'0'..=b'9') = b.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Number<'a>, JsonError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err()),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        Ok(Number(self.slice(start, self.i)))
    }

    fn string(&mut self) -> Result<JsonStr<'a>, JsonError> {
        if self.trusted {
            return match self.trusted_value()? {
                Value::String(s) => Ok(s),
                _ => Err(self.err()),
            };
        }
        self.expect(b'"')?;
        let b = self.text.as_bytes();
        let start = self.i;
        let mut escaped = false;
        loop {
            self.i = plain_run(b, self.i);
            match b.get(self.i) {
                Some(b'"') => {
                    let text = self.slice(start, self.i);
                    self.i += 1;
                    return Ok(JsonStr { text, escaped });
                }
                Some(b'\\') => {
                    escaped = true;
                    match b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            match b.get(self.i + 2..self.i + 6) {
                                Some(h) if hex4(h).is_some() => {}
                                _ => return Err(JsonError::Syntax { offset: self.i }),
                            }
                            self.i += 6;
                        }
                        _ => return Err(JsonError::Syntax { offset: self.i }),
                    }
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<&'a str, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        let start = self.i;
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(self.slice(start, self.i));
        }
        loop {
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(self.slice(start, self.i));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<&'a str, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep);
        }
        let start = self.i;
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(self.slice(start, self.i));
        }
        loop {
            self.ws();
            self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            self.value(depth + 1)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(self.slice(start, self.i));
                }
                _ => return Err(self.err()),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Writes `s` as a quoted JSON string, escaped as `JSON.stringify` does.
pub fn write_str(w: &mut Writer<'_>, s: &str) -> Result<(), Error> {
    w.push_ascii(b'"')?;
    write_str_content(w, s)?;
    w.push_ascii(b'"')
}

fn write_str_content(w: &mut Writer<'_>, s: &str) -> Result<(), Error> {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        let i = plain_run(b, start);
        w.push_bytes_utf8(&b[start..i])?;
        let Some(&c) = b.get(i) else {
            return Ok(());
        };
        write_escape(w, u16::from(c))?;
        start = i + 1;
    }
}

fn write_escape(w: &mut Writer<'_>, unit: u16) -> Result<(), Error> {
    let short = match unit {
        0x22 => "\\\"",
        0x5C => "\\\\",
        0x08 => "\\b",
        0x0C => "\\f",
        0x0A => "\\n",
        0x0D => "\\r",
        0x09 => "\\t",
        _ => "",
    };
    if !short.is_empty() {
        return w.push_str(short);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    w.push_str("\\u")?;
    for shift in [12, 8, 4, 0] {
        w.push_ascii(HEX[usize::from((unit >> shift) & 0xF)])?;
    }
    Ok(())
}

/// Writes a [`JsonStr`] as a quoted JSON string in `JSON.stringify`'s form, whatever escapes
/// its source used.
pub fn write_json_str(w: &mut Writer<'_>, s: JsonStr<'_>) -> Result<(), Error> {
    if !s.escaped {
        return write_str(w, s.text);
    }
    w.push_ascii(b'"')?;
    let mut rest = s.text.as_bytes();
    loop {
        // Copy the run up to the next escape as is: it is valid, unescaped JSON text.
        let run = rest.iter().position(|&c| c == b'\\').unwrap_or(rest.len());
        w.push_bytes_utf8(&rest[..run])?;
        rest = &rest[run..];
        let Some((unit, n)) = decode_unit(rest, true) else {
            break;
        };
        rest = &rest[n..];
        match unit {
            Unit::Char(c) if (c as u32) < 0x20 || c == '"' || c == '\\' => {
                write_escape(w, c as u16)?
            }
            Unit::Char(c) => {
                let mut tmp = [0u8; 4];
                w.push_str(c.encode_utf8(&mut tmp))?;
            }
            Unit::Surrogate(hi) if (0xD800..0xDC00).contains(&hi) => {
                if let Some((Unit::Surrogate(lo), m)) = decode_unit(rest, true)
                    && (0xDC00..0xE000).contains(&lo)
                {
                    rest = &rest[m..];
                    let c = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                    let mut tmp = [0u8; 4];
                    w.push_str(
                        char::from_u32(c)
                            .unwrap_or('\u{FFFD}')
                            .encode_utf8(&mut tmp),
                    )?;
                } else {
                    write_escape(w, hi)?;
                }
            }
            Unit::Surrogate(lo) => write_escape(w, lo)?,
        }
    }
    w.push_ascii(b'"')
}

/// Writes `v` in `JSON.stringify`'s compact form: no whitespace, strings re-escaped, numbers
/// as written.
pub fn write_value(w: &mut Writer<'_>, v: Value<'_>) -> Result<(), Error> {
    match v {
        Value::String(s) => write_json_str(w, s),
        Value::Array(a) => {
            w.push_ascii(b'[')?;
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    w.push_ascii(b',')?;
                }
                write_value(w, e)?;
            }
            w.push_ascii(b']')
        }
        Value::Object(o) => {
            w.push_ascii(b'{')?;
            for (i, (k, e)) in o.members().enumerate() {
                if i > 0 {
                    w.push_ascii(b',')?;
                }
                write_json_str(w, k)?;
                w.push_ascii(b':')?;
                write_value(w, e)?;
            }
            w.push_ascii(b'}')
        }
        other => w.push_str(other.raw()),
    }
}

/// Writes a JSON object member by member, placing the commas.
///
/// ```
/// use auth0_edge::{buf::Writer, json::ObjectWriter};
/// let mut storage = [0u8; 64];
/// let mut w = Writer::new(&mut storage, "example");
/// let mut o = ObjectWriter::begin(&mut w)?;
/// o.str("sub", "user_123")?;
/// o.i64("exp", 1_900_000_000)?;
/// o.end()?;
/// assert_eq!(w.as_str(), r#"{"sub":"user_123","exp":1900000000}"#);
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub struct ObjectWriter<'w, 'b> {
    w: &'w mut Writer<'b>,
    first: bool,
}

impl<'w, 'b> ObjectWriter<'w, 'b> {
    /// Writes `{` and starts an object.
    pub fn begin(w: &'w mut Writer<'b>) -> Result<Self, Error> {
        w.push_ascii(b'{')?;
        Ok(ObjectWriter { w, first: true })
    }

    /// Writes the key of a member (and the comma before it) and returns the writer for its
    /// value, which the caller must then write.
    pub fn key(&mut self, key: &str) -> Result<&mut Writer<'b>, Error> {
        self.key_json(JsonStr::new(key))
    }

    /// Like [`ObjectWriter::key`] for a key read from a document.
    pub fn key_json(&mut self, key: JsonStr<'_>) -> Result<&mut Writer<'b>, Error> {
        if !self.first {
            self.w.push_ascii(b',')?;
        }
        self.first = false;
        write_json_str(self.w, key)?;
        self.w.push_ascii(b':')?;
        Ok(self.w)
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let w = self.key(key)?;
        write_str(w, value)
    }

    /// A string member whose value comes from a document.
    pub fn json_str(&mut self, key: &str, value: JsonStr<'_>) -> Result<(), Error> {
        let w = self.key(key)?;
        write_json_str(w, value)
    }

    /// An integer member.
    pub fn i64(&mut self, key: &str, value: i64) -> Result<(), Error> {
        let w = self.key(key)?;
        w.push_i64(value)
    }

    /// A boolean member.
    pub fn bool(&mut self, key: &str, value: bool) -> Result<(), Error> {
        let w = self.key(key)?;
        w.push_str(if value { "true" } else { "false" })
    }

    /// A member whose value is already JSON text, copied verbatim.
    pub fn raw(&mut self, key: &str, json: &str) -> Result<(), Error> {
        let w = self.key(key)?;
        w.push_str(json)
    }

    /// A member read from a document: the key re-escaped, strings normalised, other values
    /// copied verbatim.
    pub fn member(&mut self, key: JsonStr<'_>, value: Value<'_>) -> Result<(), Error> {
        let w = self.key_json(key)?;
        match value {
            Value::String(s) => write_json_str(w, s),
            other => w.push_str(other.raw()),
        }
    }

    /// Writes `}`.
    pub fn end(self) -> Result<(), Error> {
        self.w.push_ascii(b'}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stringify(s: &str) -> heapless::String<256> {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf, "t");
        write_str(&mut w, s).unwrap();
        heapless::String::try_from(w.as_str()).unwrap()
    }

    #[test]
    fn escapes_like_json_stringify() {
        assert_eq!(
            stringify("a\"b\\c\n\u{1}/é\u{2028}"),
            "\"a\\\"b\\\\c\\n\\u0001/é\u{2028}\""
        );
        assert_eq!(stringify("\u{8}\u{c}\r\t\u{1f}"), "\"\\b\\f\\r\\t\\u001f\"");
    }

    #[test]
    fn parses_and_views() {
        let o = Object::parse(
            r#" {"a": [1, -2.5e3, true, null], "b": {"c": "d\u00e9\n"}, "a2": "x"} "#,
        )
        .unwrap();
        let a = o.get("a").unwrap().as_array().unwrap();
        let items: heapless::Vec<Value<'_>, 8> = a.iter().collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_number().unwrap().as_i64(), Some(1));
        assert_eq!(items[1].as_number().unwrap().floor_i64(), Some(-2500));
        let c = o.get_object("b").unwrap().get_str("c").unwrap();
        assert_eq!(c, "dé\n");
        assert!(c.as_str().is_none());
        assert_eq!(c.len(), 4);
        let mut buf = [0u8; 8];
        assert_eq!(c.unescape_into(&mut buf).unwrap(), "dé\n");
        assert_eq!(o.get_str("a2").unwrap().as_str(), Some("x"));
        assert!(o.get("zz").is_none());
    }

    #[test]
    fn members_knowing_jumps_without_changing_results() {
        let text = r#"{"a":{"x":"}{\"","y":[1,{"z":2}]},"b":2,"c":{"k":1}}"#;
        let o = Object::parse(text).unwrap();
        let a = o.get_object("a").unwrap();
        let copy = heapless::String::<64>::try_from(a.raw()).unwrap();
        let plain: heapless::Vec<_, 4> = o.members().collect();
        let knowing: heapless::Vec<_, 4> = o.members_knowing(a.raw()).collect();
        let unrelated: heapless::Vec<_, 4> = o.members_knowing(copy.as_str()).collect();
        assert_eq!(plain, knowing);
        assert_eq!(plain, unrelated);
        assert_eq!(plain.len(), 3);
    }

    #[test]
    fn last_duplicate_wins() {
        let o = Object::parse(r#"{"k":1,"k":2}"#).unwrap();
        assert_eq!(o.get_i64("k"), Some(2));
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "1e",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\u{1}\"",
            "tru",
            "{} x",
            "{'a':1}",
            "[1 2]",
            "nul",
        ] {
            assert!(Value::parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(Value::parse(&deep), Err(JsonError::TooDeep));
        assert_eq!(Value::parse_bytes(b"\"\xff\""), Err(JsonError::Utf8));
    }

    #[test]
    fn surrogates() {
        let v = Value::parse(r#""\ud83d\ude80 \ud800x \udc00""#).unwrap();
        let s = v.as_json_str().unwrap();
        assert_eq!(s, "🚀 \u{FFFD}x \u{FFFD}");
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf, "t");
        write_json_str(&mut w, s).unwrap();
        assert_eq!(w.as_str(), r#""🚀 \ud800x \udc00""#);
    }

    #[test]
    fn write_value_normalises() {
        let v = Value::parse(r#"{ "a" : [ 1 , "\/x\u00e9" ] , "b":{ } }"#).unwrap();
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf, "t");
        write_value(&mut w, v).unwrap();
        assert_eq!(w.as_str(), r#"{"a":[1,"/xé"],"b":{}}"#);
    }

    #[test]
    fn writer_overflow_is_an_error() {
        let mut buf = [0u8; 4];
        let mut w = Writer::new(&mut buf, "t");
        assert!(matches!(
            write_str(&mut w, "hello"),
            Err(Error::BufferTooSmall { .. })
        ));
    }
}
