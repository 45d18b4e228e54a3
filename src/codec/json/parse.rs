//! The parser: a validating pass over untrusted text, and a fast trusted pass over text validated before.

use super::*;

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
/// `b.len()`. Session documents are mostly long strings (tokens), so it checks 32 bytes per
/// step where the target has vector registers, then eight bytes per step in a word, then one.
#[inline]
pub(super) fn plain_run(b: &[u8], mut i: usize) -> usize {
    // Only where there are vector registers: on a microcontroller the word loop is faster.
    #[cfg(any(
        target_feature = "sse2",
        target_feature = "neon",
        target_feature = "simd128"
    ))]
    while let Some(chunk) = b.get(i..).and_then(<[u8]>::first_chunk::<32>) {
        if has_special(chunk) {
            break;
        }
        i += 32;
    }
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

/// Whether any of 32 bytes is `"`, `\` or below 0x20. Written as a byte mask folded into two
/// words, the form the compiler turns into a few vector compares and one test (a fold of
/// booleans is widened lane by lane instead).
#[cfg(any(
    target_feature = "sse2",
    target_feature = "neon",
    target_feature = "simd128"
))]
#[inline]
fn has_special(chunk: &[u8; 32]) -> bool {
    let mut mask = [0u8; 32];
    for (m, &c) in mask.iter_mut().zip(chunk) {
        *m = u8::from((c == b'"') | (c == b'\\') | (c < 0x20));
    }
    let (lo, hi) = mask.split_at(16);
    let word = |h: &[u8]| h.try_into().map_or(1, u128::from_le_bytes);
    word(lo) | word(hi) != 0
}

/// Parses JSON text. A validating parser checks everything; a trusted one reads text that was
/// validated before (the inside of an [`Object`] or [`Array`]) and only finds where values end,
/// which is several times faster for the long strings of a session.
#[derive(Clone)]
pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) i: usize,
    pub(super) trusted: bool,
    /// A value of the (trusted) text whose extent is already known; see
    /// [`Object::members_knowing`].
    pub(super) known: Option<&'a str>,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Parser {
            text,
            i: 0,
            trusted: false,
            known: None,
        }
    }

    /// A trusted parser over validated text, starting at byte `i`.
    pub(super) fn at(text: &'a str, i: usize) -> Self {
        Parser {
            text,
            i,
            trusted: true,
            known: None,
        }
    }

    /// The end of the string whose content starts at `i` (just past its closing quote), and
    /// whether it has escapes; for validated text.
    pub(super) fn skip_string(b: &[u8], mut i: usize) -> (usize, bool) {
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
    pub(super) fn skip_container(b: &[u8], mut i: usize) -> usize {
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
    pub(super) fn trusted_value(&mut self) -> Result<Value<'a>, JsonError> {
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
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    pub(super) fn err(&self) -> JsonError {
        JsonError::Syntax { offset: self.i }
    }

    #[inline]
    pub(super) fn ws(&mut self) {
        let b = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(self.i) {
            self.i += 1;
        }
    }

    pub(super) fn expect(&mut self, c: u8) -> Result<(), JsonError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    pub(super) fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    pub(super) fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
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

    pub(super) fn literal(&mut self, word: &str, v: Value<'a>) -> Result<Value<'a>, JsonError> {
        if self.text.as_bytes()[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err())
        }
    }

    pub(super) fn digits(&mut self) -> usize {
        let b = self.text.as_bytes();
        let start = self.i;
        while let Some(b'0'..=b'9') = b.get(self.i) {
            self.i += 1;
        }
        self.i - start
    }

    pub(super) fn number(&mut self) -> Result<Number<'a>, JsonError> {
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

    pub(super) fn string(&mut self) -> Result<JsonStr<'a>, JsonError> {
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

    pub(super) fn array(&mut self, depth: usize) -> Result<&'a str, JsonError> {
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

    pub(super) fn object(&mut self, depth: usize) -> Result<&'a str, JsonError> {
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
