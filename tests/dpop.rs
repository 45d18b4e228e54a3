//! DPoP through the flows, on virtual time (RFC 9449; the SDK's wire facts, section 11):
//! `dpop_jkt` at authorize, proofs on the code exchange and the refresh, the servers' nonces
//! learnt per origin and the one delayed retry (authorization server 400, resource server 401,
//! a nonce error that persists), the `Authorization` scheme and `ath` of resource requests,
//! the delay and jitter bounds, the clock skew and tolerance, and no allocation on the proof
//! and retry paths.
#![allow(clippy::result_large_err)] // `AuthError` is returned as the flows return it

mod common;

use auth0_edge::codec::base64url;
use auth0_edge::config::{ClientAuth, Config, DpopConfig};
use auth0_edge::flow::{AccessTokenOptions, AuthError, GrantFailure};
use auth0_edge::jose::jwk::EcKeyPair;
use auth0_edge::jose::jws::{self, Algorithm};
use auth0_edge::oauth::dpop_resource::{ResourceError, ResourceRequest};
use auth0_edge::runtime::MemoryCache;
use auth0_edge::testing::{self, Reply, block_on};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const TOKEN_URL: &str = "https://t.example.com/oauth/token";
const API_URL: &str = "https://api.example.com/v1/orders?page=2#top";

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A fresh key pair as PEMs.
fn key_pems() -> (&'static str, &'static str) {
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    (leak(pair.private_pem()), leak(pair.public_pem()))
}

fn dpop_config(
    settings: impl FnOnce(DpopConfig<'static>) -> DpopConfig<'static>,
) -> Config<'static> {
    let (private, public) = key_pems();
    config().use_dpop(settings(DpopConfig::new(private, Some(public))))
}

/// What one request carried.
#[derive(Clone, Debug, Default)]
struct Seen {
    url: String,
    authorization: Option<String>,
    dpop: Option<String>,
    form: Vec<(String, String)>,
}

type Log = Rc<RefCell<Vec<Seen>>>;

fn record(log: &Log) -> impl Fn(&Sent) + 'static {
    let log = log.clone();
    move |s: &Sent| {
        log.borrow_mut().push(Seen {
            url: s.url.to_string(),
            authorization: s.header("Authorization").map(String::from),
            dpop: s.header("DPoP").map(String::from),
            form: if s.method == "POST" {
                s.form()
            } else {
                Vec::new()
            },
        })
    }
}

fn reply(status: u16, extra_headers: &str, body: &Value) -> Step {
    let mut headers = String::from("Content-Type: application/json");
    if !extra_headers.is_empty() {
        headers.push_str("\r\n");
        headers.push_str(extra_headers);
    }
    Step::Reply {
        status,
        headers,
        body: body.to_string().into_bytes(),
    }
}

fn nonce_400(nonce: &str) -> Step {
    reply(
        400,
        &format!("DPoP-Nonce: {nonce}"),
        &json!({"error": "use_dpop_nonce", "error_description": "Authorization server requires nonce in DPoP proof"}),
    )
}

fn nonce_401(nonce: &str) -> Step {
    Step::Reply {
        status: 401,
        headers: format!(
            "WWW-Authenticate: DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"\r\nDPoP-Nonce: {nonce}"
        ),
        body: Vec::new(),
    }
}

/// A proof opened: its header and claims, its signature checked with `key`.
struct Proof {
    header: Value,
    claims: Value,
}

fn open_proof(proof: &str, key: &EcKeyPair) -> Proof {
    let mut buf = vec![0u8; 4096];
    let public = key.public_key();
    let verified = jws::verify(proof, public.as_jws_key(), &[Algorithm::ES256], &mut buf)
        .expect("the proof is signed with the configured key");
    let claims: Value = serde_json::from_slice(verified.payload).unwrap();
    let header_b64 = proof.split('.').next().unwrap();
    let mut hbuf = vec![0u8; 1024];
    let header: Value =
        serde_json::from_slice(base64url::decode(header_b64, &mut hbuf).unwrap()).unwrap();
    Proof { header, claims }
}

/// The RFC 7638 thumbprint of an EC public JWK, computed here from its members.
fn thumbprint(jwk: &Value) -> String {
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    let digest = Sha256::digest(canonical.as_bytes());
    let mut out = [0u8; 64];
    base64url::encode(&digest, &mut out).unwrap().to_string()
}

