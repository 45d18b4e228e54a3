//! Property tests: `returnTo` never leaves the application's origin, and the authorization URL
//! always carries the protected parameters exactly once, whatever the request adds.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::url::{Url, safe_return_to};
use auth0_edge::config::{AuthorizationParameters, ClientAuth, Config, Scope};
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
            authorization_parameters: AuthorizationParameters { scope: Scope::All("openid profile"), audience: Some("https://api"), extra: &extra },
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
