//! Property tests: `returnTo` never leaves the application's origin, and the authorization URL
//! always carries the protected parameters exactly once, whatever the request adds.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::url::{Url, safe_return_to};
use auth0_edge::config::{AuthorizationParameters, ClientAuth, Config, Pairs, Scope, Strs};
use auth0_edge::oauth::authorize::{self, PROTECTED, Secrets};
use proptest::prelude::*;

const BASE: &str = "https://app.example.com/base/";

fn pieces() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "/",
        "//",
        "\\",
        "/\\",
        "\\\\",
        ":",
        "https:",
        "http:",
        "javascript:",
        "data:",
        "evil.com",
        "app.example.com",
        "@",
        "?",
        "#",
        "%2f",
        "%5c",
        "%2e%2e",
        "..",
        ".",
        "\t",
        "\n",
        "\r",
        " ",
        "\u{0}",
        "é",
        "x",
        "443",
        ":443",
        ":8443",
        "https://app.example.com",
        "https://evil.com",
        "%0d%0a",
    ]);
    prop::collection::vec(atoms, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn return_to_stays_same_origin(value in prop_oneof![pieces(), any::<String>()]) {
        let mut buf = [0u8; 8192];
        if let Some(path) = safe_return_to(BASE, &value, &mut buf) {
            prop_assert!(path.starts_with('/'), "{value:?} -> {path:?}");
            prop_assert!(!path.starts_with("//"), "{value:?} -> {path:?}");
            prop_assert!(!path.contains('\\'), "{value:?} -> {path:?}");
            prop_assert!(path.bytes().all(|b| b > b' ' && b < 0x7F), "{value:?} -> {path:?}");
            // Appended to the base origin, it is a URL of the same origin.
            let full = format!("https://app.example.com{path}");
            let u = Url::parse(&full).unwrap();
            prop_assert!(u.same_origin(&Url::parse(BASE).unwrap()));
        }
    }

    #[test]
    fn authorize_url_protects_its_parameters(
        keys in prop::collection::vec(prop_oneof![
            prop::sample::select(vec!["client_id", "redirect_uri", "response_type", "code_challenge", "code_challenge_method",
                "state", "nonce", "returnTo", "challengeMode", "scope", "audience", "prompt", "connection", "organization"]).prop_map(String::from),
            "[a-z_%0-9+&=]{1,12}",
        ], 0..10),
        values in prop::collection::vec("[ -~]{0,12}", 10),
    ) {
        let query: Vec<String> = keys.iter().zip(values.iter()).map(|(k, v)| {
            let mut b = vec![0u8; 256];
            let mut w = Writer::new(&mut b, "q");
            auth0_edge::codec::form::push_form(&mut w, v).unwrap();
            format!("{k}={}", w.as_str())
        }).collect();
        let query = query.join("&");
        let extra = [("organization", "org_1")];
        let config = Config {
            authorization_parameters: AuthorizationParameters { scope: Scope::All("openid profile"), audience: Some("https://api"), extra: Pairs::new(&extra) },
            ..Config::new("t.example.com", "cid", ClientAuth::SecretPost("s"), "https://app.example.com")
        };
        let secrets = Secrets { state: "STATE", nonce: "NONCE", code_challenge: "CHALLENGE", dpop_jkt: None };
        let (mut a, mut s) = ([0u8; 512], [0u8; 512]);
        let sources = [query.as_str()];
        let audience = authorize::audience(&config, &sources, &mut a).unwrap();
        let scope = authorize::scope(&config, &sources, audience, &mut s).unwrap();
        let mut buf = vec![0u8; 8192];
        let mut w = Writer::new(&mut buf, "url");
        authorize::write_url(&mut w, "https://t.example.com/authorize", &config, &sources, scope, audience, "https://app.example.com/auth/callback", &secrets).unwrap();
        let url = w.as_str().to_string();
        let q = url.split_once('?').unwrap().1;
        let pairs: Vec<(String, String)> = q.split('&').map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            let mut b1 = vec![0u8; 512];
            let mut b2 = vec![0u8; 512];
            (auth0_edge::codec::form::decode_component(k, &mut b1).unwrap().to_string(), auth0_edge::codec::form::decode_component(v, &mut b2).unwrap().to_string())
        }).collect();
        for p in PROTECTED {
            let found: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k == p).collect();
            prop_assert_eq!(found.len(), 1, "{} in {}", p, url);
        }
        let value = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap();
        prop_assert_eq!(value("client_id"), "cid");
        prop_assert_eq!(value("state"), "STATE");
        prop_assert_eq!(value("nonce"), "NONCE");
        prop_assert_eq!(value("response_type"), "code");
        prop_assert_eq!(value("code_challenge_method"), "S256");
        prop_assert!(!pairs.iter().any(|(k, _)| k == "returnTo" || k == "challengeMode"));
        // Every name appears once, and the protected ones come last, in order.
        let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let tail: Vec<&str> = names.split_off(names.len() - 7);
        prop_assert_eq!(tail, PROTECTED.to_vec());
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(sorted.len(), names.len(), "duplicate names in {}", url);
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile sizes and numbers: the flows answer, they never panic
// ---------------------------------------------------------------------------------------------

use auth0_edge::flow::{Auth0, AuthError};
use auth0_edge::http::Request;
use auth0_edge::runtime::{Entry, FixedClock, MemoryCache, ProviderCache};
use auth0_edge::testing::{FakeProvider, Unreachable, block_on};

