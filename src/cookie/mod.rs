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

use crate::codec::buf::Writer;
use crate::codec::time::{HttpDate, UnixTime};
use crate::{CookieError, Error};
use core::fmt;

mod header;
mod set_cookie;
pub use header::*;
pub use set_cookie::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn show(c: &SetCookie<'_>) -> heapless::String<512> {
        let mut s = heapless::String::new();
        fmt::write(&mut s, format_args!("{c}")).unwrap();
        s
    }

    /// Found by the fuzz campaign (authorization_response): the copy of the SDK's cookies can
    /// be longer than the header it comes from (`;` separators become `"; "`), and
    /// `matching_len` says exactly how long.
    #[test]
    fn the_matching_copy_is_as_long_as_matching_len_says() {
        let keep = |n: &str| n.starts_with("__");
        for header in ["__a=1;__b=2;__c", "__x;y=1;__z=", "__s=v", "", "a=1"] {
            let len = matching_len(header, keep);
            let mut buf = [0u8; 64];
            let mut w = crate::codec::buf::Writer::new(&mut buf[..len], "cookies");
            write_matching(header, &mut w, keep).unwrap();
            assert_eq!(w.len(), len, "{header:?}");
        }
        let mut buf = [0u8; 64];
        let mut w = crate::codec::buf::Writer::new(&mut buf, "cookies");
        write_matching("__a=1;__b=2;__c=3", &mut w, keep).unwrap();
        assert_eq!(w.as_str(), "__a=1; __b=2; __c=3");
        assert!(w.len() > "__a=1;__b=2;__c=3".len());
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
