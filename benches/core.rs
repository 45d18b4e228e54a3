//! Benchmarks of the core's hot paths. Run with `cargo bench --bench core`; the figures and
//! the comparison with Node's `jose` (the Next.js SDK's path, `benches/jose`) are recorded in
//! BENCHMARKS.md.
//!
//! The 1 KB and 4 KB session documents are `benches/sessions/*.json`, the same files the
//! `jose` script seals and opens.
//!
//! Every crypto bench runs once per provider of the build: the plain name is the build's
//! default provider (*ring* with the tokio runtime), the suffix `[rust-crypto]` the no_std
//! one (what the embassy build runs).

use auth0_edge::codec::buf::Writer;
use auth0_edge::cookie::CookieOptions;
use auth0_edge::cookie::chunk;
use auth0_edge::crypto::{self, CryptoProvider};
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, Jwk};
use auth0_edge::jose::jws::{self, Algorithm};
use auth0_edge::oauth::dpop;
use auth0_edge::oauth::pkce;
use auth0_edge::session::{self, Session};
use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;
use std::hint::black_box;

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
const NOW: i64 = 1_800_000_000;

fn doc(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/benches/sessions/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Seals `json` and returns the Cookie header a browser would send back.
fn cookie_header(json: &str, key: &jwe::Key) -> String {
    let opened = Session::parse(json).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let sealed = opened
        .session
        .seal(key, &mut rand_core::OsRng, NOW + 3600, &mut buf)
        .unwrap();
    let opts = CookieOptions::default();
    session::set_cookies("__session", sealed, &opts, 3600, NOW, "")
        .unwrap()
        .filter(|c| !c.is_deletion())
        .map(|c| format!("{}={}", c.name, c.value))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Seal and write every Set-Cookie value into one buffer, as a response would.
/// Seals `s` and writes its `Set-Cookie` values, with the randomness of the runtime that uses
/// the provider: the tokio runtime's thread-local generator with the default (server) provider,
/// the operating system's (as a device's `CryptoRng` stands in for) with the others.
fn seal_cookies(s: &Session<'_>, key: &jwe::Key, buf: &mut [u8], out: &mut [u8]) -> usize {
    let exp = NOW + 3600;
    let sealed = if core::ptr::eq(key.provider(), crypto::default_provider()) {
        s.seal(key, &mut auth0_edge::tokio::ThreadRng, exp, buf)
    } else {
        s.seal(key, &mut rand_core::OsRng, exp, buf)
    }
    .unwrap();
    let opts = CookieOptions::default();
    let mut w = Writer::new(out, "headers");
    for c in session::set_cookies("__session", sealed, &opts, 3600, NOW, "").unwrap() {
        use core::fmt::Write;
        write!(w, "{c}\r\n").unwrap();
    }
    w.len()
}

fn b64(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len()];
    let n = auth0_edge::codec::base64url::decode(s, &mut out)
        .unwrap()
        .len();
    out.truncate(n);
    out
}

/// The bench name for `provider`: the plain name for the default provider.
fn named(name: &str, provider: &CryptoProvider) -> String {
    if core::ptr::eq(provider, crypto::default_provider()) {
        name.to_string()
    } else {
        format!("{name} [{}]", provider.name)
    }
}

fn sessions(c: &mut Criterion) {
    for &p in crypto::all_providers() {
        sessions_with(c, p);
    }
}

fn sessions_with(c: &mut Criterion, p: &'static CryptoProvider) {
    let key = jwe::Key::from_secret_with(p, SECRET).unwrap();
    for (label, file) in [("1k", "session-1k.json"), ("4k", "session-4k.json")] {
        let json = doc(file);
        let header = cookie_header(&json, &key);
        let mut buf = vec![0u8; 32 * 1024];
        c.bench_function(&named(&format!("session open {label}"), p), |b| {
            b.iter(|| {
                let opened =
                    session::open(black_box(&header), "__session", &key, NOW, &mut buf).unwrap();
                black_box(opened.session.token_set.expires_at);
            })
        });
        let opened = Session::parse(&json).unwrap();
        let mut out = vec![0u8; 32 * 1024];
        c.bench_function(&named(&format!("session seal {label}"), p), |b| {
            b.iter(|| {
                black_box(seal_cookies(
                    black_box(&opened.session),
                    &key,
                    &mut buf,
                    &mut out,
                ))
            })
        });
    }
}

fn chunking(c: &mut Criterion) {
    let value = "x".repeat(5600);
    let opts = CookieOptions::default();
    let mut out = vec![0u8; 16 * 1024];
    c.bench_function("chunk split 5.6k", |b| {
        b.iter(|| {
            let mut w = Writer::new(&mut out, "headers");
            for c in chunk::write("__session", black_box(&value), &opts, 3600, NOW, "").unwrap() {
                use core::fmt::Write;
                write!(w, "{c}\r\n").unwrap();
            }
            black_box(w.len())
        })
    });
    let header = format!(
        "__session__1={}; __session__0={}",
        &value[3500..],
        &value[..3500]
    );
    let mut buf = vec![0u8; 8192];
    c.bench_function("chunk join 5.6k", |b| {
        b.iter(|| {
            black_box(
                chunk::join(black_box(&header), "__session", &mut buf)
                    .unwrap()
                    .len(),
            )
        })
    });
}

fn jose(c: &mut Criterion) {
    c.bench_function("pkce", |b| {
        b.iter(|| black_box(pkce::Pkce::generate(&mut auth0_edge::tokio::ThreadRng)))
    });
    c.bench_function("hkdf key derivation", |b| {
        b.iter(|| black_box(jwe::Key::from_secret(black_box(SECRET)).unwrap()))
    });
    let rng_pair = EcKeyPair::generate(&mut rand_core::OsRng);
    for &p in crypto::all_providers() {
        jose_with(c, p, &rng_pair);
    }
}

fn jose_with(c: &mut Criterion, p: &'static CryptoProvider, pair: &EcKeyPair) {
    let pair = pair.with_provider(p);
    let payload = br#"{"iat":1800000000,"jti":"0123456789012345678901234567890123456789012","htm":"POST","htu":"https://tenant.auth0.com/oauth/token"}"#;
    let mut out = [0u8; 1024];
    if p.name == "rust-crypto" {
        c.bench_function("p256 bare sign", |b| {
            b.iter(|| {
                let s: Signature = pair.signing_key().sign(black_box(payload));
                black_box(s)
            })
        });
    }
    c.bench_function(&named("es256 sign", p), |b| {
        b.iter(|| {
            black_box(
                jws::sign_es256(&pair, br#"{"alg":"ES256"}"#, black_box(payload), &mut out)
                    .unwrap()
                    .len(),
            )
        })
    });
    let token = jws::sign_es256(pair.signing_key(), br#"{"alg":"ES256"}"#, payload, &mut out)
        .unwrap()
        .to_string();
    let public = pair.public_key();
    let mut buf = [0u8; 1024];
    c.bench_function(&named("es256 verify", p), |b| {
        b.iter(|| {
            black_box(
                jws::verify_with(
                    p,
                    black_box(&token),
                    public.as_jws_key(),
                    &[Algorithm::ES256],
                    &mut buf,
                )
                .is_ok(),
            )
        })
    });
    let dp = dpop::Dpop::new(pair.clone());
    let req = dpop::Request {
        htm: "POST",
        htu: "https://tenant.auth0.com/oauth/token",
        ..Default::default()
    };
    c.bench_function(&named("dpop proof", p), |b| {
        b.iter(|| {
            black_box(
                dp.proof(black_box(&req), NOW, &mut rand_core::OsRng, &mut out)
                    .unwrap()
                    .len(),
            )
        })
    });

    let v: serde_json::Value =
        serde_json::from_str(include_str!("../tests/vectors/rfc7515.json")).unwrap();
    let rsa = Jwk::parse(&v["a2_rs256"]["jwk"].to_string())
        .unwrap()
        .public_key()
        .unwrap();
    let rs_token = v["a2_rs256"]["jws"].as_str().unwrap().to_string();
    c.bench_function(&named("rs256-2048 verify", p), |b| {
        b.iter(|| {
            black_box(
                jws::verify_with(
                    p,
                    black_box(&rs_token),
                    rsa.as_jws_key(),
                    &[Algorithm::RS256],
                    &mut buf,
                )
                .is_ok(),
            )
        })
    });
    if p.name == "ring" {
        // Reference: *ring*'s own RSA verification (it allocates and rebuilds the modulus'
        // Montgomery constants for every signature), against the crate's (kept with the key).
        let (input, sig) = rs_token.rsplit_once('.').unwrap();
        let sig = b64(sig);
        let jwk = &v["a2_rs256"]["jwk"];
        let n = b64(jwk["n"].as_str().unwrap());
        let e = b64(jwk["e"].as_str().unwrap());
        let key = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        c.bench_function("ring bare rs256-2048 verify (reference)", |b| {
            b.iter(|| {
                black_box(
                    key.verify(
                        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                        black_box(input.as_bytes()),
                        &sig,
                    )
                    .is_ok(),
                )
            })
        });
    }
}

criterion_group!(benches, sessions, chunking, jose);
criterion_main!(benches);
