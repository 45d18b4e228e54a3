//! The session document of `@auth0/nextjs-auth0` v4 and its sealed cookie(s).
//!
//! A [`Session`] is a view over the decrypted JSON, with no copies: `user` stays the raw claims
//! object (read claims with [`Object::get_str`] and friends), token strings are [`JsonStr`]s.
//! Written back, a session keeps every member it was read with, in its place: known members
//! take their (possibly changed) typed values, unknown members are copied, members the SDK
//! would add go in the SDK's order, and `exp` comes last. A session read from a Next.js cookie
//! and sealed again therefore has the same plaintext, byte for byte.
//!
//! ```text
//! {"user":{…},"tokenSet":{"accessToken":…,"idToken":…,"scope":…,"requestedScope":…,
//!  "audience":…,"refreshToken":…,"expiresAt":N,"token_type":…},"accessTokens":[…],
//!  "internal":{"sid":…,"createdAt":N,"sessionExpiresAt":N},<extra keys>,"exp":N}
//! ```

use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object, ObjectWriter, Value};
use crate::codec::time::UnixTime;
use crate::cookie::chunk::{self, ChunkedWrite};
use crate::cookie::{self, CookieName, CookieOptions, Lifetime, SetCookie};
use crate::jose::jwe;
use crate::{Error, JsonError, JweError, SessionError};
use rand_core::CryptoRngCore;

mod document;
mod expiry;
mod mrrt;
mod sealing;
mod stateful;
pub use document::*;
pub use expiry::*;
pub use mrrt::*;
pub use sealing::*;
pub use stateful::*;

