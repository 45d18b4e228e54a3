//! Byte compatibility with `@auth0/nextjs-auth0` 4.30.0, checked against the vectors its own
//! cookie code wrote (`tests/vectors`, copied from the project's shared vectors).
//!
//! AES-GCM is deterministic for a given key, IV and plaintext, so re-sealing a vector's
//! session with the vector's IV must give the SDK's value byte for byte, and the `Set-Cookie`
//! lines must then be identical too.

use auth0_edge::codec::base64url;
use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::json::Object;
use auth0_edge::cookie::{CookieOptions, SetCookie};
use auth0_edge::jose::jwe;
use auth0_edge::oauth::transaction::{self, Transaction};
use auth0_edge::session;
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = format!("{}/tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The vectors' key, once per crypto provider of this build: every test runs against each.
fn keys() -> Vec<jwe::Key> {
    let index = vector("index.json");
    let secret = index["secret"].as_str().unwrap();
    auth0_edge::crypto::all_providers()
        .iter()
        .map(|p| jwe::Key::from_secret_with(p, secret).unwrap())
        .collect()
}

/// The IV of a compact JWE.
fn iv_of(compact: &str) -> [u8; 12] {
    base64url::decode_array(compact.split('.').nth(2).unwrap()).unwrap()
}

/// `now` at which the SDK wrote `set_cookie`: its Expires minus Max-Age.
fn written_at(set_cookie: &str) -> i64 {
    let expires = set_cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Expires="))
        .unwrap();
    let max_age: i64 = set_cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .unwrap()
        .parse()
        .unwrap();
    // Find the Unix time whose HTTP date is `expires` (within the vectors' year).
    let mut lo = 1_700_000_000i64;
    let mut hi = 2_000_000_000i64;
    let target = parse_http_date(expires);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if mid < target { lo = mid + 1 } else { hi = mid }
    }
    lo - max_age
}

