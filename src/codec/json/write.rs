//! Writing JSON as `JSON.stringify` does: strings, values, and objects member by member.

use super::*;

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
/// use auth0_edge::codec::buf::Writer;
/// use auth0_edge::codec::json::ObjectWriter;
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