fn sha256_b64(s: &str) -> String {
    let digest = Sha256::digest(s.as_bytes());
    let mut out = [0u8; 64];
    base64url::encode(&digest, &mut out).unwrap().to_string()
}

fn key_of(auth0: &Client) -> EcKeyPair {
    auth0.dpop().expect("DPoP is on").key().clone()
}

/// A login whose code exchange is answered by `exchange` (a list of replies, the last one the
/// tokens): returns the jar, the authorize parameters and what the token endpoint saw.
fn login_with(
    auth0: &Client,
    script: &Script,
    p: &Provider,
    exchange: impl FnOnce(&str) -> Vec<Step>,
) -> (Jar, Vec<(String, String)>, Vec<Seen>, Res) {
    let mut jar = Jar::default();
    let log: Log = Rc::default();
    let discovery_log: Log = Rc::default();
    script.expect(
        "GET",
        "https://t.example.com/.well-known/openid-configuration",
        record(&discovery_log),
        json_reply(200, &p.metadata),
    );
    let (state, nonce, r) = login(auth0, script, p, "", &mut jar, false);
    let (_, params) = r.location_params();
    for step in exchange(&nonce) {
        script.expect("POST", TOKEN_URL, record(&log), step);
    }
    script.expect(
        "GET",
        "https://t.example.com/.well-known/jwks.json",
        record(&discovery_log),
        json_reply(200, &p.jwks()),
    );
    let r = callback(
        auth0,
        &format!("code=abc&state={state}&iss=https%3A%2F%2Ft.example.com%2F"),
        &jar,
    );
    jar.apply(&r);
    for d in discovery_log.borrow().iter() {
        assert_eq!(d.dpop, None, "no proof on discovery or the JWKS: {}", d.url);
    }
    let seen = log.borrow().clone();
    (jar, params, seen, r)
}

fn dpop_tokens(p: &Provider, nonce: &str, access_token: &str) -> Value {
    json!({"access_token": access_token, "refresh_token": "rt-1", "token_type": "DPoP", "expires_in": 3600,
        "scope": "openid profile email offline_access", "id_token": p.sign_rs256(&p.claims(nonce, json!({})))})
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// The authorization server
// ---------------------------------------------------------------------------------------------

#[test]
fn login_binds_the_token_through_the_nonce_challenge() {
    let p = Provider::new();
    let (auth0, script, clock) = client(dpop_config(|d| d));
    let key = key_of(&auth0);
    let (jar, params, seen, r) = login_with(&auth0, &script, &p, |nonce| {
        vec![nonce_400("n-1"), {
            let Step::Reply { status, body, .. } =
                json_reply(200, &dpop_tokens(&p, nonce, "at-dpop"))
            else {
                unreachable!()
            };
            Step::Reply {
                status,
                headers: "Content-Type: application/json\r\nDPoP-Nonce: n-2".into(),
                body,
            }
        }]
    });
    assert_eq!(r.status, 307, "{r:?}");
    script.done();

    // dpop_jkt at authorize: the thumbprint of the key the proofs carry.
    let jkt = param(&params, "dpop_jkt").expect("dpop_jkt at authorize");
    assert_eq!(jkt, auth0.dpop().unwrap().jkt());

    // Two proofs: the first without a nonce, the retry with the server's.
    assert_eq!(seen.len(), 2, "one retry");
    let first = open_proof(seen[0].dpop.as_deref().expect("a proof"), &key);
    let second = open_proof(seen[1].dpop.as_deref().expect("a proof"), &key);
    assert_eq!(
        thumbprint(&first.header["jwk"]),
        jkt,
        "RFC 7638, computed here"
    );
    assert_eq!(first.header["typ"], "dpop+jwt");
    assert_eq!(first.header["alg"], "ES256");
    assert!(first.header["jwk"].get("d").is_none(), "no private part");
    for (proof, nonce) in [(&first, None), (&second, Some("n-1"))] {
        assert_eq!(proof.claims["htm"], "POST");
        assert_eq!(proof.claims["htu"], TOKEN_URL);
        assert_eq!(proof.claims["nonce"].as_str(), nonce);
        assert!(
            proof.claims.get("ath").is_none(),
            "no ath at the token endpoint"
        );
        assert_eq!(
            proof.claims["jti"].as_str().unwrap().len(),
            43,
            "32 random bytes"
        );
    }
    assert_ne!(
        first.claims["jti"], second.claims["jti"],
        "a new jti for the retry"
    );
    assert_eq!(first.claims["iat"], NOW, "no skew configured");
    // The retry waited on the runtime's clock: between half the delay and the delay.
    assert_eq!(clock.sleeps(), 1);
    assert!(
        (50..=100).contains(&clock.last_sleep_millis()),
        "{}",
        clock.last_sleep_millis()
    );
    // No Authorization header at the token endpoint (client_secret_post).
    assert_eq!(seen[1].authorization, None);
    assert_eq!(
        param(&seen[1].form, "grant_type"),
        Some("authorization_code")
    );

    // The fresh login's token is recorded as DPoP-bound, so it is sent as DPoP at once.
    let s = open_session(&jar);
    assert_eq!(s["tokenSet"]["token_type"], "dpop", "{s}");
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["token_type"], "dpop", "{body}");

    // The refresh after expiry carries the nonce learnt from the last answer (no challenge),
    // and the token stays DPoP-bound.
    clock.advance(3600);
    expect_discovery(&script, &p);
    let log: Log = Rc::default();
    script.expect(
        "POST",
        TOKEN_URL,
        record(&log),
        json_reply(200, &json!({"access_token": "at-dpop-2", "refresh_token": "rt-2", "token_type": "DPoP", "expires_in": 3600})),
    );
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (body["token"].as_str(), body["token_type"].as_str()),
        (Some("at-dpop-2"), Some("dpop"))
    );
    let refresh = open_proof(log.borrow()[0].dpop.as_deref().unwrap(), &key);
    assert_eq!(
        refresh.claims["nonce"], "n-2",
        "the nonce kept for the origin"
    );
    assert_eq!(clock.sleeps(), 1, "no second wait");
    script.done();
}