const NOW: i64 = 1_800_000_000;
const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";

/// A client whose discovery document is already cached, so a login runs to its end with no
/// network (the transport is down).
fn offline_client() -> Auth0<'static, Unreachable, FixedClock, MemoryCache<16384>> {
    let provider = FakeProvider::new(
        "t.example.com",
        "cid",
        FixedClock(NOW),
        &mut rand_core::OsRng,
    );
    let mut doc = vec![0u8; 4096];
    let mut w = Writer::new(&mut doc, "metadata");
    provider.write_metadata(&mut w).unwrap();
    let cache = MemoryCache::new();
    cache.store(Entry::Discovery, w.as_bytes(), NOW);
    let config = Config {
        secret: SECRET,
        ..Config::new(
            "t.example.com",
            "cid",
            ClientAuth::SecretPost("s"),
            "https://app.example.com",
        )
    };
    Auth0::new(config, Unreachable::default(), FixedClock(NOW), cache).unwrap()
}

fn segment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "x", ".", "..", "%2e%2e", "", "a%2Fb", "%FF", "é", "\\", "%00", "?", "#",
    ])
    .prop_map(String::from)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// returnTo values of up to 1,000 segments and 8 KB: the login redirects (307) with the
    /// value kept or the fallback path, and every other route answers too.
    #[test]
    fn deep_and_long_return_to_values_are_answered(segments in prop::collection::vec(segment(), 0..1000)) {
        let auth0 = offline_client();
        let rt: String = segments.iter().map(|s| format!("%2F{s}")).collect();
        let rt: String = rt.chars().take(8000).collect();
        let path = format!("/auth/login?returnTo={rt}");
        let headers: [(&str, &str); 0] = [];
        let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
        let res = block_on(auth0.login(&Request::get(&path, &headers), &mut rand_core::OsRng, &mut buf));
        match res {
            Ok(r) => prop_assert_eq!(r.status, 307),
            Err(e) => prop_assert!(matches!(e, AuthError::BadRequest(_)), "{e:?}"),
        }
        // The callback and logout read the same query without a panic.
        for route in ["/auth/callback", "/auth/logout", "/auth/access-token"] {
            let path = format!("{route}?returnTo={rt}&state={rt}");
            let _ = block_on(auth0.handle(&Request::get(&path, &headers), &mut rand_core::OsRng, &mut buf));
        }
    }

    /// Login query strings of up to 8 KB of arbitrary parameters are answered.
    #[test]
    fn arbitrary_login_queries_are_answered(query in "[a-zA-Z0-9_%=&+.~/-]{0,8192}") {
        let auth0 = offline_client();
        let path = format!("/auth/login?{query}");
        let headers: [(&str, &str); 0] = [];
        let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
        match block_on(auth0.login(&Request::get(&path, &headers), &mut rand_core::OsRng, &mut buf)) {
            Ok(r) => prop_assert!(matches!(r.status, 307 | 400), "{}", r.status),
            Err(e) => prop_assert!(matches!(e, AuthError::BadRequest(_)), "{e:?}"),
        }
    }
}

fn edge_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MIN + 1),
        Just(-1),
        Just(0),
        Just(NOW),
        Just(i64::MAX - 1),
        Just(i64::MAX),
        any::<i64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Claims, lifetimes and durations at the i64/u64 edges: checked, never overflowed.
    #[test]
    fn numbers_at_the_edges(
        iat in edge_i64(), exp in edge_i64(), nbf in edge_i64(), auth_time in edge_i64(),
        max_age in edge_i64(), now in edge_i64(), leeway in 0i64..1_000_000,
        expires_in in edge_i64(), created_at in edge_i64(), secs in any::<u64>(),
    ) {
        use auth0_edge::codec::json::Object;
        use auth0_edge::oauth::id_token::{Expected, check_claims};
        let text = format!(r#"{{"iss":"i","sub":"s","aud":"c","iat":{iat},"exp":{exp},"nbf":{nbf},"auth_time":{auth_time},"nonce":"n"}}"#);
        let claims = Object::parse(&text).unwrap();
        let expected = Expected { issuer: "i", client_id: "c", nonce: Some("n"), max_age: Some(max_age), leeway, trusted_audiences: Strs::EMPTY };
        let _ = check_claims(&claims, &expected, now);
        let _ = auth0_edge::jose::jwt::check_claims(&claims, &auth0_edge::jose::jwt::Validation { leeway, ..Default::default() }, now);
        let _ = auth0_edge::jose::jwe::check_times(Some(exp), Some(nbf), now);
        let body = format!(r#"{{"access_token":"a","expires_in":{expires_in}}}"#);
        let _ = auth0_edge::oauth::parse_token_response(200, body.as_bytes());
        let body = format!(r#"{{"access_token":"a","expires_in":"{expires_in}"}}"#);
        let _ = auth0_edge::oauth::parse_token_response(200, body.as_bytes());
        let d = auth0_edge::session::Durations { rolling: true, absolute_duration: secs, inactivity_duration: secs / 2, ..Default::default() };
        let _ = d.max_age(Some(created_at), now);
        let opts = auth0_edge::cookie::CookieOptions::default();
        let c = auth0_edge::cookie::SetCookie {
            name: auth0_edge::cookie::CookieName::plain("n"),
            value: "v",
            options: &opts,
            lifetime: auth0_edge::cookie::Lifetime::MaxAge { max_age: secs, now },
        };
        let _ = c.to_string();
    }
}
