//! The SDK's server features beyond sessions, through the core flows with a scripted
//! transport on virtual time: CIBA (`get_token_by_backchannel_auth`), back-channel logout,
//! connection access tokens, pushed authorization requests and the MFA step-up answer.

#![allow(clippy::result_large_err)]

mod common;

use auth0_edge::flow::{AuthError, BackchannelFailure, BackchannelOptions};
use auth0_edge::testing::block_on;
use common::*;
use serde_json::{Value, json};

const BC_ENDPOINT: &str = "https://t.example.com/bc-authorize";
const TOKEN: &str = "https://t.example.com/oauth/token";

fn ciba_provider() -> Provider {
    let mut p = Provider::new();
    p.metadata["backchannel_authentication_endpoint"] = json!(BC_ENDPOINT);
    p
}

fn ciba_error(status: u16, error: &str) -> Step {
    json_reply(
        status,
        &json!({"error": error, "error_description": format!("{error} said the provider")}),
    )
}

fn ciba_options() -> BackchannelOptions<'static> {
    BackchannelOptions {
        login_hint_sub: "auth0|kiosk-user",
        binding_message: "Sign in to kiosk 7",
        ..Default::default()
    }
}

fn run_ciba(auth0: &Client) -> Result<(Value, Value), AuthError> {
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let t = block_on(auth0.get_token_by_backchannel_auth(
        &ciba_options(),
        &mut rand_core::OsRng,
        &mut buf,
    ))?;
    let mut out = vec![0u8; 16 * 1024];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut out, "t");
    t.token_set.write_json(&mut w).unwrap();
    let ts: Value = serde_json::from_str(w.as_str()).unwrap();
    let claims: Value = serde_json::from_str(t.id_token_claims.raw()).unwrap();
    Ok((ts, claims))
}

#[test]
fn ciba_polls_on_virtual_time_through_pending_slow_down_and_retry_after() {
    let p = ciba_provider();
    let (auth0, script, clock) = client(config());
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        BC_ENDPOINT,
        |s| {
            let f = form_pairs(s.body);
            let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                names,
                [
                    "scope",
                    "client_id",
                    "binding_message",
                    "login_hint",
                    "client_secret"
                ],
                "{}",
                s.body
            );
            assert_eq!(
                f[3].1,
                r#"{"format":"iss_sub","iss":"https://t.example.com/","sub":"auth0|kiosk-user"}"#
            );
            assert!(
                s.header("DPoP").is_none(),
                "no proof on the authentication request"
            );
        },
        json_reply(
            200,
            &json!({"auth_req_id": "req-1", "expires_in": 120, "interval": 2}),
        ),
    );
    let poll_check = |s: &Sent| {
        let f = form_pairs(s.body);
        assert_eq!(f[0], ("auth_req_id".into(), "req-1".into()));
        assert_eq!(
            f[1],
            (
                "grant_type".into(),
                "urn:openid:params:grant-type:ciba".into()
            )
        );
    };
    script.expect(
        "POST",
        TOKEN,
        poll_check,
        ciba_error(400, "authorization_pending"),
    );
    script.expect("POST", TOKEN, poll_check, ciba_error(400, "slow_down"));
    script.expect(
        "POST",
        TOKEN,
        poll_check,
        Step::Reply {
            status: 503,
            headers: "Retry-After: 10".into(),
            body: Vec::new(),
        },
    );
    let mut claims = p.claims("unused", json!({"sub": "auth0|kiosk-user"}));
    claims.as_object_mut().unwrap().remove("nonce");
    let tokens = json!({"access_token": "at-ciba", "refresh_token": "rt-ciba", "token_type": "Bearer",
        "expires_in": 3600, "scope": "openid profile email offline_access", "id_token": p.sign_rs256(&claims)});
    expect_token(&script, tokens, poll_check);
    expect_jwks(&script, &p);
    let started = NOW;
    let (ts, claims) = run_ciba(&auth0).unwrap();
    script.done();
    // interval 2 → pending (2) → slow_down: interval 7 → 503 Retry-After 10: waited 10.
    assert_eq!((clock.sleeps(), clock.slept_millis()), (4, 21_000));
    assert_eq!(ts["accessToken"], "at-ciba");
    assert_eq!(ts["refreshToken"], "rt-ciba");
    assert_eq!(ts["expiresAt"], started + 21 + 3600);
    assert_eq!(claims["sub"], "auth0|kiosk-user");
}