#[test]
fn without_dpop_the_token_endpoint_gets_no_proof() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let (jar, params, seen, r) = login_with(&auth0, &script, &p, |nonce| {
        let mut t = dpop_tokens(&p, nonce, "at-1");
        t["token_type"] = "Bearer".into();
        vec![json_reply(200, &t)]
    });
    assert_eq!(r.status, 307);
    assert_eq!(param(&params, "dpop_jkt"), None);
    assert_eq!(seen[0].dpop, None);
    assert_eq!(open_session(&jar)["tokenSet"]["token_type"], "bearer");
    assert_eq!(clock.sleeps(), 0);
}

/// Signs in with DPoP (the code exchange answered at once) and returns the jar.
fn dpop_signed_in(auth0: &Client, script: &Script, p: &Provider) -> Jar {
    let (jar, _, _, r) = login_with(auth0, script, p, |nonce| {
        vec![json_reply(200, &dpop_tokens(p, nonce, "at-dpop"))]
    });
    assert_eq!(r.status, 307, "{r:?}");
    jar
}

fn refresh(auth0: &Client, jar: &Jar) -> Result<(String, Option<String>), AuthError> {
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let t = block_on(auth0.get_access_token(
        &jar.header(),
        &AccessTokenOptions {
            refresh: true,
            ..Default::default()
        },
        &mut rand_core::OsRng,
        &mut buf,
    ))?;
    Ok((t.token.to_string(), t.token_type.map(String::from)))
}

#[test]
fn a_refresh_retries_once_on_either_form_of_the_nonce_error() {
    let p = Provider::new();
    let (auth0, script, clock) = client(dpop_config(|d| d));
    let key = key_of(&auth0);
    let jar = dpop_signed_in(&auth0, &script, &p);
    let tokens = json!({"access_token": "at-2", "token_type": "DPoP", "expires_in": 3600});
    // A 400 with the OAuth error, and a 401 with the DPoP challenge (RFC 9449 §8 allows both).
    for (i, challenge) in [nonce_400("a-1"), nonce_401("a-1")].into_iter().enumerate() {
        let log: Log = Rc::default();
        script.expect("POST", TOKEN_URL, record(&log), challenge);
        script.expect("POST", TOKEN_URL, record(&log), json_reply(200, &tokens));
        assert_eq!(
            refresh(&auth0, &jar).unwrap(),
            ("at-2".into(), Some("dpop".into()))
        );
        let log = log.borrow();
        assert_eq!(log.len(), 2);
        assert_eq!(
            open_proof(log[1].dpop.as_deref().unwrap(), &key).claims["nonce"],
            "a-1"
        );
        assert_eq!(param(&log[1].form, "grant_type"), Some("refresh_token"));
        assert_eq!(clock.sleeps(), u32::try_from(i).unwrap() + 1);
    }
    script.done();
}

