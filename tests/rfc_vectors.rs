//! Test vectors from the RFCs: 7636 appendix B (PKCE), 7638 §3.1 (thumbprint), 7515
//! appendices A.1-A.3 (HS256, RS256, ES256), and the HKDF vector of the Next.js SDK wire spec.

use auth0_edge::codec::base64url;
use auth0_edge::crypto::{CryptoProvider, all_providers};
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
    for p in all_providers() {
        rfc7515_a1_hs256_with(p);
    }
}

fn rfc7515_a1_hs256_with(p: &'static CryptoProvider) {
    let v = rfc7515();
    let mut k = [0u8; 64];
    let k = base64url::decode_secret(v["a1_hs256"]["jwk"]["k"].as_str().unwrap(), &mut k).unwrap();
    let token = v["a1_hs256"]["jws"].as_str().unwrap();
    let mut buf = [0u8; 512];
    let verified =
        jws::verify_with(p, token, Key::Hs256(k), &[Algorithm::HS256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);
    // HS256 must be explicitly allowed.
    assert_eq!(
        jws::verify_with(p, token, Key::Hs256(k), &[Algorithm::RS256], &mut buf).unwrap_err(),
        JwsError::AlgNotAllowed.into()
    );
}

#[test]
fn rfc7515_a2_rs256() {
    for p in all_providers() {
        rfc7515_a2_rs256_with(p);
    }
}

fn rfc7515_a2_rs256_with(p: &'static CryptoProvider) {
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
    let verified =
        jws::verify_with(p, token, key.as_jws_key(), &[Algorithm::RS256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);

    // One flipped bit in the signature, or the payload, fails.
    let mut bad = token.to_string().into_bytes();
    let last = bad.len() - 3;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert_eq!(
        jws::verify_with(p, &bad, key.as_jws_key(), &[Algorithm::RS256], &mut buf).unwrap_err(),
        JwsError::BadSignature.into()
    );
    let swapped = token.replacen(".eyJpc3MiOiJqb2UiLA0K", ".eyJpc3MiOiJqb2XiLA0K", 1);
    assert!(
        jws::verify_with(p, &swapped, key.as_jws_key(), &[Algorithm::RS256], &mut buf).is_err()
    );

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
        jws::verify_with(
            p,
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
    for p in all_providers() {
        rfc7515_a3_es256_with(p);
    }
}

fn rfc7515_a3_es256_with(p: &'static CryptoProvider) {
    let v = rfc7515();
    let jwk_json = jwk_text(&v, "a3_es256");
    let jwk = Jwk::parse(&jwk_json).unwrap();
    let token = v["a3_es256"]["jws"].as_str().unwrap();
    let key = jwk.public_key().unwrap();
    let mut buf = [0u8; 512];
    let verified =
        jws::verify_with(p, token, key.as_jws_key(), &[Algorithm::ES256], &mut buf).unwrap();
    assert_eq!(verified.payload, PAYLOAD);

    // The private key of A.3 imports from its JWK and signs tokens that verify.
    let pair = EcKeyPair::from_jwk(&jwk).unwrap();
    let mut out = [0u8; 512];
    let ours = jws::sign_es256(
        &pair.with_provider(p),
        br#"{"alg":"ES256"}"#,
        PAYLOAD,
        &mut out,
    )
    .unwrap();
    assert!(jws::verify_with(p, ours, key.as_jws_key(), &[Algorithm::ES256], &mut buf).is_ok());
}

/// The providers' primitives on the standard vectors: SHA-256 (FIPS 180-2 "abc"), HMAC-SHA256
/// (RFC 4231 test case 2), AES-256-GCM (the GCM specification's test case 16 without AAD
/// splitting: key, IV, plaintext and tag), and ES256 signatures that each provider verifies
/// for every other.
#[test]
fn provider_primitives() {
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
    let abc = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let tag = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    let gcm_key: [u8; 32] = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        .try_into()
        .unwrap();
    let iv: [u8; 12] = hex("cafebabefacedbaddecaf888").try_into().unwrap();
    let pt = hex(concat!(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72",
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
    ));
    let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let ct = hex(concat!(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa",
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
    ));
    let gcm_tag: [u8; 16] = hex("76fc6ece0f4e1768cddf8853bb2d551b").try_into().unwrap();
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    let public = pair.public_key();
    let PublicKey::Ec(vk) = &public else {
        unreachable!()
    };
    for p in all_providers() {
        assert_eq!(p.hash.sha256(b"abc")[..], abc[..], "{}", p.name);
        let mut h = p.hash.sha256_context();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.finish()[..], abc[..], "{}", p.name);
        let msg = b"what do ya want for nothing?";
        assert!(p.hash.hmac_sha256_verify(b"Jefe", msg, &tag).is_ok());
        let mut bad = tag.clone();
        bad[31] ^= 1;
        assert!(p.hash.hmac_sha256_verify(b"Jefe", msg, &bad).is_err());

        let key = p.aead.key(&gcm_key);
        let mut data = pt.clone();
        let t = p.aead.seal_in_place(&key, &iv, &aad, &mut data).unwrap();
        assert_eq!((data.clone(), t), (ct.clone(), gcm_tag), "{}", p.name);
        p.aead
            .open_in_place(&key, &iv, &aad, &mut data, &t)
            .unwrap();
        assert_eq!(data, pt);
        let mut bad = t;
        bad[0] ^= 1;
        let mut data = ct.clone();
        assert!(
            p.aead
                .open_in_place(&key, &iv, &aad, &mut data, &bad)
                .is_err()
        );

        let sig = pair.with_provider(p).sign(b"message").unwrap();
        for q in all_providers() {
            assert!(
                q.ecdsa.verify(vk, b"message", &sig).is_ok(),
                "{} by {}",
                q.name,
                p.name
            );
            assert!(q.ecdsa.verify(vk, b"messagf", &sig).is_err());
        }
    }
}
