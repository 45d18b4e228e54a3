//! The `auth0-edge` command-line tool: outputs, exit statuses and one-line reasons.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::json::Object;
use auth0_edge::jose::jwe;
use auth0_edge::jose::jwk::{EcKeyPair, PublicKey};
use auth0_edge::jose::jws::{self, Algorithm};
use std::io::Write;
use std::process::{Command, Output, Stdio};

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";

fn run(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auth0-edge"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env_remove("AUTH0_SECRET")
        .env_remove("AUTH0_DPOP_PRIVATE_KEY")
        .env_remove("AUTH0_DPOP_PUBLIC_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // The tool may exit (on a usage error) before reading stdin: a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Asserts exit status 1 and a one-line reason containing `reason`.
fn fails(o: &Output, reason: &str) {
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(reason), "{err:?} should contain {reason:?}");
}

fn vector(name: &str) -> serde_json::Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn seal_raw(json: &str) -> String {
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut p = json.as_bytes().to_vec();
    let mut out = vec![0u8; 4096];
    jwe::seal(&key, &mut rand_core::OsRng, &mut p, &mut out)
        .unwrap()
        .to_string()
}

#[test]
fn cookie_open_reads_sdk_cookies() {
    let env = [("AUTH0_SECRET", SECRET)];
    for name in [
        "session-small.json",
        "session-chunked.json",
        "session-unicode.json",
    ] {
        let v = vector(name);
        let out = ok(&run(
            &["cookie", "open"],
            v["cookie_header"].as_str().unwrap(),
            &env,
        ));
        let got: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(got, v["session"], "{name}");
    }
    // A bare value, and a header copied with its `Cookie:` prefix.
    let v = vector("session-small.json");
    let out = ok(&run(
        &["cookie", "open"],
        v["value"].as_str().unwrap(),
        &env,
    ));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        v["session"]
    );
    let header = format!("Cookie: {}", v["cookie_header"].as_str().unwrap());
    ok(&run(&["cookie", "open"], &header, &env));
}

#[test]
fn cookie_open_reasons() {
    let v = vector("session-small.json");
    let header = v["cookie_header"].as_str().unwrap();
    fails(
        &run(&["cookie", "open"], header, &[]),
        "AUTH0_SECRET is not set",
    );
    fails(
        &run(&["cookie", "open"], header, &[("AUTH0_SECRET", "short")]),
        "at least 32",
    );
    let other = [(
        "AUTH0_SECRET",
        "another-secret-that-is-at-least-32-characters",
    )];
    fails(
        &run(&["cookie", "open"], header, &other),
        "wrong secret or tampered",
    );
    let env = [("AUTH0_SECRET", SECRET)];
    let expired = seal_raw(r#"{"user":{},"tokenSet":{},"exp":1000}"#);
    fails(&run(&["cookie", "open"], &expired, &env), "expired");
    let chunked = vector("session-chunked.json");
    let gap: Vec<&str> = chunked["cookie_header"]
        .as_str()
        .unwrap()
        .split("; ")
        .filter(|c| !c.starts_with("__session__1="))
        .collect();
    fails(
        &run(&["cookie", "open"], &gap.join("; "), &env),
        "missing chunk",
    );
    let stateful = seal_raw(r#"{"id":"0123456789abcdef0123456789abcdef","exp":4102444800}"#);
    fails(
        &run(&["cookie", "open"], &stateful, &env),
        "not a session cookie",
    );
    fails(
        &run(&["cookie", "open"], "garbage", &env),
        "not a session cookie",
    );
    fails(
        &run(&["cookie", "open"], "a=1; b=2", &env),
        "not a session cookie",
    );
}

#[test]
fn cookie_seal_then_open() {
    let env = [("AUTH0_SECRET", SECRET)];
    let v = vector("session-chunked.json");
    let session = v["session"].to_string();
    let out = ok(&run(
        &["cookie", "seal", "--max-age", "600"],
        &session,
        &env,
    ));
    let lines: Vec<&str> = out.lines().collect();
    // 14 KB: five chunks (no request, so nothing to delete).
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("__session__0=eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0.."));
    assert!(lines[0].contains("; Max-Age=600; HttpOnly; SameSite=lax"));
    assert!(lines.iter().all(|l| !l.contains("Max-Age=0")));
    let header: Vec<&str> = lines[..5]
        .iter()
        .map(|l| l.split("; ").next().unwrap())
        .collect();
    let back = ok(&run(&["cookie", "open"], &header.join("; "), &env));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&back).unwrap(),
        v["session"]
    );

    let named = ok(&run(
        &["cookie", "seal", "--name", "app_session"],
        r#"{"user":{"sub":"x"},"tokenSet":{}}"#,
        &env,
    ));
    assert!(named.starts_with("app_session=eyJ"));
    assert!(named.contains("; Max-Age=86400;"));
    fails(&run(&["cookie", "seal"], "{not json", &env), "not JSON");
    fails(
        &run(&["cookie", "seal"], r#"{"tokenSet":{}}"#, &env),
        "not a session document",
    );
    fails(
        &run(
            &["cookie", "seal", "--max-age", "soon"],
            r#"{"user":{},"tokenSet":{}}"#,
            &env,
        ),
        "--max-age",
    );
    fails(
        &run(&["cookie", "seal", "--bogus", "1"], "{}", &env),
        "unknown argument",
    );
}

#[test]
fn pkce_pair() {
    let out = ok(&run(&["pkce"], "", &[]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].len(), 43);
    assert_eq!(
        auth0_edge::oauth::pkce::challenge(lines[0]).as_str(),
        lines[1]
    );
}