/// The session cookie's default name.
pub const DEFAULT_COOKIE_NAME: &str = "__session";
/// The v3 cookie name, whose cookies are deleted whenever a v4 session is written.
pub const LEGACY_COOKIE_NAME: &str = "appSession";
/// The most `accessTokens` entries a session can hold in this build.
pub const MAX_ACCESS_TOKENS: usize = 8;
/// The most connection token sets (`connectionTokenSets`, one per connection and login hint)
/// a session holds.
pub const MAX_CONNECTION_TOKENS: usize = 8;
/// Reads treat a session as gone this many seconds before `internal.sessionExpiresAt`.
pub const SESSION_EXPIRY_MARGIN: i64 = 30;
/// A buffer size that opens or seals any session of up to about 6 KB of JSON.
pub const DEFAULT_BUFFER_LEN: usize = 16 * 1024;
/// The largest sealed session written to cookies: 10 chunks. Browsers keep more, but the
/// request headers of a larger session exceed what common servers and proxies accept (8-16 KB);
/// a larger session is [`SessionError::TooLarge`]: use a session store.
pub const MAX_COOKIE_SESSION_LEN: usize = 10 * crate::cookie::chunk::MAX_CHUNK_SIZE;

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;
    use std::vec::Vec;

    const DOC: &str = r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"at","x":[1],"expiresAt":1.9e9},"extra":true,"internal":{"sid":"s","createdAt":100,"mcd":{"domain":"d"}},"exp":5}"#;

    #[test]
    fn parse_and_write_keep_unknown_members_in_place() {
        let opened = Session::parse(DOC).unwrap();
        let s = &opened.session;
        assert_eq!(opened.exp, Some(5));
        assert_eq!(s.user.get_str("name").unwrap(), "Né");
        assert_eq!(s.token_set.access_token.unwrap(), "at");
        assert_eq!(s.token_set.expires_at, Some(1_900_000_000));
        assert_eq!(s.internal.created_at, Some(100));
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, Some(7)).unwrap(),
            r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"at","x":[1],"expiresAt":1900000000},"extra":true,"internal":{"sid":"s","createdAt":100,"mcd":{"domain":"d"}},"exp":7}"#
        );
    }

    #[test]
    fn a_roll_rewrites_only_the_exp_of_a_payload_written_as_the_core_writes_it() {
        let mut scratch = [0u8; 512];
        // `1.9e9` is written as `1900000000`: not the core's text, so no shortcut.
        let opened = Session::parse(DOC).unwrap();
        assert_eq!(
            opened.session.cookie_json_exp_at(DOC, 5, &mut scratch),
            None
        );
        let mut buf = [0u8; 512];
        let written = opened
            .session
            .to_json(&mut buf, Some(1_764_000_000))
            .unwrap();
        let again = Session::parse(written).unwrap();
        let at = again
            .session
            .cookie_json_exp_at(written, 1_764_000_000, &mut scratch)
            .unwrap();
        assert_eq!(&written[at..], "1764000000}");
        assert!(written[..at].ends_with(r#","exp":"#));
        // Another `exp` than the text's, or too little room: no shortcut.
        assert_eq!(
            again
                .session
                .cookie_json_exp_at(written, 1_764_000_001, &mut scratch),
            None
        );
        assert_eq!(
            again
                .session
                .cookie_json_exp_at(written, 1_764_000_000, &mut scratch[..64]),
            None
        );
    }

    #[test]
    fn changed_and_new_members() {
        let mut opened = Session::parse(DOC).unwrap();
        let s = &mut opened.session;
        s.token_set.access_token = Some("new".into());
        s.token_set.refresh_token = Some("rt".into());
        s.token_set.token_type = Some("bearer".into());
        s.internal.sid = None;
        s.access_tokens
            .push(AccessToken {
                access_token: Some("a2".into()),
                expires_at: Some(9),
                audience: Some("https://api".into()),
                ..AccessToken::default()
            })
            .unwrap();
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, None).unwrap(),
            r#"{"user":{"sub":"u","name":"N\u00e9"},"tokenSet":{"accessToken":"new","x":[1],"expiresAt":1900000000,"refreshToken":"rt","token_type":"bearer"},"extra":true,"internal":{"createdAt":100,"mcd":{"domain":"d"}},"accessTokens":[{"accessToken":"a2","expiresAt":9,"audience":"https://api"}]}"#
        );
    }

    #[test]
    fn fresh_session_in_sdk_order() {
        let user = Object::parse(r#"{"sub":"u"}"#).unwrap();
        let ts = TokenSet {
            access_token: Some("at".into()),
            id_token: Some("id".into()),
            scope: Some("openid".into()),
            requested_scope: Some("openid profile".into()),
            refresh_token: Some("rt".into()),
            expires_at: Some(10),
            ..TokenSet::default()
        };
        let s = Session::new(user, ts, Some("sid".into()), 1);
        let mut buf = [0u8; 512];
        assert_eq!(
            s.to_json(&mut buf, Some(2)).unwrap(),
            r#"{"user":{"sub":"u"},"tokenSet":{"accessToken":"at","idToken":"id","scope":"openid","requestedScope":"openid profile","refreshToken":"rt","expiresAt":10},"internal":{"sid":"sid","createdAt":1},"exp":2}"#
        );
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            Session::parse(r#"{"id":"x"}"#).unwrap_err(),
            SessionError::MissingField("user").into()
        );
        assert_eq!(
            Session::parse(r#"{"user":{},"tokenSet":{"accessToken":1}}"#).unwrap_err(),
            SessionError::InvalidField("tokenSet.accessToken").into()
        );
        let many = std::format!(
            r#"{{"user":{{}},"tokenSet":{{}},"accessTokens":[{}]}}"#,
            ["{}"; MAX_ACCESS_TOKENS + 1].join(",")
        );
        assert_eq!(
            Session::parse(&many).unwrap_err(),
            SessionError::TooManyAccessTokens.into()
        );
    }

    #[test]
    fn durations() {
        let d = Durations::default();
        assert_eq!(d.max_age(Some(1000), 1000), 86_400);
        assert_eq!(d.max_age(Some(1000), 1000 + 259_200 - 10), 10);
        assert_eq!(d.max_age(Some(1000), 1000 + 300_000), 0);
        assert_eq!(d.max_age(None, 1000), 0);
        let fixed = Durations {
            rolling: false,
            ..d
        };
        assert_eq!(fixed.max_age(None, 5), 259_200);
    }

    #[test]
    fn legacy_cookies_are_deleted() {
        let o = CookieOptions::default();
        let out: Vec<_> = set_cookies(
            "__session",
            "v",
            &o,
            1,
            0,
            "appSession=x; appSession.0=y; appSessionX=z",
        )
        .unwrap()
        .map(|c| c.to_string())
        .collect();
        assert_eq!(out.len(), 3);
        assert!(out[1].starts_with("appSession=; "));
        assert!(out[2].starts_with("appSession.0=; "));
        let del: Vec<_> = delete_cookies("__session", &o, "__session__0=a")
            .map(|c| c.to_string())
            .collect();
        assert_eq!(del.len(), 2);
        assert!(del.iter().all(|l| l.contains("Max-Age=0")));
    }
}
