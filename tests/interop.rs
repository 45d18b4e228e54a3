//! Interoperability with the real `@auth0/nextjs-auth0` 4.30.0, both ways: cookies the SDK
//! makes (`generateSessionCookie`, `encrypt` + `setChunkedCookie`) open here, and cookies sealed
//! here open in the SDK (`getChunkedCookie` + `decrypt`) to the same plaintext.
//!
//! The SDK is installed from `tests/interop/package-lock.json` (`npm ci`) on first use; this
//! needs Node.js 20+ and npm.

use auth0_edge::cookie::CookieOptions;
use auth0_edge::jose::jwe;
use auth0_edge::session::{self, Session};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop")
}

/// Installs the SDK once (`npm ci`) if `node_modules` is missing.
fn sdk_installed() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let dir = interop_dir();
        if dir
            .join("node_modules/@auth0/nextjs-auth0/package.json")
            .exists()
        {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is required for the interop tests (Node.js 20+); install Node.js and npm");
        assert!(status.success(), "npm ci in tests/interop failed");
    });
}

fn node(script: &str, input: &Value) -> Value {
    sdk_installed();
    let mut child = Command::new("node")
        .arg(script)
        .current_dir(interop_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node is required for the interop tests");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sessions() -> Vec<(&'static str, Value)> {
    let claims: serde_json::Map<String, Value> = (0..250)
        .map(|i| {
            (
                format!("https://example.com/claim_{i}"),
                json!(format!("value {i} value {i} value {i}")),
            )
        })
        .collect();
    let mut big_user = json!({"sub": "user_big", "name": "Big"});
    big_user.as_object_mut().unwrap().extend(claims);
    vec![
        (
            "small",
            json!({
                "user": {"sub": "user_123", "name": "Test User", "email": "u@example.com", "email_verified": true},
                "tokenSet": {"accessToken": "at-1", "idToken": "eyJ.id.token", "scope": "openid profile email offline_access",
                    "requestedScope": "openid profile email offline_access", "refreshToken": "rt-1", "expiresAt": 1_900_000_000},
                "internal": {"sid": "sid-1", "createdAt": 1_795_800_000}
            }),
        ),
        (
            "chunked",
            json!({
                "user": big_user,
                "tokenSet": {"accessToken": "at-2", "refreshToken": "rt-2", "expiresAt": 1_900_000_000},
                "accessTokens": [{"accessToken": "at-api", "expiresAt": 1_900_000_100, "audience": "https://api.example.com",
                    "scope": "read:data", "requestedScope": "openid read:data", "token_type": "dpop"}],
                "internal": {"sid": "sid-2", "createdAt": 1_795_800_000},
                "custom": {"kept": [1, 2, 3]}
            }),
        ),
        (
            "unicode",
            json!({
                "user": {"sub": "auth0|ünïcødé", "name": "Zoë Ångström 名前 🚀", "nickname": "zoë \"quoted\" \\ backslash\n\t\u{1}",
                    "line_sep": "a\u{2028}b"},
                "tokenSet": {"accessToken": "at-3", "expiresAt": 1_900_000_000},
                "internal": {"sid": "s", "createdAt": 1_795_800_000}
            }),
        ),
    ]
}

/// The key of [`SECRET`] for each crypto provider of this build: every test runs against each.
fn keys() -> Vec<jwe::Key> {
    auth0_edge::crypto::all_providers()
        .iter()
        .map(|p| jwe::Key::from_secret_with(p, SECRET).unwrap())
        .collect()
}

#[test]
fn sdk_cookies_open_here() {
    for key in keys() {
        for (name, session) in sessions() {
            for chunked in [false, true] {
                let out = node(
                    "sdk-seal.mjs",
                    &json!({"secret": SECRET, "session": session, "chunked": chunked, "maxAge": 86400}),
                );
                let header = out["cookie_header"].as_str().unwrap();
                if name == "chunked" {
                    assert!(header.contains("__session__2="), "{name}: 3+ chunks");
                }
                let mut buf = vec![0u8; 128 * 1024];
                let opened = session::open(header, "__session", &key, now(), &mut buf)
                    .unwrap_or_else(|e| panic!("{name} chunked={chunked}: {e}"));
                let mut json_buf = vec![0u8; 128 * 1024];
                let ours: Value =
                    serde_json::from_str(opened.session.to_json(&mut json_buf, None).unwrap())
                        .unwrap();
                // Every session here has its own `internal`, which generateSessionCookie keeps.
                assert_eq!(ours, session, "{name} chunked={chunked}");
            }
        }
    }
}

#[test]
fn cookies_sealed_here_open_in_the_sdk() {
    for key in keys() {
        for (name, session) in sessions() {
            let text = session.to_string();
            let opened = Session::parse(&text).unwrap();
            let now = now();
            let mut buf = vec![0u8; 128 * 1024];
            let sealed = opened
                .session
                .seal(&key, &mut rand_core::OsRng, now + 86_400, &mut buf)
                .unwrap();
            let opts = CookieOptions::default();
            let lines: Vec<String> =
                session::set_cookies("__session", sealed, &opts, 86_400, now, "")
                    .unwrap()
                    .map(|c| c.to_string())
                    .collect();
            let header = lines
                .iter()
                .filter(|l| !l.contains("Max-Age=0"))
                .map(|l| l.split("; ").next().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("; ");
            if name == "chunked" {
                assert!(header.contains("__session__2="), "3+ chunks");
            }
            let out = node(
                "sdk-open.mjs",
                &json!({"secret": SECRET, "cookie_header": header}),
            );
            assert_eq!(out["ok"], json!(true), "{name}: {out}");
            assert_eq!(
                out["protected_header"],
                json!({"enc": "A256GCM", "alg": "dir"})
            );
            // The SDK decrypts exactly the JSON written here, `exp` last.
            let mut json_buf = vec![0u8; 128 * 1024];
            let ours = opened
                .session
                .to_json(&mut json_buf, Some(now + 86_400))
                .unwrap();
            assert_eq!(out["plaintext"].as_str().unwrap(), ours, "{name}");
            let mut payload = out["payload"].clone();
            assert_eq!(
                payload.as_object_mut().unwrap().remove("exp"),
                Some(json!(now + 86_400))
            );
            assert_eq!(payload, session, "{name}");
            let keys: Vec<&str> = out["payload_keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            assert_eq!(keys.last(), Some(&"exp"));
        }
    }
}

#[test]
fn the_sdk_refuses_what_we_refuse() {
    // A cookie sealed with another secret: the SDK sees no session, and neither do we.
    let other = jwe::Key::from_secret("another-secret-that-is-at-least-32-characters").unwrap();
    let (_, session) = sessions().remove(0);
    let text = session.to_string();
    let opened = Session::parse(&text).unwrap();
    let mut buf = vec![0u8; 16 * 1024];
    let sealed = opened
        .session
        .seal(&other, &mut rand_core::OsRng, now() + 60, &mut buf)
        .unwrap();
    let header = format!("__session={sealed}");
    let out = node(
        "sdk-open.mjs",
        &json!({"secret": SECRET, "cookie_header": header}),
    );
    assert_eq!(out["ok"], json!(false));
    for key in keys() {
        let mut buf2 = vec![0u8; 16 * 1024];
        assert!(session::open(&header, "__session", &key, now(), &mut buf2).is_err());
    }
    // Both see a gap in the chunks as no cookie.
    let out = node(
        "sdk-open.mjs",
        &json!({"secret": SECRET, "cookie_header": "__session__0=abc; __session__2=def"}),
    );
    assert_eq!(out["sdk_result"], json!("no_cookie"));
}
