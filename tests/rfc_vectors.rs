//! Test vectors from the RFCs: 7636 appendix B (PKCE), 7638 §3.1 (thumbprint), 7515
//! appendices A.1-A.3 (HS256, RS256, ES256), and the HKDF vector of the Next.js SDK wire spec.

use auth0_edge::codec::base64url;
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, Jwk, PublicKey};
use auth0_edge::jose::jws::{self, Algorithm, Key};
use auth0_edge::jose::jwt::{self, Validation};
use auth0_edge::oauth::pkce;
use auth0_edge::{JwsError, JwtError};
use serde_json::Value;

fn rfc7515() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rfc7515.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn jwk_text(v: &Value, name: &str) -> String {
    v[name]["jwk"].to_string()
}

const PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

#[test]
fn rfc7636_appendix_b() {
    let c = pkce::challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(c.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[test]
fn rfc7638_section_3_1() {
    let jwk = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
    let t = Jwk::parse(jwk).unwrap().thumbprint().unwrap();
    let mut out = [0u8; 43];
    assert_eq!(
        base64url::encode(&t, &mut out).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn hkdf_vector_of_the_wire_spec() {
    let key = jwe::hkdf_sha256("a".repeat(64).as_bytes(), b"JWE CEK");
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "b643c6c263b8e2fc220f58451c263641d82e2c021b445d351b4a0d83a561b800"
    );
}

#[test]
fn rfc7515_a1_hs256() {
    let v = rfc7515();
    let mut k = [0u8; 64];
    let k = base64url::decode_secret(v["a1_hs256"]["jwk"]["k"].as_str().unwrap(), &mut k).unwrap();
    let token = v["a1_hs256"]["jws"].as_str().unwrap();
    let mut buf = [0u8; 512];
    let verified = jws::verify(token, Key::Hs256(k), &[Algorithm::HS256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);
    // HS256 must be explicitly allowed.
    assert_eq!(
        jws::verify(token, Key::Hs256(k), &[Algorithm::RS256], &mut buf).unwrap_err(),
        JwsError::AlgNotAllowed.into()
    );
}

#[test]
fn rfc7515_a2_rs256() {
    let v = rfc7515();
    let jwk_json = jwk_text(&v, "a2_rs256");
    let jwk = Jwk::parse(&jwk_json).unwrap();
    let key = jwk.public_key().unwrap();
    let PublicKey::Rsa(rsa) = &key else {
        panic!("not RSA")
    };
    assert_eq!(rsa.bits(), 2048);
    let token = v["a2_rs256"]["jws"].as_str().unwrap();
    let mut buf = [0u8; 512];
    let verified = jws::verify(token, key.as_jws_key(), &[Algorithm::RS256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);

    // One flipped bit in the signature, or the payload, fails.
    let mut bad = token.to_string().into_bytes();
    let last = bad.len() - 3;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(
        jws::verify(&bad, key.as_jws_key(), &[Algorithm::RS256], &mut buf).unwrap_err(),
        JwsError::BadSignature.into()
    );
    let swapped = token.replacen(".eyJpc3MiOiJqb2UiLA0K", ".eyJpc3MiOiJqb2XiLA0K", 1);
    assert!(jws::verify(&swapped, key.as_jws_key(), &[Algorithm::RS256], &mut buf).is_err());

    // The JWT helper: the token's exp (2011) is long past.
    let validation = Validation {
        issuer: Some("joe"),
        ..Validation::default()
    };
    assert_eq!(
        jwt::verify(
            token,
            key.as_jws_key(),
            &validation,
            1_700_000_000,
            &mut buf
        )
        .unwrap_err(),
        JwtError::Expired.into()
    );
    let claims = jwt::verify(
        token,
        key.as_jws_key(),
        &validation,
        1_300_819_000,
        &mut buf,
    )
    .unwrap()
    .claims;
    assert_eq!(claims.get_bool("http://example.com/is_root"), Some(true));
    let wrong_iss = Validation {
        issuer: Some("jane"),
        ..Validation::default()
    };
    assert_eq!(
        jwt::verify(token, key.as_jws_key(), &wrong_iss, 1_300_819_000, &mut buf).unwrap_err(),
        JwtError::Issuer.into()
    );

    // RS256 header against an EC key: refused as a mismatch, not tried.
    let ec = Jwk::parse(&jwk_text(&v, "a3_es256"))
        .unwrap()
        .public_key()
        .unwrap();
    assert_eq!(
        jws::verify(
            token,
            ec.as_jws_key(),
            &[Algorithm::RS256, Algorithm::ES256],
            &mut buf
        )
        .unwrap_err(),
        JwsError::KeyMismatch.into()
    );
}

#[test]
fn rfc7515_a3_es256() {
    let v = rfc7515();
    let jwk_json = jwk_text(&v, "a3_es256");
    let jwk = Jwk::parse(&jwk_json).unwrap();
    let token = v["a3_es256"]["jws"].as_str().unwrap();
    let key = jwk.public_key().unwrap();
    let mut buf = [0u8; 512];
    let verified = jws::verify(token, key.as_jws_key(), &[Algorithm::ES256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);

    // The private key of A.3 imports from its JWK and signs tokens that verify.
    let pair = EcKeyPair::from_jwk(&jwk).unwrap();
    let mut out = [0u8; 512];
    let ours =
        jws::sign_es256(pair.signing_key(), br#"{"alg":"ES256"}"#, PAYLOAD, &mut out).unwrap();
    assert!(jws::verify(ours, key.as_jws_key(), &[Algorithm::ES256], &mut buf).is_ok());
}
