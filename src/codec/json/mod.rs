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

use crate::codec::buf::Writer;
use crate::{Error, JsonError};
use core::fmt;

mod parse;
mod string;
mod value;
mod write;
pub(crate) use parse::*;
pub use string::*;
pub use value::*;
pub use write::*;

/// How deeply arrays and objects may nest before parsing stops with [`JsonError::TooDeep`].
pub const MAX_DEPTH: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_runs_stop_at_the_first_special_byte_wherever_it_is() {
        // Every special byte at every offset of a 100-byte run (across the 32-byte and 8-byte
        // steps and the tail), from several starts.
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..100 {
                let mut b = [b'a'; 100];
                b[at] = special;
                // Bytes beyond ASCII and just above the range are plain.
                b[(at + 7) % 100] = if (at + 7) % 100 == at { special } else { 0xC3 };
                b[(at + 13) % 100] = if (at + 13) % 100 == at { special } else { 0x20 };
                for start in [0, 1, 7, 31, 33] {
                    let want = if start <= at { at } else { 100 };
                    assert_eq!(
                        parse::plain_run(&b, start),
                        want,
                        "{special} at {at} from {start}"
                    );
                }
            }
        }
        assert_eq!(parse::plain_run(&[b'x'; 64], 0), 64);
        assert_eq!(parse::plain_run(b"", 0), 0);
    }

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