#[test]
fn ciba_refusals_are_typed_with_the_providers_code() {
    for (error, code) in [
        ("access_denied", "access_denied"),
        ("unknown_user_id", "unknown_user_id"),
        ("expired_token", "expired_token"),
    ] {
        let p = ciba_provider();
        let (auth0, script, _clock) = client(config());
        expect_discovery(&script, &p);
        if error == "unknown_user_id" {
            // Refused at once by the authentication endpoint.
            script.expect("POST", BC_ENDPOINT, |_| {}, ciba_error(400, error));
        } else {
            script.expect(
                "POST",
                BC_ENDPOINT,
                |_| {},
                json_reply(200, &json!({"auth_req_id": "r", "expires_in": 60})),
            );
            script.expect("POST", TOKEN, |_| {}, ciba_error(400, error));
        }
        let e = run_ciba(&auth0).unwrap_err();
        script.done();
        let AuthError::Backchannel(f) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(f.error_code(), code);
        assert_eq!(e.code(), "backchannel_authentication_error");
        assert_eq!(
            e.message(),
            "There was an error when trying to use Client-Initiated Backchannel Authentication."
        );
        assert!(
            auth0_edge::Report(&e)
                .to_string()
                .contains(&format!("{error} said the provider")),
            "{}",
            auth0_edge::Report(&e)
        );
    }
}

#[test]
fn ciba_stops_at_expires_in_without_another_poll() {
    let p = ciba_provider();
    let (auth0, script, clock) = client(config());
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        BC_ENDPOINT,
        |_| {},
        json_reply(
            200,
            &json!({"auth_req_id": "r", "expires_in": 7, "interval": 3}),
        ),
    );
    // Polls at +3 and +6; the next would be at +9, past the deadline of +7.
    script.expect(
        "POST",
        TOKEN,
        |_| {},
        ciba_error(400, "authorization_pending"),
    );
    script.expect(
        "POST",
        TOKEN,
        |_| {},
        ciba_error(400, "authorization_pending"),
    );
    let e = run_ciba(&auth0).unwrap_err();
    script.done();
    assert_eq!(e, AuthError::Backchannel(BackchannelFailure::Expired));
    assert_eq!(clock.slept_millis(), 6_000);
    let AuthError::Backchannel(f) = &e else {
        unreachable!()
    };
    assert_eq!(f.error_code(), "expired_token");
}

