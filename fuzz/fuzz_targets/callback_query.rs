//! The callback: its query and cookies are attacker input. Runs the query helpers, the
//! `returnTo` check, and the whole callback flow (the provider is unreachable) without panics.
#![no_main]
use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::runtime::MemoryCache;
use auth0_edge::flow::Auth0;
use auth0_edge::http::Request;
use auth0_edge::runtime::FixedClock;
use auth0_edge::testing::{Unreachable, block_on};
use auth0_edge::codec::{form, url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let (query, cookie) = text.split_once('\n').unwrap_or((text, ""));
    let mut buf = [0u8; 1024];
    for (k, v) in form::query_pairs(query) {
        let _ = form::decode_component(k, &mut buf);
        let _ = form::decode_component(v, &mut buf);
    }
    let _ = form::query_get(query, "state");
    if let Some(rt) = form::query_get(query, "returnTo")
        && let Ok(v) = form::decode_component(rt, &mut buf)
    {
        let v = v.to_string();
        let mut out = [0u8; 4096];
        if let Some(p) = url::safe_return_to("https://app.example.com", &v, &mut out) {
            assert!(p.starts_with('/') && !p.starts_with("//"));
        }
    }
    let config = Config {
        secret: "a-test-secret-that-is-at-least-32-characters-long!",
        ..Config::new("t.example.com", "cid", ClientAuth::SecretPost("s"), "https://app.example.com")
    };
    let auth0 = Auth0::new(config, Unreachable::default(), FixedClock(1_800_000_000), MemoryCache::<4096>::new()).unwrap();
    let headers = [("cookie", cookie)];
    let req = Request { method: "GET", path: "/auth/callback", query, headers: &headers, body: &[] };
    let mut work = vec![0u8; 64 * 1024];
    let _ = block_on(auth0.callback(&req, &mut rand_core::OsRng, &mut work));
});
