//! Chunk joining: never panics, and the length it announces is the length it joins.
#![no_main]
use auth0_edge::cookie::chunk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = core::str::from_utf8(data) else { return };
    let mut buf = [0u8; 8192];
    let announced = chunk::joined_len(header, "s");
    let joined = chunk::join(header, "s", &mut buf);
    if let (Ok(Some(n)), Ok(v)) = (announced, joined) {
        assert_eq!(v.len(), n);
    }
    let _ = chunk::highest_index(header, "s");
});