#[test]
fn ciba_without_the_endpoint_is_not_supported() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    expect_discovery(&script, &p);
    let e = run_ciba(&auth0).unwrap_err();
    script.done();
    assert_eq!(e.code(), "backchannel_authentication_not_supported_error");
    assert!(
        e.message()
            .starts_with("The authorization server does not support backchannel authentication.")
    );
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout
// ---------------------------------------------------------------------------------------------

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Logout token claims for `target` (`{"sid": …}` and/or `{"sub": …}`), with `extra` merged
/// (a `null` removes a claim).
fn logout_claims(target: Value, extra: Value) -> Value {
    let mut c = json!({"iss": "https://t.example.com/", "aud": "client-1", "iat": NOW, "exp": NOW + 120,
        "jti": format!("jti-{}", rand_jti()), "events": {EVENT: {}}});
    for (k, v) in target
        .as_object()
        .unwrap()
        .iter()
        .chain(extra.as_object().unwrap())
    {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn rand_jti() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

/// A store with three sessions: two of `auth0|user_1` (sids a and b), one of another user.
fn three_sessions() -> MemStore {
    let store = MemStore::default();
    for (id, sid, sub) in [
        ("r1", "sid-a", "auth0|user_1"),
        ("r2", "sid-b", "auth0|user_1"),
        ("r3", "sid-c", "auth0|other"),
    ] {
        store
            .records
            .borrow_mut()
            .insert(id.into(), ("{}".into(), Some(sid.into()), Some(sub.into())));
    }
    store
}

fn record_ids(store: &MemStore) -> Vec<String> {
    let mut ids: Vec<String> = store.records.borrow().keys().cloned().collect();
    ids.sort();
    ids
}

fn logout_body(token: &str) -> String {
    format!("logout_token={token}")
}

#[test]
fn back_channel_logout_ends_the_sessions_of_a_sid_or_of_a_user() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let store = three_sessions();
    let auth0 = auth0.with_store(store.clone());
    expect_discovery(&script, &p);
    expect_jwks(&script, &p);

    // ES256, by sid: only that provider session's record ends.
    let token = p.sign_logout_es256(&logout_claims(json!({"sid": "sid-a"}), json!({})));
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!((r.status, r.body.as_str()), (204, ""), "{r:?}");
    assert_eq!(
        r.header("Cache-Control").map(|v| v.contains("no-store")),
        Some(true)
    );
    assert_eq!(record_ids(&store), ["r2", "r3"]);

    // The same token again is a replay: refused before anything is deleted.
    store.records.borrow_mut().insert(
        "r1".into(),
        (
            "{}".into(),
            Some("sid-a".into()),
            Some("auth0|user_1".into()),
        ),
    );
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(r.status, 400);
    assert!(r.body.contains("replayed"), "{}", r.body);
    assert_eq!(record_ids(&store), ["r1", "r2", "r3"]);

    // RS256 with `sub` alone: every session of the user ends (Back-Channel Logout 1.0 §2.4).
    let token = p.sign_rs256(&logout_claims(json!({"sub": "auth0|user_1"}), json!({})));
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(record_ids(&store), ["r3"]);
    // Discovery and the JWKS were fetched once, then cached.
    assert_eq!(script.pending(), 0);
}

#[test]
fn back_channel_logout_refusals_say_why_and_delete_nothing() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let store = three_sessions();
    let auth0 = auth0.with_store(store.clone());
    expect_discovery(&script, &p);
    expect_jwks(&script, &p);
    let sid = json!({"sid": "sid-a"});
    let cases: Vec<(String, u16, &str)> = vec![
        (
            String::new(),
            400,
            "Missing `logout_token` in the request body.",
        ),
        ("not-a-jwt".into(), 400, "Invalid Compact JWS"),
        (
            p.sign_rs256(&logout_claims(sid.clone(), json!({"nonce": "n"}))),
            400,
            "\"nonce\" claim is prohibited",
        ),
        (
            p.sign_rs256(&logout_claims(sid.clone(), json!({"events": null}))),
            400,
            "\"events\" claim is missing",
        ),
        (
            p.sign_rs256(&logout_claims(
                sid.clone(),
                json!({"events": {"other": {}}}),
            )),
            400,
            "\"http://schemas.openid.net/event/backchannel-logout\" member is missing in the \"events\" claim",
        ),
        (
            p.sign_rs256(&logout_claims(
                sid.clone(),
                json!({"events": {EVENT: "yes"}}),
            )),
            400,
            "\"http://schemas.openid.net/event/backchannel-logout\" member in the \"events\" claim must be an object",
        ),
        (
            p.sign_rs256(&logout_claims(json!({}), json!({}))),
            400,
            "either \"sid\" or \"sub\" (or both) claims must be present",
        ),
        (
            p.sign_rs256(&logout_claims(json!({"sid": 7}), json!({}))),
            400,
            "\"sid\" claim must be a string",
        ),
        (
            p.sign_rs256(&logout_claims(sid.clone(), json!({"aud": "someone-else"}))),
            400,
            "unexpected \"aud\" claim value",
        ),
        (
            p.sign_rs256(&logout_claims(
                sid.clone(),
                json!({"iss": "https://t.example.com/other/"}),
            )),
            400,
            "unexpected \"iss\" claim value",
        ),
        (
            p.sign_rs256(&logout_claims(
                sid.clone(),
                json!({"iat": NOW - 600, "exp": NOW - 1}),
            )),
            400,
            "\"exp\" claim timestamp check failed",
        ),
        (
            p.sign_rs256(&logout_claims(sid.clone(), json!({"iat": null}))),
            400,
            "missing required \"iat\" claim",
        ),
        (
            p.sign_rs256(&logout_claims(sid.clone(), json!({"jti": null}))),
            400,
            "\"jti\" claim must be a non-empty string",
        ),
        // `typ`, when present, must be `logout+jwt`.
        (
            p.sign_es256(&logout_claims(sid.clone(), json!({})), &p.ec_kid),
            400,
            "unexpected \"typ\" JWT header value",
        ),
        // The SDK's pre-check: an issuer on another host is refused with 403.
        (
            p.sign_rs256(&logout_claims(
                sid.clone(),
                json!({"iss": "https://evil.example.net/"}),
            )),
            403,
            "Logout token issuer does not match the configured domain.",
        ),
    ];
    for (token, status, reason) in cases {
        let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
        assert_eq!((r.status, r.body.as_str()), (status, reason), "{token}");
        assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(
            record_ids(&store),
            ["r1", "r2", "r3"],
            "{reason}: nothing deleted"
        );
    }
    // A signature that does not verify: the JWKS is fetched again once (keys may have
    // rotated), then the token is refused.
    let mut token = p.sign_logout_es256(&logout_claims(sid.clone(), json!({})));
    let last = token.pop().unwrap();
    token.push(if last == 'A' { 'B' } else { 'A' });
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "signature verification failed")
    );
    // An unknown key id: refetched once, then refused.
    expect_jwks(&script, &p);
    let claims = logout_claims(sid, json!({})).to_string();
    let mut out = vec![0u8; 4096];
    let token = p
        .fake
        .sign_es256_typed(&claims, "rotated-away", None, &mut out)
        .unwrap()
        .to_string();
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(r.status, 400, "{r:?}");
    assert_eq!(script.pending(), 0);
    assert_eq!(record_ids(&store), ["r1", "r2", "r3"]);
}