#[test]
fn a_nonce_error_that_persists_at_the_token_endpoint_is_the_providers_error() {
    let p = Provider::new();
    let (auth0, script, clock) = client(dpop_config(|d| d));
    let jar = dpop_signed_in(&auth0, &script, &p);
    script.expect("POST", TOKEN_URL, |_| {}, nonce_400("b-1"));
    script.expect("POST", TOKEN_URL, |_| {}, nonce_400("b-2"));
    match refresh(&auth0, &jar) {
        Err(AuthError::FailedToRefreshToken(GrantFailure::Provider(e))) => {
            assert_eq!(e.error.as_str(), "use_dpop_nonce")
        }
        other => panic!("{other:?}"),
    }
    script.done();
    assert_eq!(
        (script.count(), clock.sleeps()),
        (5, 1),
        "discovery, code, JWKS, two refreshes; one wait"
    );
    // The nonce of the last answer is kept: the next refresh starts with it.
    let log: Log = Rc::default();
    script.expect(
        "POST",
        TOKEN_URL,
        record(&log),
        json_reply(
            200,
            &json!({"access_token": "at-3", "token_type": "DPoP", "expires_in": 60}),
        ),
    );
    refresh(&auth0, &jar).unwrap();
    let key = key_of(&auth0);
    assert_eq!(
        open_proof(log.borrow()[0].dpop.as_deref().unwrap(), &key).claims["nonce"],
        "b-2"
    );
}

// ---------------------------------------------------------------------------------------------
// The resource server (`fetch_with_auth`)
// ---------------------------------------------------------------------------------------------

type Api = testing::Script<'static>;

fn fetch(
    auth0: &Client,
    api: &Api,
    token_type: Option<&str>,
    rng: &mut impl rand_core::CryptoRngCore,
) -> Result<(u16, String), ResourceError> {
    let headers = [
        ("Accept", "application/json"),
        ("authorization", "Basic x"),
        ("X-Trace", "t-1"),
    ];
    let req = ResourceRequest {
        method: "get",
        url: API_URL,
        headers: &headers,
        body: b"",
        access_token: "at-dpop",
        token_type,
    };
    let mut buf = vec![0u8; 32 * 1024];
    let res = block_on(auth0.fetch_with_auth(api, &req, rng, &mut buf))?;
    Ok((res.status, String::from_utf8_lossy(res.body).into_owned()))
}

fn api_expect(api: &Api, log: &Log, status: u16, headers: &str, body: &str) {
    api.expect(
        "GET",
        API_URL,
        record(log),
        Reply::Answer {
            status,
            headers: leak(headers.into()),
            body: leak(body.into()).as_bytes(),
        },
    );
}

