//! The transaction payload and cookie value: never panics; writing is a fixed point after one
//! round.
#![no_main]
use auth0_edge::codec::buf::Writer;
use auth0_edge::oauth::transaction::{self, Transaction};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let _ = transaction::split_value(text);
    let Ok(t) = Transaction::parse(text) else { return };
    let mut a = [0u8; 8192];
    let mut w = Writer::new(&mut a, "a");
    if t.write_json(&mut w, Some(1)).is_err() {
        return;
    }
    let first = w.into_str();
    let again = Transaction::parse(first).expect("our own output parses");
    let mut b = [0u8; 8192];
    let mut w2 = Writer::new(&mut b, "b");
    again.write_json(&mut w2, Some(1)).expect("fits: same size");
    assert_eq!(first, w2.as_str());
});