/// A store that keeps sessions but cannot delete by logout token (the trait's default).
#[derive(Clone, Default)]
struct NoIndexStore(MemStore);

impl auth0_edge::runtime::SessionStore for NoIndexStore {
    async fn get<'b>(
        &self,
        id: &str,
        buf: &'b mut [u8],
    ) -> Result<Option<&'b [u8]>, auth0_edge::runtime::StoreError> {
        self.0.get(id, buf).await
    }
    async fn set(
        &self,
        id: &str,
        json: &str,
        info: &auth0_edge::runtime::RecordInfo<'_>,
    ) -> Result<(), auth0_edge::runtime::StoreError> {
        self.0.set(id, json, info).await
    }
    async fn delete(&self, id: &str) -> Result<(), auth0_edge::runtime::StoreError> {
        self.0.delete(id).await
    }
}

#[test]
fn back_channel_logout_without_a_capable_store_answers_the_sdks_500s() {
    let p = Provider::new();
    let token = p.sign_rs256(&logout_claims(json!({"sid": "sid-a"}), json!({})));
    // Stateless: no store at all (nothing is fetched).
    let (auth0, script, _) = client(config());
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "A session data store is not configured.")
    );
    assert_eq!(script.pending(), 0);
    // A store without delete_by_logout_token.
    let (auth0, script, _) = client(config());
    let auth0 = auth0.with_store(NoIndexStore::default());
    expect_discovery(&script, &p);
    expect_jwks(&script, &p);
    let r = post(&auth0, "/auth/backchannel-logout", &logout_body(&token)).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            500,
            "Back-channel logout is not supported by the session data store."
        )
    );
    // A GET of the route is not this route.
    let r = request(&auth0, "/auth/backchannel-logout", "", &[]).unwrap();
    assert!(r.next, "{r:?}");
}

