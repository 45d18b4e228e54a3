//! The callback's query (the authorization response) and the request cookies the flows copy:
//! never panics; a code is only handed out for the expected issuer and without an `error`; the
//! copied cookies are the matching subset, and decoded values are never truncated.
#![no_main]
use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::form;
use auth0_edge::cookie;
use auth0_edge::oauth::authorization_response::AuthorizationResponse;
use libfuzzer_sys::fuzz_target;

const ISS: &str = "https://t.example.com/";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let (query, cookies) = text.split_once('\n').unwrap_or((text, ""));
    let r = AuthorizationResponse::new(query);
    let mut buf = [0u8; 4096];
    let _ = r.decoded_state(&mut buf);
    for required in [false, true] {
        if let Ok(code) = r.code(ISS, required) {
            assert!(!code.is_empty());
            assert!(form::query_get(query, "error").is_none());
            match form::query_get(query, "iss") {
                Some(iss) => assert!(form::component_eq(iss, ISS)),
                None => assert!(!required),
            }
        }
    }
    for (k, v) in form::query_pairs(query) {
        let mut out = vec![0u8; v.len() * 3 + 4];
        let decoded = form::decode_component(v, &mut out).expect("3 bytes per input byte suffice");
        assert!(decoded.chars().count() <= v.len());
        let _ = form::decode_component(k, &mut buf);
    }
    let keep = |n: &str| n.starts_with("__");
    // The copy is sized by `matching_len`, as the flows size it: it can be longer than the
    // header itself (`;` separators become `"; "`, a cookie without `=` gains one).
    let mut out = vec![0u8; cookie::matching_len(cookies, keep)];
    let mut w = Writer::new(&mut out, "cookies");
    cookie::write_matching(cookies, &mut w, keep).expect("matching_len bytes suffice");
    assert_eq!(w.len(), cookie::matching_len(cookies, keep));
    for c in cookie::parse(w.as_str()) {
        assert!(keep(c.name));
    }
});
