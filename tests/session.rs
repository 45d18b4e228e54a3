//! Sessions end to end: seal → Set-Cookie → Cookie header → open, its failure modes, and
//! property tests of the round trips.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::json::{self, Object};
use auth0_edge::cookie::{CookieOptions, chunk};
use auth0_edge::jose::jwe;
use auth0_edge::session::{self, Session, TokenSet};
use auth0_edge::{CookieError, Error, JsonError, JweError, SessionError};
use proptest::prelude::*;
use rand_core::OsRng;

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
const NOW: i64 = 1_800_000_000;

fn key() -> jwe::Key {
    jwe::Key::from_secret(SECRET).unwrap()
}

/// What a browser sends back after storing these Set-Cookie values (deletions remove).
fn browser_header(lines: &[String]) -> String {
    let mut jar: Vec<(String, String)> = Vec::new();
    for l in lines {
        let pair = l.split("; ").next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        jar.retain(|(n, _)| n != name);
        if !l.contains("Max-Age=0") {
            jar.push((name.to_string(), value.to_string()));
        }
    }
    jar.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Seals `user` claims in a session and returns the browser's Cookie header.
fn sealed_header(user_json: &str, key: &jwe::Key) -> String {
    let user = Object::parse(user_json).unwrap();
    let ts = TokenSet {
        access_token: Some("at".into()),
        refresh_token: Some("rt".into()),
        expires_at: Some(NOW + 60),
        ..TokenSet::default()
    };
    let s = Session::new(user, ts, Some("sid".into()), NOW);
    let mut buf = vec![0u8; 256 * 1024];
    let sealed = s.seal(key, &mut OsRng, NOW + 86_400, &mut buf).unwrap();
    let opts = CookieOptions::default();
    // Sessions above MAX_COOKIE_SESSION_LEN are refused by set_cookies; chunk them directly
    // to test what a reader does with them.
    let lines: Vec<String> = if sealed.len() > session::MAX_COOKIE_SESSION_LEN {
        assert!(matches!(
            session::set_cookies("__session", sealed, &opts, 86_400, NOW, ""),
            Err(Error::Session(SessionError::TooLarge { .. }))
        ));
        chunk::write("__session", sealed, &opts, 86_400, NOW, "")
            .unwrap()
            .map(|c| c.to_string())
            .collect()
    } else {
        session::set_cookies("__session", sealed, &opts, 86_400, NOW, "")
            .unwrap()
            .map(|c| c.to_string())
            .collect()
    };
    browser_header(&lines)
}

fn big_user(n: usize) -> String {
    let claims: Vec<String> = (0..n)
        .map(|i| format!(r#""https://example.com/c{i}":"value {i} é""#))
        .collect();
    format!(r#"{{"sub":"u",{}}}"#, claims.join(","))
}

#[test]
fn chunked_session_round_trip() {
    let key = key();
    let header = sealed_header(&big_user(400), &key);
    assert!(header.contains("__session__3="), "needs 4+ chunks");
    assert!(!header.contains("__session="));
    let mut buf = vec![0u8; 64 * 1024];
    let opened = session::open(&header, "__session", &key, NOW, &mut buf).unwrap();
    assert_eq!(
        opened
            .session
            .user
            .get_str("https://example.com/c399")
            .unwrap(),
        "value 399 é"
    );
    assert_eq!(opened.session.token_set.refresh_token.unwrap(), "rt");
}

#[test]
fn failure_modes_are_typed() {
    let key = key();
    let header = sealed_header(r#"{"sub":"u"}"#, &key);
    let value = header.strip_prefix("__session=").unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let mut open = |h: &str| {
        session::open(h, "__session", &key, NOW, &mut buf)
            .map(|_| ())
            .unwrap_err()
    };

    // Tampered ciphertext.
    let mut t = value.as_bytes().to_vec();
    let i = value.rfind('.').unwrap() - 5;
    t[i] = if t[i] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        open(&format!("__session={}", String::from_utf8(t).unwrap())),
        JweError::Decryption.into()
    );
    // Truncated.
    assert_eq!(
        open(&format!("__session={}", &value[..value.len() - 10])),
        JweError::TagLength.into()
    );
    assert_eq!(
        open(&format!(
            "__session={}",
            &value[..value.rfind('.').unwrap()]
        )),
        JweError::Malformed.into()
    );
    // Bad base64.
    let bad = value.replacen('.', ".!", 3);
    assert!(matches!(open(&format!("__session={bad}")), Error::Jwe(_)));
    // Not present, or chunks with a gap.
    assert_eq!(open("other=1"), CookieError::NotFound.into());
    assert_eq!(
        open("__session__0=a; __session__2=c"),
        CookieError::MissingChunk { index: 1 }.into()
    );
    // Absurd chunk counts.
    assert_eq!(open("__session__1000=a"), CookieError::TooManyChunks.into());

    // Wrong secret.
    let other = jwe::Key::from_secret("another-secret-that-is-at-least-32-characters").unwrap();
    let mut buf2 = vec![0u8; 16 * 1024];
    assert_eq!(
        session::open(&header, "__session", &other, NOW, &mut buf2).unwrap_err(),
        JweError::Decryption.into()
    );
    // Expired, with the 15 s tolerance.
    assert!(session::open(&header, "__session", &key, NOW + 86_400 + 14, &mut buf2).is_ok());
    assert_eq!(
        session::open(&header, "__session", &key, NOW + 86_400 + 15, &mut buf2).unwrap_err(),
        JweError::Expired.into()
    );
    // A buffer too small is reported, not truncated.
    let mut tiny = [0u8; 64];
    assert!(matches!(
        session::open(&header, "__session", &key, NOW, &mut tiny).unwrap_err(),
        Error::BufferTooSmall { .. }
    ));
    // An oversized chunked header against a normal buffer.
    let huge = sealed_header(&big_user(2000), &key);
    let mut normal = vec![0u8; session::DEFAULT_BUFFER_LEN];
    assert!(matches!(
        session::open(&huge, "__session", &key, NOW, &mut normal).unwrap_err(),
        Error::BufferTooSmall { .. }
    ));
}

#[test]
fn valid_jwe_with_bad_json_or_wrong_shape() {
    let key = key();
    let mut buf = [0u8; 1024];
    for (plaintext, err) in [
        (&b"not json"[..], Error::from(JweError::Payload)),
        (
            &b"{\"user\":{}}"[..],
            SessionError::MissingField("tokenSet").into(),
        ),
        (
            &b"{\"id\":\"abc\",\"exp\":4102444800}"[..],
            SessionError::MissingField("user").into(),
        ),
        (&b"\xff\xfe"[..], JsonError::Utf8.into()),
    ] {
        let mut p = plaintext.to_vec();
        let mut out = [0u8; 512];
        let sealed = jwe::seal(&key, &mut OsRng, &mut p, &mut out).unwrap();
        let header = format!("__session={sealed}");
        assert_eq!(
            session::open(&header, "__session", &key, NOW, &mut buf).unwrap_err(),
            err
        );
    }
}

#[test]
fn ipsie_ceiling() {
    let key = key();
    let json = format!(
        r#"{{"user":{{}},"tokenSet":{{}},"internal":{{"createdAt":{NOW},"sessionExpiresAt":{}}},"exp":{}}}"#,
        NOW + 100,
        NOW + 1000
    );
    let mut p = json.into_bytes();
    let mut out = [0u8; 512];
    let sealed = jwe::seal(&key, &mut OsRng, &mut p, &mut out).unwrap();
    let header = format!("__session={sealed}");
    let mut buf = [0u8; 512];
    assert!(session::open(&header, "__session", &key, NOW + 69, &mut buf).is_ok());
    assert_eq!(
        session::open(&header, "__session", &key, NOW + 70, &mut buf).unwrap_err(),
        SessionError::Expired.into()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn seal_open_round_trip(name in any::<String>(), sub in "[a-z|0-9]{1,40}", n in 0usize..300) {
        let key = key();
        let mut user = String::new();
        {
            let mut b = vec![0u8; 64 * 1024];
            let mut w = Writer::new(&mut b, "t");
            let mut o = json::ObjectWriter::begin(&mut w).unwrap();
            o.str("sub", &sub).unwrap();
            o.str("name", &name).unwrap();
            for i in 0..n {
                o.str(&format!("c{i}"), &name).unwrap();
            }
            o.end().unwrap();
            user.push_str(w.as_str());
        }
        let header = sealed_header(&user, &key);
        let mut buf = vec![0u8; 512 * 1024];
        let opened = session::open(&header, "__session", &key, NOW, &mut buf).unwrap();
        prop_assert_eq!(opened.session.user.get_str("name").unwrap().to_string(), name);
        prop_assert_eq!(opened.session.user.get_str("sub").unwrap().to_string(), sub);
        prop_assert_eq!(opened.session.user.raw(), user.as_str());
    }

    #[test]
    fn split_join_round_trip(value in "[A-Za-z0-9_.-]{0,20000}", stale in 0usize..9) {
        let opts = CookieOptions::default();
        // The request already holds `stale` old chunks.
        let request: Vec<String> = (0..stale).map(|i| format!("s__{i}=old")).collect();
        let request = request.join("; ");
        let lines: Vec<String> = chunk::write("s", &value, &opts, 60, NOW, &request)
            .unwrap()
            .map(|c| c.to_string())
            .collect();
        // Only the request's cookies that the write makes stale are deleted: its chunks beyond
        // the new ones (the request has no base cookie here).
        let deleted = lines.iter().filter(|l| l.contains("Max-Age=0")).count();
        let n = if value.len() <= chunk::MAX_CHUNK_SIZE { 0 } else { value.len().div_ceil(chunk::MAX_CHUNK_SIZE) };
        let expected = stale.saturating_sub(n);
        prop_assert_eq!(deleted, expected);
        prop_assert_eq!(lines.len() - deleted, n.max(1));
        let mut jar: Vec<String> = request.split("; ").filter(|s| !s.is_empty()).map(String::from).collect();
        for l in &lines {
            let pair = l.split("; ").next().unwrap();
            let name = pair.split('=').next().unwrap();
            jar.retain(|c| c.split('=').next().unwrap() != name);
            if !l.contains("Max-Age=0") {
                jar.push(pair.to_string());
            }
        }
        let header = jar.join("; ");
        let mut buf = vec![0u8; 32 * 1024];
        if value.is_empty() {
            prop_assert!(chunk::join(&header, "s", &mut buf).is_err());
        } else {
            prop_assert_eq!(chunk::join(&header, "s", &mut buf).unwrap(), value.as_str());
        }
    }

    #[test]
    fn json_strings_match_serde(s in any::<String>()) {
        let mut b = vec![0u8; 8 * s.len() + 16];
        let mut w = Writer::new(&mut b, "t");
        json::write_str(&mut w, &s).unwrap();
        let text = w.as_str().to_string();
        prop_assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s.clone());
        let v = json::Value::parse(&text).unwrap();
        prop_assert_eq!(v.as_json_str().unwrap().to_string(), s);
    }
}
