//! Views of validated JSON in place: [`Value`], [`Number`], [`Array`], [`Object`] and their iterators.

use super::*;

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
pub struct Number<'a>(pub(super) &'a str);

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
    pub(super) raw: &'a str,
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
    pub(super) p: Parser<'a>,
    pub(super) done: bool,
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
    pub(super) raw: &'a str,
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
    pub(super) p: Parser<'a>,
    pub(super) done: bool,
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