#[test]
fn a_dpop_bound_token_goes_with_a_proof_carrying_ath_and_the_resource_nonce() {
    let p = Provider::new();
    let (auth0, script, clock) = client(dpop_config(|d| d));
    let key = key_of(&auth0);
    // The authorization server's nonce is kept for its origin, not sent to the API.
    let _jar = login_with(&auth0, &script, &p, |nonce| {
        let Step::Reply { body, .. } = json_reply(200, &dpop_tokens(&p, nonce, "at-dpop")) else {
            unreachable!()
        };
        vec![Step::Reply {
            status: 200,
            headers: "DPoP-Nonce: as-1".into(),
            body,
        }]
    });
    let api = Api::new();
    let log: Log = Rc::default();
    api_expect(
        &api,
        &log,
        401,
        "WWW-Authenticate: DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"\r\nDPoP-Nonce: rs-1",
        "",
    );
    api_expect(
        &api,
        &log,
        200,
        "Content-Type: application/json\r\nDPoP-Nonce: rs-2",
        r#"{"orders":[]}"#,
    );
    let (status, body) = fetch(&auth0, &api, Some("dpop"), &mut rand_core::OsRng).unwrap();
    assert_eq!((status, body.as_str()), (200, r#"{"orders":[]}"#));
    {
        let log = log.borrow();
        assert_eq!(log.len(), 2);
        for (seen, nonce) in log.iter().zip([None, Some("rs-1")]) {
            assert_eq!(
                seen.authorization.as_deref(),
                Some("DPoP at-dpop"),
                "the application's Authorization is replaced"
            );
            let proof = open_proof(seen.dpop.as_deref().unwrap(), &key);
            assert_eq!(proof.claims["htm"], "GET", "upper case");
            assert_eq!(
                proof.claims["htu"], "https://api.example.com/v1/orders",
                "no query or fragment"
            );
            assert_eq!(proof.claims["ath"], sha256_b64("at-dpop"));
            assert_eq!(proof.claims["nonce"].as_str(), nonce);
        }
    }
    assert_eq!(clock.sleeps(), 1);
    assert!((50..=100).contains(&clock.last_sleep_millis()));
    // The next request starts with the API's latest nonce: no challenge, no wait.
    let log: Log = Rc::default();
    api_expect(&api, &log, 200, "", "{}");
    fetch(&auth0, &api, Some("DPoP"), &mut rand_core::OsRng).unwrap();
    assert_eq!(
        open_proof(log.borrow()[0].dpop.as_deref().unwrap(), &key).claims["nonce"],
        "rs-2"
    );
    assert_eq!(clock.sleeps(), 1);
    api.done();
}

#[test]
fn a_resource_nonce_error_that_persists_is_the_sdks_typed_error() {
    let (auth0, _script, clock) = client(dpop_config(|d| d));
    let api = Api::new();
    let log: Log = Rc::default();
    for n in ["rs-1", "rs-2"] {
        api_expect(
            &api,
            &log,
            401,
            &format!(
                "WWW-Authenticate: DPoP error=\"use_dpop_nonce\", error_description=\"nonce is required in the DPoP proof\"\r\nDPoP-Nonce: {n}"
            ),
            "",
        );
    }
    let err = fetch(&auth0, &api, Some("dpop"), &mut rand_core::OsRng).unwrap_err();
    assert!(
        matches!(err, ResourceError::NonceErrorPersisted { status: 401, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "DPoP nonce error persisted after retry: nonce is required in the DPoP proof"
        ),
        "{text}"
    );
    assert_eq!(err.code(), "dpop_nonce_retry_failed");
    assert_eq!(
        (log.borrow().len(), clock.sleeps()),
        (2, 1),
        "one retry, one wait"
    );
    api.done();
    // Another 401 (an invalid token) is the application's to read: no retry.
    let log: Log = Rc::default();
    api_expect(
        &api,
        &log,
        401,
        "WWW-Authenticate: DPoP error=\"invalid_token\"",
        "",
    );
    assert_eq!(
        fetch(&auth0, &api, Some("dpop"), &mut rand_core::OsRng)
            .unwrap()
            .0,
        401
    );
    assert_eq!(log.borrow().len(), 1);
}

#[test]
fn bearer_tokens_and_dpop_off_send_bearer_without_a_proof_or_retry() {
    let (with_dpop, _s1, _c1) = client(dpop_config(|d| d));
    let (without, _s2, clock) = client(config());
    for (auth0, token_type) in [
        (&with_dpop, Some("bearer")),
        (&with_dpop, None),
        (&without, Some("dpop")),
    ] {
        let api = Api::new();
        let log: Log = Rc::default();
        api_expect(
            &api,
            &log,
            401,
            "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nDPoP-Nonce: x",
            "",
        );
        assert_eq!(
            fetch(auth0, &api, token_type, &mut rand_core::OsRng)
                .unwrap()
                .0,
            401,
            "{token_type:?}"
        );
        let log = log.borrow();
        assert_eq!(log.len(), 1, "no retry for a Bearer token");
        assert_eq!(log[0].authorization.as_deref(), Some("Bearer at-dpop"));
        assert_eq!(log[0].dpop, None);
    }
    assert_eq!(clock.sleeps(), 0);
}

#[test]
fn bad_resource_requests_are_typed_errors() {
    let (auth0, _s, _c) = client(dpop_config(|d| d));
    let api = Api::new();
    let mut buf = vec![0u8; 8192];
    let mut run = |req: ResourceRequest<'_>| {
        block_on(auth0.fetch_with_auth(&api, &req, &mut rand_core::OsRng, &mut buf))
            .map(|r| r.status)
    };
    let base = ResourceRequest {
        method: "GET",
        url: API_URL,
        access_token: "at",
        token_type: Some("dpop"),
        ..Default::default()
    };
    assert!(matches!(
        run(ResourceRequest {
            url: "/relative",
            ..base
        }),
        Err(ResourceError::Url(_))
    ));
    assert!(matches!(
        run(ResourceRequest {
            headers: &[("X-Bad", "a\r\nInjected: 1")],
            ..base
        }),
        Err(ResourceError::Header)
    ));
    assert!(matches!(
        run(ResourceRequest {
            method: "AVERYLONGMETHODNAME",
            ..base
        }),
        Err(ResourceError::Header)
    ));
    let long = "x".repeat(20_000);
    assert!(matches!(
        run(ResourceRequest {
            access_token: &long,
            ..base
        }),
        Err(ResourceError::Request(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// The delay and its jitter
// ---------------------------------------------------------------------------------------------

/// An RNG whose `next_u32` is fixed (the retry's "random"); its bytes are a counter.
struct FixedRng {
    u32: u32,
    counter: u8,
}

impl rand_core::RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        self.u32
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.u32)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            self.counter = self.counter.wrapping_add(1);
            *b = self.counter;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for FixedRng {}

#[test]
fn the_retry_waits_delay_times_half_to_one_with_jitter() {
    let cases: [(u64, bool, u32, u64); 7] = [
        (100, true, 0, 50),
        (100, true, u32::MAX / 2, 74),
        (100, true, u32::MAX, 99),
        (100, false, 0, 100),
        (1000, true, 0, 500),
        (1000, true, u32::MAX, 999),
        (0, true, u32::MAX, 0),
    ];
    for (delay, jitter, random, want) in cases {
        let (auth0, _s, clock) = client(dpop_config(|d| DpopConfig {
            retry_delay_ms: delay,
            retry_jitter: jitter,
            ..d
        }));
        let api = Api::new();
        let log: Log = Rc::default();
        api_expect(
            &api,
            &log,
            401,
            "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nDPoP-Nonce: n",
            "",
        );
        api_expect(&api, &log, 200, "", "");
        let mut rng = FixedRng {
            u32: random,
            counter: 0,
        };
        fetch(&auth0, &api, Some("dpop"), &mut rng).unwrap();
        assert_eq!(
            (clock.sleeps(), clock.last_sleep_millis()),
            (1, want),
            "delay {delay} jitter {jitter} random {random}"
        );
    }
    // With a real RNG, always within [delay / 2, delay].
    let (auth0, _s, clock) = client(dpop_config(|d| DpopConfig {
        retry_delay_ms: 400,
        ..d
    }));
    for i in 0..40 {
        let api = Api::new();
        let log: Log = Rc::default();
        api_expect(
            &api,
            &log,
            401,
            &format!("WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nDPoP-Nonce: n{i}"),
            "",
        );
        api_expect(&api, &log, 200, "", "");
        fetch(&auth0, &api, Some("dpop"), &mut rand_core::OsRng).unwrap();
        assert!(
            (200..=400).contains(&clock.last_sleep_millis()),
            "{}",
            clock.last_sleep_millis()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Clock skew and tolerance
// ---------------------------------------------------------------------------------------------

#[test]
fn the_skew_dates_proofs_and_client_assertions() {
    let p = Provider::new();
    let assertion_key = leak(EcKeyPair::generate(&mut rand_core::OsRng).private_pem());
    let config = Config {
        client_auth: ClientAuth::PrivateKeyJwt(assertion_key),
        ..dpop_config(|d| DpopConfig {
            clock_skew: 120,
            ..d
        })
    };
    let (auth0, script, _clock) = client(config);
    let key = key_of(&auth0);
    let (_, _, seen, r) = login_with(&auth0, &script, &p, |nonce| {
        vec![json_reply(200, &dpop_tokens(&p, nonce, "at"))]
    });
    assert_eq!(r.status, 307, "{r:?}");
    assert_eq!(
        open_proof(seen[0].dpop.as_deref().unwrap(), &key).claims["iat"],
        NOW + 120
    );
    let assertion = param(&seen[0].form, "client_assertion").expect("private_key_jwt");
    let payload = assertion.split('.').nth(1).unwrap();
    let mut buf = vec![0u8; 2048];
    let claims: Value =
        serde_json::from_slice(base64url::decode(payload, &mut buf).unwrap()).unwrap();
    assert_eq!(claims["iat"], NOW + 120, "{claims}");
    // And resource proofs.
    let api = Api::new();
    let log: Log = Rc::default();
    api_expect(&api, &log, 200, "", "");
    fetch(&auth0, &api, Some("dpop"), &mut rand_core::OsRng).unwrap();
    assert_eq!(
        open_proof(log.borrow()[0].dpop.as_deref().unwrap(), &key).claims["iat"],
        NOW + 120
    );
}

#[test]
fn skew_and_tolerance_apply_to_the_id_token_checks() {
    // An ID token that expired 40 s ago (by the local clock).
    let cases: [(i64, i64, bool); 4] = [
        (0, 30, false),  // the SDK's defaults: refused
        (0, 60, true),   // a larger tolerance accepts it
        (-20, 30, true), // a clock 20 s ahead (negative skew): 20 s past exp, within 30
        (30, 60, false), // a clock behind: 70 s past exp
    ];
    for (skew, tolerance, ok) in cases {
        let p = Provider::new();
        let (auth0, script, _) = client(dpop_config(|d| DpopConfig {
            clock_skew: skew,
            clock_tolerance: tolerance,
            ..d
        }));
        let (_, _, _, r) = login_with(&auth0, &script, &p, |nonce| {
            let mut t = dpop_tokens(&p, nonce, "at");
            t["id_token"] = p
                .sign_rs256(&p.claims(nonce, json!({"iat": NOW - 100, "exp": NOW - 40})))
                .into();
            vec![json_reply(200, &t)]
        });
        assert_eq!(
            r.status == 307,
            ok,
            "skew {skew} tolerance {tolerance}: {r:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// No allocation on the proof and retry paths
// ---------------------------------------------------------------------------------------------

#[path = "common/counting.rs"]
mod counting;
use counting::allocations;

#[test]
fn the_proof_and_retry_paths_do_not_allocate() {
    let (private, public) = key_pems();
    let config = config().use_dpop(DpopConfig::new(private, Some(public)));
    let clock = testing::ManualClock::new(NOW);
    let as_script: testing::Script<'static> = testing::Script::new();
    let auth0 =
        auth0_edge::flow::Auth0::new(config, &as_script, &clock, MemoryCache::<16384>::new())
            .unwrap();
    let api: testing::Script<'static> = testing::Script::new();
    let req = ResourceRequest {
        method: "GET",
        url: API_URL,
        access_token: "at-dpop",
        token_type: Some("dpop"),
        ..Default::default()
    };
    let mut buf = vec![0u8; 32 * 1024];
    let mut rng = FixedRng { u32: 7, counter: 0 };
    for round in 0..3 {
        // A challenge, then the retry with its nonce.
        api.expect(
            "GET",
            API_URL,
            testing::Check::None,
            Reply::Answer {
                status: 401,
                headers: "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"\r\nDPoP-Nonce: nonce-a",
                body: b"",
            },
        );
        api.expect(
            "GET",
            API_URL,
            testing::Check::None,
            Reply::Answer {
                status: 200,
                headers: "DPoP-Nonce: nonce-b",
                body: b"{}",
            },
        );
        let (status, n) = allocations(|| {
            block_on(auth0.fetch_with_auth(&api, &req, &mut rng, &mut buf)).map(|r| r.status)
        });
        assert_eq!(status, Ok(200));
        // The first round may register tracing call sites; later rounds must not allocate.
        if round > 0 {
            assert_eq!(n, 0, "fetch_with_auth with the nonce retry");
        }
    }
    assert_eq!(clock.sleeps(), 3);
}
