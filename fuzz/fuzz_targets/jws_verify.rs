//! JWS and JWT verification with every key type: never panics, never accepts a forgery
//! (the keys' private halves are not in the corpus, so nothing can verify but HS256 tokens
//! made with the fixed secret).
#![no_main]
use auth0_edge::jose::jwk::{Jwk, Jwks};
use auth0_edge::jose::jws::{self, Algorithm, Key};
use auth0_edge::jose::jwt::{self, Validation};
use libfuzzer_sys::fuzz_target;

const RSA: &str = r#"{"kty":"RSA","kid":"r","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}"#;
const EC: &str = r#"{"kty":"EC","kid":"e","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const JWKS: &str = concat!(
    r#"{"keys":["#,
    r#"{"kty":"EC","kid":"e","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
    r#"]}"#
);

fuzz_target!(|data: &[u8]| {
    let Ok(token) = core::str::from_utf8(data) else { return };
    let rsa = Jwk::parse(RSA).unwrap().public_key().unwrap();
    let ec = Jwk::parse(EC).unwrap().public_key().unwrap();
    let all = [Algorithm::ES256, Algorithm::RS256, Algorithm::HS256];
    let mut buf = [0u8; 8192];
    // Every crypto provider of the build (RustCrypto and ring), and they agree.
    for p in auth0_edge::crypto::all_providers() {
        assert!(jws::verify_with(p, token, rsa.as_jws_key(), &all, &mut buf).is_err() || token.contains("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2U"));
        let ec_ok = jws::verify_with(p, token, ec.as_jws_key(), &all, &mut buf).is_ok();
        assert_eq!(ec_ok, jws::verify(token, ec.as_jws_key(), &all, &mut buf).is_ok());
        let hs_ok = jws::verify_with(p, token, Key::Hs256(b"fuzz-secret"), &all, &mut buf).is_ok();
        assert_eq!(hs_ok, jws::verify(token, Key::Hs256(b"fuzz-secret"), &all, &mut buf).is_ok());
    }
    let _ = jws::decode_header(token, &mut buf);
    let jwks = Jwks::parse(JWKS).unwrap();
    let v = Validation { issuer: Some("iss"), audience: Some("aud"), ..Validation::default() };
    let _ = jwt::verify_with_jwks(token, &jwks, &v, 1_800_000_000, &mut buf);
});
