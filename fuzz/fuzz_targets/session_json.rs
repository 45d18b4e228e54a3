//! The session document: never panics, and writing is a fixed point after one round
//! (parse → write → parse → write gives the same bytes).
#![no_main]
use auth0_edge::session::Session;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let Ok(opened) = Session::parse(text) else { return };
    let mut a = [0u8; 16384];
    let Ok(first) = opened.session.to_json(&mut a, opened.exp) else { return };
    let again = Session::parse(first).expect("our own output parses");
    let mut b = [0u8; 16384];
    let second = again.session.to_json(&mut b, again.exp).expect("fits: same size");
    assert_eq!(first, second);
});