fn parse_http_date(s: &str) -> i64 {
    // "Sat, 28 Nov 2026 23:00:48 GMT"
    let p: Vec<&str> = s.split([' ', ':']).collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (d, m, y): (i64, i64, i64) = (
        p[1].parse().unwrap(),
        months.iter().position(|x| *x == p[2]).unwrap() as i64 + 1,
        p[3].parse().unwrap(),
    );
    let (hh, mm, ss): (i64, i64, i64) = (
        p[4].parse().unwrap(),
        p[5].parse().unwrap(),
        p[6].parse().unwrap(),
    );
    // days_from_civil
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

const NOW: i64 = 1_800_000_000;

#[test]
fn sdk_session_cookies_open_and_reseal_byte_for_byte() {
    for key in keys() {
        for name in [
            "session-small.json",
            "session-mrrt.json",
            "session-unicode.json",
            "session-chunked.json",
        ] {
            let v = vector(name);
            let header = v["cookie_header"].as_str().unwrap();
            let value = v["value"].as_str().unwrap();
            let payload = v["payload_json"].as_str().unwrap();

            // Open the cookie header the browser would send (chunks joined).
            let mut buf = vec![0u8; 32 * 1024];
            let opened = session::open(header, "__session", &key, NOW, &mut buf).unwrap();
            assert_eq!(opened.exp, Some(4_102_444_800), "{name}");

            // Same document as the SDK's input.
            let expected: Value = v["session"].clone();
            let mut json = vec![0u8; 32 * 1024];
            let ours = opened.session.to_json(&mut json, None).unwrap();
            assert_eq!(
                serde_json::from_str::<Value>(ours).unwrap(),
                expected,
                "{name}"
            );

            // Byte-identical plaintext, `exp` last.
            let mut json = vec![0u8; 32 * 1024];
            let with_exp = opened.session.to_json(&mut json, opened.exp).unwrap();
            assert_eq!(with_exp, payload, "{name}");

            // Same IV, same bytes: the sealed value equals the SDK's.
            let mut plaintext = with_exp.as_bytes().to_vec();
            let mut out = vec![0u8; 32 * 1024];
            let sealed = jwe::seal_with_iv(&key, &iv_of(value), &mut plaintext, &mut out).unwrap();
            assert_eq!(sealed, value, "{name}");

            // And the Set-Cookie lines, chunks and deletions included, are the SDK's.
            let sdk_lines: Vec<&str> = v["set_cookie"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            let now = written_at(sdk_lines.iter().find(|l| l.contains("Expires=")).unwrap());
            let opts = CookieOptions::default();
            let ours: Vec<String> =
                session::set_cookies("__session", sealed, &opts, 86_400, now, "")
                    .unwrap()
                    .map(|c: SetCookie<'_>| c.to_string())
                    .collect();
            // The SDK also deletes `__session__0..4` (and the base cookie when chunked) whether
            // the request had them or not; a request without cookies gets no deletions from us.
            let sdk_writes: Vec<&str> = sdk_lines
                .iter()
                .copied()
                .filter(|l| !l.contains("Max-Age=0"))
                .collect();
            assert_eq!(ours, sdk_writes, "{name}");
            assert!(
                sdk_lines.len() > sdk_writes.len(),
                "{name}: the SDK's deletions"
            );
            // With those cookies in the request, the deletions are the SDK's, byte for byte.
            let request: Vec<String> = sdk_lines
                .iter()
                .filter(|l| l.contains("Max-Age=0"))
                .map(|l| format!("{}old", l.split("; ").next().unwrap()))
                .collect();
            let ours: Vec<String> =
                session::set_cookies("__session", sealed, &opts, 86_400, now, &request.join("; "))
                    .unwrap()
                    .map(|c: SetCookie<'_>| c.to_string())
                    .collect();
            assert_eq!(
                ours, sdk_lines,
                "{name}: with the stale cookies in the request"
            );
        }
    }
}

#[test]
fn sdk_single_cookie_value_opens_bare() {
    // The CLI and testing helpers also accept a bare value: a header of one `__session`.
    for key in keys() {
        let v = vector("session-small.json");
        let header = format!("__session={}", v["value"].as_str().unwrap());
        let mut buf = [0u8; 4096];
        let opened = session::open(&header, "__session", &key, NOW, &mut buf).unwrap();
        assert_eq!(
            opened.session.user.get_str("email").unwrap(),
            "user_123@example.com"
        );
        assert_eq!(opened.session.token_set.refresh_token.unwrap(), "rt-789");
        assert_eq!(opened.session.internal.sid.unwrap(), "sid-abc");
        assert_eq!(opened.session.internal.created_at, Some(1_795_800_000));
    }
}

#[test]
fn mrrt_and_extra_members_are_typed() {
    for key in keys() {
        let v = vector("session-mrrt.json");
        let mut buf = [0u8; 8192];
        let opened = session::open(
            v["cookie_header"].as_str().unwrap(),
            "__session",
            &key,
            NOW,
            &mut buf,
        )
        .unwrap();
        let s = &opened.session;
        assert_eq!(s.token_set.token_type.unwrap(), "bearer");
        assert_eq!(s.token_set.audience.unwrap(), "https://api.example.com");
        assert_eq!(s.access_tokens.len(), 1);
        assert_eq!(s.access_tokens[0].token_type.unwrap(), "dpop");
        assert_eq!(s.access_tokens[0].expires_at, Some(1_900_000_100));
        assert_eq!(
            s.raw
                .unwrap()
                .get_object("customTopLevel")
                .unwrap()
                .get_bool("kept"),
            Some(true)
        );
    }
}

#[test]
fn unicode_claims_read_back() {
    for key in keys() {
        let v = vector("session-unicode.json");
        let mut buf = [0u8; 8192];
        let opened = session::open(
            v["cookie_header"].as_str().unwrap(),
            "__session",
            &key,
            NOW,
            &mut buf,
        )
        .unwrap();
        let user = opened.session.user;
        assert_eq!(user.get_str("sub").unwrap(), "auth0|ünïcødé");
        assert_eq!(
            user.get_str("name").unwrap().to_string(),
            "Zoë Ångström 名前 🚀"
        );
        assert_eq!(
            user.get_str("nickname").unwrap(),
            "zoë \"quoted\" \\ backslash\n"
        );
    }
}

#[test]
fn sdk_transaction_cookie_round_trips() {
    for key in keys() {
        let v = vector("transaction.json");
        let value = v["value"].as_str().unwrap();
        let mut buf = [0u8; 4096];
        let opened = transaction::open(&key, value, NOW, &mut buf).unwrap();
        assert_eq!(opened.created_at, 1_795_819_225);
        let t: Transaction<'_> = opened.transaction;
        let want = &v["transaction"];
        assert_eq!(t.nonce, want["nonce"].as_str().unwrap());
        assert_eq!(t.code_verifier, want["codeVerifier"].as_str().unwrap());
        assert_eq!(t.state, want["state"].as_str().unwrap());
        assert_eq!(t.return_to, "/dashboard?tab=1");
        assert_eq!(t.scope.unwrap(), "openid profile email offline_access");
        assert_eq!(t.audience.unwrap(), "https://api.example.com");

        // The cookie as a browser sends it back (colon percent-encoded) decodes to the same value.
        let header = format!(
            "{}={}",
            v["cookie_name"].as_str().unwrap(),
            v["wire_value"].as_str().unwrap()
        );
        let c = auth0_edge::cookie::get(&header, v["cookie_name"].as_str().unwrap()).unwrap();
        let mut dec = [0u8; 2048];
        assert_eq!(c.decode_into(&mut dec).unwrap(), value);

        // Re-seal with the same IV and ts: the same bytes as the SDK's.
        let (_, compact) = transaction::split_value(value);
        let mut plain = [0u8; 1024];
        let claims = jwe::open(&key, compact, &mut plain).unwrap();
        let exp = Object::parse_bytes(claims).unwrap().get_i64("exp").unwrap();
        assert_eq!(exp, vector("index.json")["exp"].as_i64().unwrap());
        let mut json = [0u8; 1024];
        let mut w = Writer::new(&mut json, "t");
        t.write_json(&mut w, Some(exp)).unwrap();
        assert_eq!(w.as_str().as_bytes(), claims);
    }
}
