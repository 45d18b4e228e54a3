//! The core's hot paths make no heap allocation, even in the `std` build: a counting global
//! allocator observes the calls made on this test's thread while each path runs.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::json::Object;
use auth0_edge::cookie::{CookieOptions, chunk};
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, Jwk};
use auth0_edge::jose::jws::{self, Algorithm};
use auth0_edge::oauth::dpop;
use auth0_edge::oauth::pkce;
use auth0_edge::oauth::transaction::{self, Transaction};
use auth0_edge::session::{self, Session, TokenSet};
#[path = "common/counting.rs"]
mod counting;
use counting::allocations;

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
const NOW: i64 = 1_800_000_000;

fn rfc7515(name: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(include_str!("vectors/rfc7515.json")).unwrap();
    (
        v[name]["jwk"].to_string(),
        v[name]["jws"].as_str().unwrap().to_string(),
    )
}

#[test]
fn hot_paths_do_not_allocate() {
    // Inputs are prepared outside the measured sections.
    let user_json = format!(
        r#"{{"sub":"u",{}}}"#,
        (0..150)
            .map(|i| format!(r#""c{i}":"value {i} value {i} value {i}""#))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (rs_jwk, rs_jws) = rfc7515("a2_rs256");
    let (es_jwk, es_jws) = rfc7515("a3_es256");
    let mut sealed_buf = vec![0u8; 32 * 1024];
    let mut open_buf = vec![0u8; 32 * 1024];
    let mut line_buf = vec![0u8; 8 * 1024];
    let mut header_buf = vec![0u8; 16 * 1024];
    let mut join_buf = vec![0u8; 16 * 1024];
    let mut small = vec![0u8; 4096];
    let mut small2 = vec![0u8; 4096];
    let mut rng = rand_core::OsRng;
    let opts = CookieOptions::default();
    let pair = EcKeyPair::generate(&mut rng);
    let dp = dpop::Dpop::new(pair.clone());

    let (key, n) = allocations(|| jwe::Key::from_secret(SECRET).unwrap());
    assert_eq!(n, 0, "key derivation");

    // Seal a chunked session and write its Set-Cookie values.
    let (header, n) = allocations(|| {
        let user = Object::parse(&user_json).unwrap();
        let ts = TokenSet {
            access_token: Some("at".into()),
            expires_at: Some(NOW),
            ..TokenSet::default()
        };
        let s = Session::new(user, ts, Some("sid".into()), NOW);
        let sealed = s.seal(&key, &mut rng, NOW + 60, &mut sealed_buf).unwrap();
        let mut header = Writer::new(&mut header_buf, "header");
        for c in session::set_cookies("__session", sealed, &opts, 60, NOW, "").unwrap() {
            let line = c.write_into(&mut line_buf).unwrap();
            if !c.is_deletion() {
                if !header.is_empty() {
                    header.push_str("; ").unwrap();
                }
                header.push_str(line.split("; ").next().unwrap()).unwrap();
            }
        }
        header.into_str()
    });
    assert_eq!(n, 0, "session seal and Set-Cookie");
    assert!(header.contains("__session__1="));

    // Open it (chunk join, base64, AES-GCM, JSON).
    let ((), n) = allocations(|| {
        let opened = session::open(header, "__session", &key, NOW, &mut open_buf).unwrap();
        assert!(opened.session.user.get_str("c149").unwrap() == "value 149 value 149 value 149");
        assert!(
            chunk::join(header, "__session", &mut join_buf)
                .unwrap()
                .len()
                > 3500
        );
    });
    assert_eq!(n, 0, "session open and chunk join");

    // Transaction cookie.
    let ((), n) = allocations(|| {
        let t = Transaction {
            nonce: "n".into(),
            code_verifier: "v".into(),
            response_type: "code".into(),
            state: "s".into(),
            return_to: "/".into(),
            ..Transaction::default()
        };
        let value = t.seal(&key, &mut rng, NOW, 3600, &mut small).unwrap();
        let opened = transaction::open(&key, value, NOW, &mut small2).unwrap();
        assert!(opened.transaction.state == "s");
    });
    assert_eq!(n, 0, "transaction seal and open");

    // PKCE, ES256, DPoP, RS256.
    let ((), n) = allocations(|| {
        let p = pkce::Pkce::generate(&mut rng);
        assert_eq!(pkce::challenge(p.code_verifier.as_str()), p.code_challenge);
        let token =
            jws::sign_es256(pair.signing_key(), br#"{"alg":"ES256"}"#, b"{}", &mut small).unwrap();
        let public = pair.public_key();
        jws::verify(token, public.as_jws_key(), &[Algorithm::ES256], &mut small2).unwrap();
        let es = Jwk::parse(&es_jwk).unwrap().public_key().unwrap();
        jws::verify(&es_jws, es.as_jws_key(), &[Algorithm::ES256], &mut small2).unwrap();
        let req = dpop::Request {
            htm: "GET",
            htu: "https://api.example/x",
            access_token: Some("at"),
            nonce: None,
        };
        dp.proof(&req, NOW, &mut rng, &mut small).unwrap();
        let rs = Jwk::parse(&rs_jwk).unwrap().public_key().unwrap();
        jws::verify(&rs_jws, rs.as_jws_key(), &[Algorithm::RS256], &mut small2).unwrap();
    });
    assert_eq!(n, 0, "PKCE, ES256 sign/verify, DPoP proof, RS256 verify");

    // The counter itself works.
    let (_, n) = allocations(|| vec![1u8; 16]);
    assert_eq!(n, 1);
}
