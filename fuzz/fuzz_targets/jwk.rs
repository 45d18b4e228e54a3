//! JWK and JWKS parsing, key import and thumbprints: never panics.
#![no_main]
use auth0_edge::jose::jwk::{EcKeyPair, Jwk, Jwks};
use auth0_edge::jose::jws::Algorithm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(jwk) = Jwk::parse(text) {
        if let Ok(k) = jwk.public_key() {
            // A key that parses has a thumbprint equal to the JWK's.
            assert_eq!(jwk.thumbprint().ok(), Some(k.thumbprint()));
        }
        let _ = EcKeyPair::from_jwk(&jwk);
    }
    if let Ok(set) = Jwks::parse(text) {
        for alg in [Algorithm::ES256, Algorithm::RS256, Algorithm::HS256] {
            for k in set.candidates(None, alg) {
                let _ = k.public_key();
            }
            for k in set.candidates(Some("kid".into()), alg) {
                let _ = k.public_key();
            }
        }
    }
});
