//! Token Vault answers and `connectionTokenSets` entries: never panics; an accepted answer has
//! an access token of the requested type; an entry made from it matches its connection and
//! hint and reads back the same; any entry's JSON is a fixed point after one round.
#![no_main]
use auth0_edge::oauth::token_exchange::{self, ConnectionTokenSet};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let status = if sel < 128 {
        200
    } else {
        400 + u16::from(sel & 0x7f)
    };
    match token_exchange::parse_response(status, body) {
        Ok(t) => {
            assert!((200..300).contains(&status));
            assert!(!t.access_token.is_empty());
            if let Some(itt) = t.raw.get_str("issued_token_type") {
                assert!(itt == token_exchange::REQUESTED_TOKEN_TYPE);
            }
            let hint = if sel & 1 == 0 {
                Some("me@example.com")
            } else {
                None
            };
            let e = ConnectionTokenSet::from_response(&t, "google-oauth2", hint, NOW);
            assert!(e.matches("google-oauth2", hint));
            assert!(!e.matches("github", hint));
            let mut buf = vec![0u8; body.len() * 2 + 256];
            let json = e.to_json(&mut buf, Some(NOW + 60)).expect("fits");
            let back = ConnectionTokenSet::parse(json).expect("our own output parses");
            assert!(!back.differs_from(&e));
            assert!(back.matches("google-oauth2", hint));
        }
        Err(err) => {
            let _ = err.to_string();
            assert!(!err.code().message().is_empty());
        }
    }
    // The body as a stored entry.
    let Ok(text) = core::str::from_utf8(body) else {
        return;
    };
    let Ok(entry) = ConnectionTokenSet::parse(text) else {
        return;
    };
    let _ = entry.is_expired(NOW);
    let mut a = vec![0u8; text.len() + 64];
    let first = entry
        .to_json(&mut a, Some(NOW))
        .expect("fits: no longer than the input plus exp");
    let again = ConnectionTokenSet::parse(first).expect("our own output parses");
    assert!(!again.differs_from(&entry));
    assert_eq!(again.connection, entry.connection);
    assert_eq!(again.login_hint, entry.login_hint);
    let mut b = vec![0u8; first.len()];
    assert_eq!(again.to_json(&mut b, Some(NOW)).expect("same size"), first);
});
