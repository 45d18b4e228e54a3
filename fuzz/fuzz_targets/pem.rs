//! PEM key import (PKCS#8, SEC1, SPKI): never panics.
#![no_main]
use auth0_edge::jose::jwk::EcKeyPair;
use libfuzzer_sys::fuzz_target;

const PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff
H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp
7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt
-----END PRIVATE KEY-----";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let _ = EcKeyPair::from_pem(text, None);
    let _ = EcKeyPair::from_pem(PRIVATE, Some(text));
});
