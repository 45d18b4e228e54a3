//! JWE opening and session cookies: never panics on any value, with either crypto provider, and
//! opening in place gives what opening out of place gives (plaintext or error).
#![no_main]
use auth0_edge::session;
use auth0_edge::jose::jwe;
use auth0_edge::oauth::transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    // Every crypto provider of the build (RustCrypto and ring) sees the same inputs.
    for provider in auth0_edge::crypto::all_providers() {
        let key = jwe::Key::from_bytes_with(provider, &[7u8; 32]);
        let mut buf = [0u8; 8192];
        // Room enough that opening out of place never runs short where in place does not.
        let mut out = vec![0u8; jwe::open_buffer_len(text.len())];
        let out_of_place = jwe::open(&key, text, &mut out).map(|p| p.to_vec());
        let mut room = text.as_bytes().to_vec();
        let in_place = jwe::open_in_place(&key, &mut room).map(|p| p.to_vec());
        assert_eq!(in_place, out_of_place, "open_in_place and open disagree");
        let _ = jwe::open_jwt(&key, text, 1_800_000_000, &mut buf);
        let _ = session::open(text, "__session", &key, 1_800_000_000, &mut buf);
        let _ = transaction::open(&key, text, 1_800_000_000, &mut buf);
    }
});