// ---------------------------------------------------------------------------------------------
// Connection access tokens
// ---------------------------------------------------------------------------------------------

const FEDERATED_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";

fn connection_token<S: auth0_edge::runtime::SessionStore>(
    auth0: &Client<S>,
    jar: &Jar,
    connection: &str,
    hint: Option<&str>,
) -> Result<(String, i64, Res), AuthError> {
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let opts = auth0_edge::flow::ConnectionTokenOptions {
        connection,
        login_hint: hint,
        ..Default::default()
    };
    let t = block_on(auth0.get_access_token_for_connection(
        &jar.header(),
        &opts,
        &mut rand_core::OsRng,
        &mut buf,
    ))?;
    Ok((t.token.to_string(), t.expires_at, own(t.headers, false)))
}

fn open_fc(jar: &Jar, name: &str) -> Value {
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 8192];
    let v = auth0_edge::jose::jwe::open_jwt(&key, jar.0.get(name).unwrap(), NOW, &mut buf).unwrap();
    serde_json::from_str(v.raw()).unwrap()
}

#[test]
fn connection_tokens_are_exchanged_once_and_kept_in_fc_cookies() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    script.expect(
        "POST",
        TOKEN,
        |s| {
            let f = form_pairs(s.body);
            let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            assert_eq!(get("grant_type"), Some(FEDERATED_GRANT));
            assert_eq!(get("connection"), Some("google-oauth2"));
            assert_eq!(get("subject_token"), Some("rt-1"));
            assert_eq!(get("subject_token_type"), Some("urn:ietf:params:oauth:token-type:refresh_token"));
            assert_eq!(get("requested_token_type"), Some("http://auth0.com/oauth/token-type/federated-connection-access-token"));
            assert_eq!(get("login_hint"), None);
            assert_eq!(get("client_id"), Some("client-1"));
        },
        json_reply(200, &json!({"access_token": "google-at", "expires_in": 3600, "scope": "email",
            "issued_token_type": "http://auth0.com/oauth/token-type/federated-connection-access-token", "token_type": "Bearer"})),
    );
    let (token, expires_at, res) = connection_token(&auth0, &jar, "google-oauth2", None).unwrap();
    assert_eq!((token.as_str(), expires_at), ("google-at", NOW + 3600));
    jar.apply(&res);
    assert!(
        res.set_cookies().iter().any(|c| c.starts_with("__FC_0=")),
        "{res:?}"
    );
    let fc = open_fc(&jar, "__FC_0");
    assert_eq!(fc["accessToken"], "google-at");
    assert_eq!(fc["expiresAt"], NOW + 3600);
    assert_eq!(fc["connection"], "google-oauth2");
    // The session cookie itself does not carry the entry.
    assert!(open_session(&jar).get("connectionTokenSets").is_none());

    // Cached: no request (the script has nothing more), no cookie written.
    let (token, _, res) = connection_token(&auth0, &jar, "google-oauth2", None).unwrap();
    assert_eq!(token, "google-at");
    assert!(res.set_cookies().is_empty(), "{res:?}");

    // Another connection: a second entry, __FC_1.
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("connection=github")),
        json_reply(200, &json!({"access_token": "github-at", "expires_in": 60})),
    );
    let (token, _, res) = connection_token(&auth0, &jar, "github", Some("octo")).unwrap();
    assert_eq!(token, "github-at");
    jar.apply(&res);
    assert_eq!(open_fc(&jar, "__FC_1")["loginHint"], "octo");
    // A hint only matches entries with that hint.
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("login_hint=other")),
        json_reply(
            200,
            &json!({"access_token": "github-at-2", "expires_in": 60}),
        ),
    );
    let (token, _, res) = connection_token(&auth0, &jar, "github", Some("other")).unwrap();
    assert_eq!(token, "github-at-2");
    jar.apply(&res);

    // Expired (expiresAt ≤ now, no buffer): exchanged again.
    clock.advance(3600);
    expect_discovery(&script, &p); // its 10 minutes are over
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("connection=google-oauth2")),
        json_reply(
            200,
            &json!({"access_token": "google-at-2", "expires_in": 3600}),
        ),
    );
    let (token, _, res) = connection_token(&auth0, &jar, "google-oauth2", None).unwrap();
    assert_eq!(token, "google-at-2");
    jar.apply(&res);

    // The session's own token has expired too: its refresh writes the session back with every
    // connection entry of the request (none is deleted, each is sealed again).
    let fc_names: Vec<String> = jar
        .names()
        .into_iter()
        .filter(|n| n.starts_with("__FC_"))
        .collect();
    assert!(fc_names.len() >= 2, "{fc_names:?}");
    let fcs: Vec<Value> = fc_names.iter().map(|n| open_fc(&jar, n)).collect();
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("grant_type=refresh_token"), "{}", s.body),
        json_reply(200, &json!({"access_token": "at-2", "expires_in": 600})),
    );
    let res = refresh(&auth0, &jar, false);
    assert!(
        res.set_cookies()
            .iter()
            .any(|c| c.starts_with("__session=")),
        "{res:?}"
    );
    jar.apply(&res);
    assert_eq!(open_session(&jar)["tokenSet"]["accessToken"], "at-2");
    let after: Vec<String> = jar
        .names()
        .into_iter()
        .filter(|n| n.starts_with("__FC_"))
        .collect();
    assert_eq!(after, fc_names, "{res:?}");
    for (name, before) in fc_names.iter().zip(&fcs) {
        assert!(
            res.set_cookies()
                .iter()
                .any(|c| c.starts_with(&format!("{name}=")) && !c.contains("Max-Age=0")),
            "{name} written again: {res:?}"
        );
        let mut now = open_fc(&jar, name);
        let mut before = before.clone();
        // Sealed again with the session's new lifetime: only `exp` may differ.
        now.as_object_mut().unwrap().remove("exp");
        before.as_object_mut().unwrap().remove("exp");
        assert_eq!(now, before);
    }
    assert_eq!(script.pending(), 0);
}

