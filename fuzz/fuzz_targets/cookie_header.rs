//! The `Cookie` header parser and percent-decoding: never panics; decoding never grows a value.
#![no_main]
use auth0_edge::cookie;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = core::str::from_utf8(data) else { return };
    let mut buf = [0u8; 4096];
    for c in cookie::parse(header) {
        assert!(!c.name.is_empty());
        assert!(!c.name.contains(';') && !c.value.contains(';'));
        if let Ok(v) = c.decode_into(&mut buf) {
            assert!(v.len() <= c.value.len());
        }
    }
    let _ = cookie::get(header, "__session");
});
