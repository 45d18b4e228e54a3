//! Back-channel logout tokens: never panics; the form body, the signature path and the claim
//! rules agree. The input is read three ways: as a form body (its `logout_token` verified
//! against a fixed JWKS; nothing verifies without a private key, so whatever passes must obey
//! the rules), as claims signed here with the JWKS's EC key (then the full validation must
//! reach exactly the verdict of the claim checks alone), and as a script for the replay cache.
#![no_main]
use auth0_edge::JwtError;
use auth0_edge::codec::json::{JsonStr, Object};
use auth0_edge::jose::jwk::{EcKeyPair, Jwk, Jwks};
use auth0_edge::jose::jws;
use auth0_edge::oauth::logout_token::{
    self, BACKCHANNEL_LOGOUT_EVENT, Expected, LogoutToken, LogoutTokenError, ReplayCache, ReplayKey,
};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://t.auth0.com/";
/// RFC 7515 A.3's P-256 key, with its private part (a published test key).
const EC_PRIVATE: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
/// RFC 7515 A.2's RSA key (public part) and A.3's EC key.
const JWKS: &str = concat!(
    r#"{"keys":["#,
    r#"{"kty":"RSA","kid":"r","alg":"RS256","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"},"#,
    r#"{"kty":"EC","kid":"e","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
    r#"]}"#
);

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISS,
        client_id: "cid",
        leeway: 5,
    }
}

/// What every accepted token satisfies.
fn check_invariants(t: &LogoutToken<'_>) {
    assert!(t.iss == ISS);
    assert!(!t.jti.is_empty());
    assert!(t.sid.is_some() || t.sub.is_some());
    assert!(t.claims.get("nonce").is_none());
    let events = t.claims.get_object("events").expect("events is an object");
    assert!(events.get_object(BACKCHANNEL_LOGOUT_EVENT).is_some());
    assert!(t.exp.is_none_or(|e| e > NOW - 5));
    assert!(t.iat <= NOW + 5);
    assert!(t.remember_until(5) >= t.iat.min(t.exp.unwrap_or(i64::MAX)));
}

fn check_error(e: &LogoutTokenError) {
    assert_eq!(e.status(), 400);
    assert!(!e.message().is_empty());
    assert_eq!(e.code(), "backchannel_logout_error");
    let _ = e.to_string();
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let jwks = Jwks::parse(JWKS).unwrap();
    let e = expected();

    // 1. The route's body, and whatever token it carries (or the text itself).
    let mut tbuf = [0u8; 8192];
    let from_body = logout_token::token_from_body(text, &mut tbuf);
    if let Ok(t) = from_body {
        assert!(!t.is_empty());
    }
    let token = from_body.unwrap_or(text);
    let mut buf = [0u8; 8192];
    match logout_token::validate(token, &jwks, &e, NOW, &mut buf) {
        Ok(t) => check_invariants(&t),
        Err(err) => check_error(&err),
    }

    // 2. The text as claims, signed with the set's EC key: the signature path must agree
    // with the claim checks alone (signing is slow: only for texts that are objects, and
    // for a few others).
    let object = Object::parse(text);
    static KEY: OnceLock<EcKeyPair> = OnceLock::new();
    let key = KEY.get_or_init(|| EcKeyPair::from_jwk(&Jwk::parse(EC_PRIVATE).unwrap()).unwrap());
    let mut signed = [0u8; 16384];
    let sign = object.is_ok() || data.len() < 8;
    if let Some(token) = sign
        .then(|| {
            jws::sign_es256(
                key.signing_key(),
                br#"{"alg":"ES256","kid":"e","typ":"logout+jwt"}"#,
                text.as_bytes(),
                &mut signed,
            )
            .ok()
        })
        .flatten()
    {
        let mut vbuf = [0u8; 16384];
        let full = logout_token::validate(token, &jwks, &e, NOW, &mut vbuf);
        match object {
            Ok(o) => {
                let alone = logout_token::check_claims(o, &e, NOW);
                match (&full, &alone) {
                    (Ok(a), Ok(b)) => {
                        check_invariants(a);
                        assert_eq!(
                            (a.sid, a.sub, a.jti, a.iat, a.exp),
                            (b.sid, b.sub, b.jti, b.iat, b.exp)
                        );
                    }
                    (Err(a), Err(b)) => assert_eq!(a, b),
                    _ => panic!("signature path and claim checks disagree: {full:?} / {alone:?}"),
                }
            }
            Err(_) => assert_eq!(
                full.map(|_| ()),
                Err(LogoutTokenError::Claims(JwtError::Claims))
            ),
        }
    }

    // 3. The replay cache: bounded, and a remembered jti is refused until it expires.
    let mut cache = ReplayCache::<4>::new();
    for op in data.chunks(3) {
        let (j, until, now) = match op {
            [a, b, c] => (*a % 8, i64::from(*b), i64::from(*c) / 4),
            _ => continue,
        };
        let jti = [b'a' + j];
        let jti = core::str::from_utf8(&jti).unwrap();
        let key = ReplayKey::new(JsonStr::new(ISS), JsonStr::new(jti));
        let first = cache.check_and_remember(key, NOW + until, NOW + now);
        assert!(cache.len() <= 4);
        if first.is_ok() && until > now {
            assert_eq!(
                cache.check_and_remember(key, NOW + until, NOW + now),
                Err(LogoutTokenError::Replayed)
            );
        }
    }
});