/// `get_access_token` for the jar's session (`force`: refresh even when fresh); its headers.
fn refresh<S: auth0_edge::runtime::SessionStore>(auth0: &Client<S>, jar: &Jar, force: bool) -> Res {
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let opts = auth0_edge::flow::AccessTokenOptions {
        refresh: force,
        ..Default::default()
    };
    let t = block_on(auth0.get_access_token(&jar.header(), &opts, &mut rand_core::OsRng, &mut buf))
        .unwrap();
    own(t.headers, false)
}

#[test]
fn connection_token_failures_are_typed() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    // No session.
    let err = connection_token(&auth0, &Jar::default(), "google-oauth2", None).unwrap_err();
    assert_eq!(err.code(), "missing_session");
    // The provider refuses the exchange.
    let jar = signed_in(&auth0, &script, &p, json!({}));
    script.expect(
        "POST",
        TOKEN,
        |_| {},
        json_reply(401, &json!({"error": "federated_connection_refresh_token_not_found", "error_description": "no refresh token for the connection"})),
    );
    let err = connection_token(&auth0, &jar, "google-oauth2", None).unwrap_err();
    assert_eq!(err.code(), "failed_to_exchange_refresh_token", "{err}");
    let mut chain = Vec::new();
    let mut cause = std::error::Error::source(&err);
    while let Some(c) = cause {
        chain.push(c.to_string());
        cause = c.source();
    }
    assert!(
        chain
            .iter()
            .any(|c| c.contains("federated_connection_refresh_token_not_found")),
        "the provider's code is in the causes: {chain:?}"
    );
    // Without a refresh token.
    let (auth0, script, _) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({"refresh_token": null}));
    let err = connection_token(&auth0, &jar, "google-oauth2", None).unwrap_err();
    assert_eq!(err.code(), "missing_refresh_token", "{err}");
    assert_eq!(script.pending(), 0);
}

// ---------------------------------------------------------------------------------------------
// Pushed authorization requests
// ---------------------------------------------------------------------------------------------