#[test]
fn dpop_keygen_and_proof() {
    let pem = ok(&run(&["dpop", "keygen"], "", &[]));
    let split = pem.find("-----BEGIN PUBLIC KEY-----").unwrap();
    let (private, public) = pem.split_at(split);
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
    let pair = EcKeyPair::from_pem(private, Some(public)).unwrap();
    let env = [
        ("AUTH0_DPOP_PRIVATE_KEY", private),
        ("AUTH0_DPOP_PUBLIC_KEY", public),
    ];
    let proof = ok(&run(
        &[
            "dpop",
            "proof",
            "--htm",
            "post",
            "--htu",
            "https://t.example/oauth/token?a=b",
            "--nonce",
            "n1",
            "--ath",
            "at",
        ],
        "",
        &env,
    ));
    let mut buf = [0u8; 2048];
    let public_key = pair.public_key();
    let v = jws::verify(
        proof.trim(),
        public_key.as_jws_key(),
        &[Algorithm::ES256],
        &mut buf,
    )
    .unwrap();
    assert_eq!(v.header.typ.unwrap(), "dpop+jwt");
    let claims = Object::parse_bytes(v.payload).unwrap();
    assert_eq!(claims.get_str("htm").unwrap(), "POST");
    assert_eq!(
        claims.get_str("htu").unwrap(),
        "https://t.example/oauth/token"
    );
    assert_eq!(claims.get_str("nonce").unwrap(), "n1");
    assert!(claims.get_str("ath").is_some());

    fails(
        &run(&["dpop", "proof", "--htm", "GET"], "", &env),
        "--htu is required",
    );
    fails(
        &run(
            &["dpop", "proof", "--htm", "GET", "--htu", "https://x"],
            "",
            &[],
        ),
        "AUTH0_DPOP_PRIVATE_KEY is not set",
    );
    let other = ok(&run(&["dpop", "keygen"], "", &[]));
    let other_public = &other[other.find("-----BEGIN PUBLIC KEY-----").unwrap()..];
    let mismatched = [
        ("AUTH0_DPOP_PRIVATE_KEY", private),
        ("AUTH0_DPOP_PUBLIC_KEY", other_public),
    ];
    fails(
        &run(
            &["dpop", "proof", "--htm", "GET", "--htu", "https://x"],
            "",
            &mismatched,
        ),
        "do not match",
    );
}

#[test]
fn jwt_verify_checks_signature_and_claims() {
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    let PublicKey::Ec(_) = pair.public_key() else {
        unreachable!()
    };
    let mut jwk = vec![0u8; 256];
    let mut w = Writer::new(&mut jwk, "t");
    pair.public_key().write_jwk(&mut w).unwrap();
    let jwk = w.as_str().replacen('{', r#"{"kid":"k1","#, 1);
    let dir = std::env::temp_dir().join(format!("auth0-edge-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks = dir.join("jwks.json");
    std::fs::write(&jwks, format!(r#"{{"keys":[{jwk}]}}"#)).unwrap();
    let jwks = jwks.to_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sign = |claims: &str| {
        let mut out = vec![0u8; 1024];
        jws::sign_es256(
            pair.signing_key(),
            br#"{"alg":"ES256","kid":"k1"}"#,
            claims.as_bytes(),
            &mut out,
        )
        .unwrap()
        .to_string()
    };
    let claims = format!(
        r#"{{"iss":"https://t.example/","aud":["api","other"],"sub":"u","iat":{now},"exp":{}}}"#,
        now + 60
    );
    let token = sign(&claims);
    let out = ok(&run(
        &[
            "jwt",
            "verify",
            "--jwks",
            jwks,
            "--iss",
            "https://t.example/",
            "--aud",
            "api",
        ],
        &token,
        &[],
    ));
    assert_eq!(out.trim(), claims);
    fails(
        &run(
            &[
                "jwt",
                "verify",
                "--jwks",
                jwks,
                "--iss",
                "https://t.example",
            ],
            &token,
            &[],
        ),
        "iss",
    );
    fails(
        &run(
            &["jwt", "verify", "--jwks", jwks, "--aud", "nope"],
            &token,
            &[],
        ),
        "aud",
    );
    fails(
        &run(
            &["jwt", "verify", "--jwks", jwks, "--alg", "RS256"],
            &token,
            &[],
        ),
        "not among the allowed",
    );
    fails(
        &run(
            &["jwt", "verify", "--jwks", jwks, "--alg", "none"],
            &token,
            &[],
        ),
        "none",
    );
    let expired = sign(&format!(r#"{{"exp":{}}}"#, now - 10));
    fails(
        &run(&["jwt", "verify", "--jwks", jwks], &expired, &[]),
        "expired",
    );
    let mut tampered = token.clone().into_bytes();
    let i = token.rfind('.').unwrap() + 3;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    fails(
        &run(
            &["jwt", "verify", "--jwks", jwks],
            &String::from_utf8(tampered).unwrap(),
            &[],
        ),
        "does not verify",
    );
    let wrong_kid = {
        let mut out = vec![0u8; 1024];
        jws::sign_es256(
            pair.signing_key(),
            br#"{"alg":"ES256","kid":"k2"}"#,
            claims.as_bytes(),
            &mut out,
        )
        .unwrap()
        .to_string()
    };
    fails(
        &run(&["jwt", "verify", "--jwks", jwks], &wrong_kid, &[]),
        "no key in the JWKS",
    );
    fails(
        &run(
            &["jwt", "verify", "--jwks", "/nonexistent/jwks.json"],
            &token,
            &[],
        ),
        "cannot read",
    );
    std::fs::remove_dir_all(&dir).ok();
}
