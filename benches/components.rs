//! Where the time of a 4 KB session goes: base64url, AES-GCM, JSON validation, parsing and
//! writing, each alone. `cargo bench --bench components`; see BENCHMARKS.md.

use auth0_edge::codec::base64url;
use auth0_edge::codec::json::Object;
use auth0_edge::jose::jwe;
use auth0_edge::session::Session;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
fn b(c: &mut Criterion) {
    let json = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/sessions/session-4k.json"
    ))
    .unwrap();
    let key = jwe::Key::from_secret("a-test-secret-that-is-at-least-32-characters-long!").unwrap();
    let mut p = json.clone().into_bytes();
    let mut out = vec![0u8; 16384];
    let sealed = jwe::seal(&key, &mut rand_core::OsRng, &mut p, &mut out)
        .unwrap()
        .to_string();
    let ct = sealed.split('.').nth(3).unwrap().to_string();
    let mut buf = vec![0u8; 16384];
    c.bench_function("b64 decode 5.5k", |b| {
        b.iter(|| black_box(base64url::decode(black_box(&ct), &mut buf).unwrap().len()))
    });
    let raw = vec![7u8; 4096];
    c.bench_function("b64 encode 4k", |b| {
        b.iter(|| black_box(base64url::encode(black_box(&raw), &mut buf).unwrap().len()))
    });
    c.bench_function("jwe open 4k", |b| {
        b.iter(|| black_box(jwe::open(&key, black_box(&sealed), &mut buf).unwrap().len()))
    });
    c.bench_function("json validate 4k", |b| {
        b.iter(|| black_box(Object::parse(black_box(&json)).unwrap()))
    });
    c.bench_function("session parse 4k", |b| {
        b.iter(|| black_box(Session::parse(black_box(&json)).unwrap().exp))
    });
    let s = Session::parse(&json).unwrap();
    c.bench_function("session write 4k", |b| {
        b.iter(|| black_box(s.session.to_json(&mut buf, Some(1)).unwrap().len()))
    });
    let mut p2 = json.clone().into_bytes();
    c.bench_function("jwe seal 4k", |b| {
        b.iter(|| {
            black_box(
                jwe::seal(&key, &mut rand_core::OsRng, &mut p2, &mut out)
                    .unwrap()
                    .len(),
            )
        })
    });
}
criterion_group!(g, b);
criterion_main!(g, g2);
fn aes(c: &mut Criterion) {
    use aes_gcm::aead::AeadInPlace;
    use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
    let cipher = Aes256Gcm::new(&[1u8; 32].into());
    let mut data = vec![7u8; 4096];
    c.bench_function("aes-gcm encrypt 4k", |b| {
        b.iter(|| {
            black_box(
                cipher
                    .encrypt_in_place_detached(Nonce::from_slice(&[0u8; 12]), b"aad", &mut data)
                    .unwrap(),
            )
        })
    });
}
criterion_group!(g2, aes);