const PAR_ENDPOINT: &str = "https://t.example.com/oauth/par";

fn par_config() -> auth0_edge::config::Config<'static> {
    auth0_edge::config::Config {
        pushed_authorization_requests: true,
        ..config()
    }
}

#[test]
fn a_login_pushes_its_parameters_and_redirects_with_the_request_uri() {
    let mut p = Provider::new();
    p.metadata["pushed_authorization_request_endpoint"] = json!(PAR_ENDPOINT);
    let (auth0, script, _) = client(par_config());
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        PAR_ENDPOINT,
        |s| {
            let f = form_pairs(s.body);
            let get = |k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            assert_eq!(get("client_id"), Some("client-1"));
            assert_eq!(get("client_secret"), Some("client-secret"));
            assert_eq!(get("response_type"), Some("code"));
            assert_eq!(
                get("redirect_uri"),
                Some("https://app.example.com/auth/callback")
            );
            assert_eq!(get("code_challenge_method"), Some("S256"));
            assert_eq!(get("code_challenge").map(str::len), Some(43));
            assert_eq!(get("screen_hint"), Some("signup"));
            assert!(get("state").is_some() && get("nonce").is_some());
            assert!(get("scope").unwrap().contains("openid"));
            assert!(s.header("dpop").is_none(), "no proof on PAR");
        },
        json_reply(
            201,
            &json!({"request_uri": "urn:ietf:params:oauth:request_uri:abc", "expires_in": 60}),
        ),
    );
    let r = request(&auth0, "/auth/login?screen_hint=signup", "", &[]).unwrap();
    assert_eq!(r.status, 307, "{r:?}");
    assert_eq!(
        r.header("Location"),
        Some(
            "https://t.example.com/authorize?request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc&client_id=client-1"
        )
    );
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("__txn_")),
        "{r:?}"
    );
    assert_eq!(script.pending(), 0);
}

#[test]
fn a_failed_push_answers_500_text_and_sets_no_transaction() {
    for (endpoint, reply) in [
        (
            true,
            json_reply(
                400,
                &json!({"error": "invalid_request", "error_description": "nope"}),
            ),
        ),
        (true, json_reply(201, &json!({"expires_in": 60}))),
        (
            true,
            Step::Fail(auth0_edge::runtime::TransportError::Connect),
        ),
        (false, json_reply(201, &json!({}))),
    ] {
        let mut p = Provider::new();
        if endpoint {
            p.metadata["pushed_authorization_request_endpoint"] = json!(PAR_ENDPOINT);
        }
        let (auth0, script, _) = client(par_config());
        expect_discovery(&script, &p);
        if endpoint {
            script.expect("POST", PAR_ENDPOINT, |_| {}, reply);
        }
        let r = request(&auth0, "/auth/login", "", &[]).unwrap();
        assert_eq!(
            (r.status, r.body.as_str()),
            (
                500,
                "An error occurred while trying to initiate the login request."
            )
        );
        assert!(r.set_cookies().is_empty(), "{r:?}");
        assert_eq!(script.pending(), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// The MFA step-up answer
// ---------------------------------------------------------------------------------------------

#[test]
fn an_mfa_required_refresh_answers_403_with_a_sealed_mfa_token() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({}));
    clock.advance(3601);
    expect_discovery(&script, &p); // its 10 minutes are over
    let mfa = json!({"error": "mfa_required", "error_description": "Multifactor authentication required",
        "mfa_token": "raw-mfa-token", "mfa_requirements": {"challenge": [{"type": "otp"}]}});
    script.expect("POST", TOKEN, |_| {}, json_reply(403, &mfa));
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 403, "{r:?}");
    assert!(
        r.set_cookies().is_empty(),
        "the session stays as it was: {r:?}"
    );
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["error"], "mfa_required");
    assert_eq!(
        body["error_description"],
        "Multifactor authentication required"
    );
    assert_eq!(
        body["mfa_requirements"],
        json!({"challenge": [{"type": "otp"}]})
    );
    let sealed = body["mfa_token"].as_str().unwrap();
    assert_ne!(
        sealed, "raw-mfa-token",
        "the provider's token is never handed out raw"
    );
    // It opens with the session key (wire spec §8.4), until AUTH0_MFA_TOKEN_TTL (300 s, and
    // the 15 s tolerance of every JWE the SDK opens).
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 4096];
    let now = NOW + 3601;
    let ctx = auth0_edge::oauth::mfa::MfaContext::open(&key, sealed, now, &mut buf).unwrap();
    assert_eq!(ctx.mfa_token, "raw-mfa-token");
    assert_eq!(ctx.created_at, now * 1000);
    assert!(ctx.mfa_requirements.is_some());
    let mut buf = vec![0u8; 4096];
    assert_eq!(
        auth0_edge::oauth::mfa::MfaContext::open(&key, sealed, now + 315, &mut buf),
        Err(auth0_edge::oauth::mfa::MfaTokenError::Expired)
    );

    // The same through the API: a typed error whose challenge is in the work buffer.
    script.expect("POST", TOKEN, |_| {}, json_reply(403, &mfa));
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let err = block_on(auth0.get_access_token(
        &jar.header(),
        &Default::default(),
        &mut rand_core::OsRng,
        &mut buf,
    ))
    .unwrap_err();
    assert_eq!((err.code(), err.status()), ("mfa_required", 403));
    let AuthError::MfaRequired(m) = &err else {
        panic!("{err:?}")
    };
    let challenge = m.challenge(&buf).unwrap();
    assert_eq!(
        challenge.mfa_requirements,
        Some(r#"{"challenge":[{"type":"otp"}]}"#)
    );
    assert!(challenge.mfa_token.starts_with("eyJ"));
    assert_eq!(script.pending(), 0);
}

#[test]
fn a_stored_session_keeps_connection_tokens_in_its_record() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let store = MemStore::default();
    let auth0 = auth0.with_store(store.clone());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    expect_token(
        &script,
        json!({"access_token": "at", "refresh_token": "rt", "expires_in": 3600, "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))}),
        |_| {},
    );
    expect_jwks(&script, &p);
    let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("subject_token=rt&")),
        json_reply(
            200,
            &json!({"access_token": "google-at", "expires_in": 3600}),
        ),
    );
    let (token, _, res) = connection_token(&auth0, &jar, "google-oauth2", None).unwrap();
    assert_eq!(token, "google-at");
    assert!(
        !res.set_cookies().iter().any(|c| c.starts_with("__FC_")),
        "no __FC_ cookie for a stored session: {res:?}"
    );
    let record = store.records.borrow().values().next().unwrap().0.clone();
    let record: Value = serde_json::from_str(&record).unwrap();
    assert_eq!(
        record["connectionTokenSets"],
        json!([{"accessToken": "google-at", "expiresAt": NOW + 3600, "connection": "google-oauth2"}])
    );
    // Read back from the record: cached, no exchange.
    jar.apply(&res);
    let (token, _, _) = connection_token(&auth0, &jar, "google-oauth2", None).unwrap();
    assert_eq!(token, "google-at");
    // A forced refresh writes the record back with the new tokens and the connection entry.
    script.expect(
        "POST",
        TOKEN,
        |s| assert!(s.body.contains("refresh_token=rt&"), "{}", s.body),
        json_reply(
            200,
            &json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 600}),
        ),
    );
    let res = refresh(&auth0, &jar, true);
    jar.apply(&res);
    let records = store.records.borrow();
    assert_eq!(records.len(), 1);
    let record: Value = serde_json::from_str(&records.values().next().unwrap().0).unwrap();
    assert_eq!(record["tokenSet"]["accessToken"], "at-2");
    assert_eq!(record["tokenSet"]["refreshToken"], "rt-2");
    assert_eq!(
        record["connectionTokenSets"],
        json!([{"accessToken": "google-at", "expiresAt": NOW + 3600, "connection": "google-oauth2"}])
    );
    assert_eq!(script.pending(), 0);
}
