//! Every flow and error path, driven through a scripted `Transport` that asserts each outgoing
//! request (method, URL, headers, form body) and returns canned responses.

mod common;

use auth0_edge::config::{ClientAuth, Config, LogoutStrategy};
use auth0_edge::flow::{AccessTokenOptions, AuthError, GrantFailure, LoginOptions};
use auth0_edge::jose::jwe;
use auth0_edge::oauth::pkce;
use auth0_edge::oauth::transaction;
use auth0_edge::runtime::TransportError;
use auth0_edge::session;
use common::*;
use serde_json::{Value, json};

#[test]
fn login_redirects_with_pkce_and_a_transaction_cookie() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    let (state, nonce, r) = login(
        &auth0,
        &script,
        &p,
        "?returnTo=%2Fdashboard%3Ftab%3D1&connection=github&state=evil&prompt=login&prompt=none",
        &mut jar,
        true,
    );
    let (base, params) = r.location_params();
    assert_eq!(base, "https://t.example.com/authorize");
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "scope",
            "connection",
            "prompt",
            "client_id",
            "redirect_uri",
            "response_type",
            "code_challenge",
            "code_challenge_method",
            "state",
            "nonce"
        ]
    );
    let get = |k: &str| params.iter().find(|(n, _)| n == k).unwrap().1.as_str();
    assert_eq!(get("scope"), "openid profile email offline_access");
    assert_eq!(
        get("prompt"),
        "none",
        "the last value of a repeated parameter wins"
    );
    assert_eq!(get("redirect_uri"), "https://app.example.com/auth/callback");
    assert_eq!(get("code_challenge_method"), "S256");
    assert_ne!(state, "evil");
    assert_eq!((state.len(), nonce.len()), (43, 43));

    // The transaction cookie: `<ts>%3A<JWE>`, Secure (https app), an hour.
    let cookies = r.set_cookies();
    assert_eq!(cookies.len(), 1);
    let name = format!("__txn_{state}");
    assert!(
        cookies[0].starts_with(&format!("{name}={NOW}%3AeyJ")),
        "{}",
        cookies[0]
    );
    assert!(cookies[0].ends_with("; Max-Age=3600; Secure; HttpOnly; SameSite=lax"));
    let raw = jar.0.get(&name).unwrap().replace("%3A", ":");
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = [0u8; 2048];
    let t = transaction::open(&key, &raw, NOW, &mut buf)
        .unwrap()
        .transaction;
    assert_eq!(t.return_to, "/dashboard?tab=1");
    assert_eq!(t.state, state.as_str());
    assert_eq!(t.nonce, nonce.as_str());
    assert_eq!(
        pkce::challenge(&t.code_verifier.to_string()).as_str(),
        get("code_challenge")
    );
    assert_eq!(t.scope.unwrap(), "openid profile email offline_access");
    script.done();

    // Discovery is cached: a second login makes no request.
    let r2 = request(&auth0, "/auth/login", "", &[]).unwrap();
    assert_eq!(r2.status, 307);
    assert_eq!(script.count(), 1);
}

#[test]
fn login_rejects_bad_input_and_answers_prefetches() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let r = request(&auth0, "/auth/login", "", &[("Next-Router-Prefetch", "1")]).unwrap();
    assert_eq!(
        (r.status, r.header("Cache-Control")),
        (204, Some("no-store"))
    );
    assert!(r.set_cookies().is_empty());
    let r = request(&auth0, "/auth/login?max_age=10s", "", &[]).unwrap();
    assert_eq!(r.status, 400);
    let r = request(&auth0, "/auth/login?challengeMode=iframe", "", &[]).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(script.count(), 0);
    // The provider is down: 500 with the SDK's text, no cookie.
    script.expect(
        "GET",
        "https://t.example.com/.well-known/openid-configuration",
        |_| {},
        Step::Fail(TransportError::Connect),
    );
    let r = request(&auth0, "/auth/login", "", &[]).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            500,
            "An error occurred while trying to initiate the login request."
        )
    );
    assert!(r.set_cookies().is_empty());
    // Open redirects fall back to the sign-in return path.
    expect_discovery(&script, &p);
    for evil in [
        "%2F%2Fevil.com",
        "https%3A%2F%2Fevil.com%2F",
        "%2F%5Cevil.com",
        "javascript%3Aalert(1)",
        "%2F%0D%0ASet-Cookie%3Ax",
    ] {
        let r = request(&auth0, &format!("/auth/login?returnTo={evil}"), "", &[]).unwrap();
        let c = r.set_cookies()[0]
            .split("; ")
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .replace("%3A", ":");
        let key = jwe::Key::from_secret(SECRET).unwrap();
        let mut buf = [0u8; 2048];
        let t = transaction::open(&key, &c, NOW, &mut buf)
            .unwrap()
            .transaction;
        let rt = t.return_to.to_string();
        assert!(
            rt == "/" || (rt.starts_with('/') && !rt.starts_with("//") && !rt.contains('\n')),
            "{evil} -> {rt}"
        );
    }
}

#[test]
fn old_transactions_are_evicted_oldest_first() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let clock = auth0.clock().clone();
    let mut jar = Jar::default();
    let mut states = vec![];
    for i in 0..8 {
        clock.advance(1);
        let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, i == 0);
        states.push(state);
        let total: usize = jar.0.iter().map(|(k, v)| k.len() + 1 + v.len() - 2).sum();
        assert!(
            total < 3500 + 600,
            "the transaction cookies stay near the budget: {total}"
        );
    }
    // About 500 bytes each: the oldest are pushed out, the newest kept.
    let names = jar.names();
    assert!(
        !names.contains(&format!("__txn_{}", states[0])),
        "{names:?}"
    );
    assert!(names.contains(&format!("__txn_{}", states[7])));
    assert!(names.len() < 8);
}

#[test]
fn single_transaction_mode_uses_one_cookie() {
    let p = Provider::new();
    let (auth0, script, _) = client(Config {
        enable_parallel_transactions: false,
        ..config()
    });
    let mut jar = Jar::default();
    let (state, _, r) = login(&auth0, &script, &p, "", &mut jar, true);
    assert!(r.set_cookies()[0].starts_with("__txn_="));
    assert_eq!(jar.names(), ["__txn_"]);
    let _ = state;
}

#[test]
fn callback_signs_in() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(
        &auth0,
        &script,
        &p,
        "?returnTo=%2Fdashboard",
        &mut jar,
        true,
    );
    let id_token = p.sign_rs256(&p.claims(&nonce, json!({"session_expiry": NOW + 86_400})));
    let expected_verifier = {
        let raw = jar
            .0
            .get(&format!("__txn_{state}"))
            .unwrap()
            .replace("%3A", ":");
        let key = jwe::Key::from_secret(SECRET).unwrap();
        let mut buf = [0u8; 2048];
        transaction::open(&key, &raw, NOW, &mut buf)
            .unwrap()
            .transaction
            .code_verifier
            .to_string()
    };
    expect_token(
        &script,
        json!({"access_token": "at-1", "refresh_token": "rt-1", "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile", "id_token": id_token}),
        move |s| {
            assert_eq!(
                s.header("Content-Type"),
                Some("application/x-www-form-urlencoded")
            );
            assert_eq!(
                s.form(),
                [
                    ("grant_type".into(), "authorization_code".into()),
                    ("code".into(), "the code".into()),
                    (
                        "redirect_uri".into(),
                        "https://app.example.com/auth/callback".into()
                    ),
                    ("code_verifier".into(), expected_verifier.clone()),
                    ("client_id".into(), "client-1".into()),
                    ("client_secret".into(), "client-secret".into()),
                ]
            );
        },
    );
    expect_jwks(&script, &p);
    let r = callback(&auth0, &format!("code=the+code&state={state}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    assert_eq!(
        r.header("Location"),
        Some("https://app.example.com/dashboard")
    );
    assert_eq!(
        r.header("Cache-Control"),
        Some("private, no-cache, no-store, must-revalidate, max-age=0")
    );
    let cookies = r.set_cookies();
    assert!(
        cookies[0].starts_with("__session=eyJ")
            && cookies[0].contains("Max-Age=86400; Secure; HttpOnly; SameSite=lax")
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("__txn_{state}=; Path=/; Max-Age=0")))
    );
    jar.apply(&r);
    assert!(!jar.names().iter().any(|n| n.starts_with("__txn_")));
    let s = open_session(&jar);
    // The default filter keeps the default claims only, in order.
    assert_eq!(
        s["user"],
        json!({"sub": "auth0|user_1", "name": "Zoë", "email": "zoe@example.com", "email_verified": true})
    );
    assert_eq!(s["tokenSet"]["accessToken"], "at-1");
    assert_eq!(s["tokenSet"]["refreshToken"], "rt-1");
    assert_eq!(s["tokenSet"]["idToken"], id_token.as_str());
    assert_eq!(s["tokenSet"]["scope"], "openid profile");
    assert_eq!(
        s["tokenSet"]["requestedScope"],
        "openid profile email offline_access"
    );
    assert_eq!(s["tokenSet"]["expiresAt"], NOW + 3600);
    assert_eq!(
        s["tokenSet"]["token_type"], "bearer",
        "token_type recorded at login, lower case as after a refresh (the SDK waits for a refresh)"
    );
    assert_eq!(
        s["internal"],
        json!({"sid": "sid-1", "createdAt": NOW, "sessionExpiresAt": NOW + 86_400})
    );
    let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["user", "tokenSet", "internal"],
        "the SDK's order (serde_json keeps it with preserve_order)"
    );
    script.done();

    // A replayed callback (the transaction cookie is gone) is an invalid state.
    let r = callback(&auth0, &format!("code=the+code&state={state}"), &jar);
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is invalid.")
    );
}

#[test]
fn callback_verifies_es256_and_refetches_rotated_keys_once() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    // Signed with a kid the cached JWKS lacks: one refetch finds it.
    let id_token = p.sign_es256(&p.claims(&nonce, json!({})), "ec-new");
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": id_token, "expires_in": 60}),
        |_| {},
    );
    let mut stale = p.jwks();
    stale["keys"].as_array_mut().unwrap().pop();
    script.expect(
        "GET",
        "https://t.example.com/.well-known/jwks.json",
        |_| {},
        json_reply(200, &stale),
    );
    let mut rotated = p.jwks();
    rotated["keys"][1]["kid"] = json!("ec-new");
    script.expect(
        "GET",
        "https://t.example.com/.well-known/jwks.json",
        |_| {},
        json_reply(200, &rotated),
    );
    let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    script.done();

    // An unknown kid again within 30 s: no refetch, a clear error.
    let (state2, nonce2, _) = login(&auth0, &script, &p, "", &mut jar, false);
    let bad = p.sign_es256(&p.claims(&nonce2, json!({})), "ec-unknown");
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": bad}),
        |_| {},
    );
    clock.advance(5);
    let r = callback(&auth0, &format!("code=c&state={state2}"), &jar);
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            500,
            "An error occurred while trying to exchange the authorization code."
        )
    );
    script.done();
}

/// Runs a callback whose token response is `tokens` and returns the error it gives.
fn callback_error(tokens: Step, query_extra: &str, with_jwks: bool) -> (Res, Option<AuthError>) {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, true);
    script.expect("POST", "https://t.example.com/oauth/token", |_| {}, tokens);
    if with_jwks {
        expect_jwks(&script, &p);
    }
    let r = callback(&auth0, &format!("code=c&state={state}{query_extra}"), &jar);
    (r, None)
}

#[test]
fn callback_errors_follow_the_sdk() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    // Missing state.
    let r = request(&auth0, "/auth/callback?code=c", "", &[]).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is missing.")
    );
    // Unknown state: no transaction cookie.
    let r = request(&auth0, "/auth/callback?code=c&state=nope", "", &[]).unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is invalid.")
    );
    // A tampered transaction cookie.
    let mut jar = Jar::default();
    let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, true);
    let name = format!("__txn_{state}");
    let v = jar.0.get(&name).unwrap().clone();
    jar.0.insert(name.clone(), v.replacen("eyJ", "eyK", 1));
    let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is invalid.")
    );
    assert!(
        r.set_cookies().is_empty(),
        "an unreadable transaction is not deleted (SDK)"
    );
    // The provider's error.
    let mut jar = Jar::default();
    let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, false);
    let r = request(
        &auth0,
        &format!(
            "/auth/callback?error=access_denied&error_description=User+cancelled&state={state}"
        ),
        &jar.header(),
        &[],
    )
    .unwrap();
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "An error occurred during the authorization flow.")
    );
    assert!(
        r.set_cookies()[0].starts_with(&format!("__txn_{state}=; ")),
        "the transaction is deleted"
    );
    // A mix-up: iss from another issuer.
    let mut jar = Jar::default();
    let (state, _, _) = login(&auth0, &script, &p, "", &mut jar, false);
    let r = callback(
        &auth0,
        &format!("code=c&state={state}&iss=https%3A%2F%2Fevil.example%2F"),
        &jar,
    );
    assert_eq!(r.body, "An error occurred during the authorization flow.");
    script.done();

    // Token endpoint down, a timeout, a malformed response, an OAuth error, a bad ID token.
    let (r, _) = callback_error(Step::Fail(TransportError::Timeout), "", false);
    assert_eq!(
        r.body,
        "An error occurred while trying to request the authorization code grant."
    );
    let (r, _) = callback_error(
        Step::Reply {
            status: 200,
            headers: String::new(),
            body: b"<html>oops</html>".to_vec(),
        },
        "",
        false,
    );
    assert_eq!(
        r.body,
        "An error occurred while trying to exchange the authorization code."
    );
    let (r, _) = callback_error(
        json_reply(
            403,
            &json!({"error": "unauthorized_client", "error_description": "nope"}),
        ),
        "",
        false,
    );
    assert_eq!(
        r.body,
        "An error occurred while trying to exchange the authorization code."
    );
    let (r, _) = callback_error(json_reply(200, &json!({"access_token": "at"})), "", false);
    assert_eq!(
        r.body, "An error occurred while trying to exchange the authorization code.",
        "no id_token"
    );
    let forged = {
        let p2 = Provider::new();
        p2.sign_es256(&p2.claims("x", json!({})), "ec-1")
    };
    let (r, _) = callback_error(
        json_reply(200, &json!({"access_token": "at", "id_token": forged})),
        "",
        true,
    );
    assert_eq!(r.status, 500, "a token signed by another key is refused");
}

#[test]
fn id_token_claim_failures_are_refused() {
    let p = Provider::new();
    for (extra, what) in [
        (json!({"nonce": "other"}), "nonce"),
        (json!({"aud": "someone-else"}), "aud"),
        (
            json!({"iss": "https://t.example.com"}),
            "iss without the slash",
        ),
        (json!({"exp": NOW - 60}), "expired"),
        (json!({"iat": NOW + 600}), "issued in the future"),
        (json!({"aud": ["client-1", "api"]}), "azp missing"),
    ] {
        let (auth0, script, _) = client(config());
        let mut jar = Jar::default();
        let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
        let mut claims = p.claims(&nonce, extra.clone());
        if extra.get("nonce").is_some() {
            claims["nonce"] = extra["nonce"].clone();
        }
        expect_token(
            &script,
            json!({"access_token": "at", "id_token": p.sign_rs256(&claims)}),
            |_| {},
        );
        expect_jwks(&script, &p);
        let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
        assert_eq!(
            (r.status, r.body.as_str()),
            (
                500,
                "An error occurred while trying to exchange the authorization code."
            ),
            "{what}"
        );
        assert!(
            !r.set_cookies().iter().any(|c| c.starts_with("__session=")),
            "{what}"
        );
    }
}

#[test]
fn client_authentication_methods() {
    let p = Provider::new();
    // client_secret_basic
    let (auth0, script, _) = client(Config {
        client_auth: ClientAuth::SecretBasic("s:c"),
        ..config()
    });
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))}),
        |s| {
            assert_eq!(
                s.header("Authorization"),
                Some("Basic Y2xpZW50LTE6cyUzQWM=")
            );
            assert!(!s.body.contains("client_secret"));
        },
    );
    expect_jwks(&script, &p);
    assert_eq!(
        callback(&auth0, &format!("code=c&state={state}"), &jar).status,
        307
    );

    // private_key_jwt with an ES256 key
    let key = EcKeyPair::generate(&mut rand_core::OsRng);
    let pem: &'static str = Box::leak(key.private_pem().into_boxed_str());
    let public = key.public_key();
    let (auth0, script, _) = client(Config {
        client_auth: ClientAuth::PrivateKeyJwt(pem),
        ..config()
    });
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))}),
        move |s| {
            let form = s.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).unwrap().1.clone();
            assert_eq!(
                get("client_assertion_type"),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            );
            let mut buf = [0u8; 1024];
            let v = auth0_edge::jose::jws::verify(
                &get("client_assertion"),
                public.as_jws_key(),
                &[auth0_edge::jose::jws::Algorithm::ES256],
                &mut buf,
            )
            .unwrap();
            let claims: Value = serde_json::from_slice(v.payload).unwrap();
            assert_eq!(
                (claims["iss"].as_str(), claims["aud"].as_str()),
                (Some("client-1"), Some(ISSUER))
            );
        },
    );
    expect_jwks(&script, &p);
    assert_eq!(
        callback(&auth0, &format!("code=c&state={state}"), &jar).status,
        307
    );
}
use auth0_edge::jose::jwk::EcKeyPair;

#[test]
fn profile_route() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let r = request(&auth0, "/auth/profile", "", &[]).unwrap();
    assert_eq!((r.status, r.body.as_str()), (401, ""));
    let jar = signed_in(&auth0, &script, &p, json!({}));
    let r = request(&auth0, "/auth/profile", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/json"));
    assert_eq!(r.header("Pragma"), Some("no-cache"));
    let user: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(user["sub"], "auth0|user_1");
    let (auth0, _, _) = client(Config {
        no_content_profile_response_when_unauthenticated: true,
        ..config()
    });
    assert_eq!(
        request(&auth0, "/auth/profile", "", &[]).unwrap().status,
        204
    );
    // A tampered or expired session is no session.
    let mut bad = jar.clone();
    let v = bad.0.get("__session").unwrap().clone();
    bad.0.insert("__session".into(), v.replacen('.', ".x", 4));
    assert_eq!(
        request(&auth0, "/auth/profile", &bad.header(), &[])
            .unwrap()
            .status,
        204
    );
}

#[test]
fn access_token_route_and_refresh() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    // No session.
    let r = request(&auth0, "/auth/access-token", "", &[]).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap(),
        json!({"error": {"message": "The user does not have an active session.", "code": "missing_session"}})
    );
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    // Valid: returned as is, no cookie.
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 200);
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"token": "at-1", "scope": "openid profile email offline_access", "expires_at": NOW + 3600, "expires_in": 3600, "token_type": "bearer"})
    );
    assert!(r.set_cookies().is_empty());
    // Expired: refreshed with the refresh token, rotated, persisted (discovery is refetched
    // after its 10 minutes).
    clock.advance(3600);
    expect_discovery(&script, &p);
    script.expect("POST", "https://t.example.com/oauth/token", |s| {
        assert_eq!(
            s.form(),
            [
                ("grant_type".into(), "refresh_token".into()),
                ("refresh_token".into(), "rt-1".into()),
                ("client_id".into(), "client-1".into()),
                ("client_secret".into(), "client-secret".into()),
            ]
        );
    }, json_reply(200, &json!({"access_token": "at-2", "refresh_token": "rt-2", "token_type": "Bearer", "expires_in": 600, "scope": "openid profile"})));
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let body: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        body,
        json!({"token": "at-2", "scope": "openid profile", "expires_at": NOW + 4200, "expires_in": 600, "token_type": "bearer"})
    );
    assert!(r.set_cookies()[0].starts_with("__session="));
    jar.apply(&r);
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let s = session::open(&jar.header(), "__session", &key, NOW + 3600, &mut buf)
        .unwrap()
        .session;
    assert_eq!(s.token_set.refresh_token.unwrap(), "rt-2");
    assert_eq!(s.token_set.token_type.unwrap(), "bearer");
    assert!(
        s.token_set.id_token.is_none(),
        "a refresh without id_token loses it, as in the SDK"
    );
    assert_eq!(s.internal.created_at, Some(NOW), "createdAt is kept");
    script.done();

    // Forced refresh without a rotated refresh token keeps the old one.
    script.expect(
        "POST",
        "https://t.example.com/oauth/token",
        |s| assert!(s.body.contains("refresh_token=rt-2")),
        json_reply(200, &json!({"access_token": "at-3", "expires_in": 600})),
    );
    let mut buf2 = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let t = auth0_edge::testing::block_on(auth0.get_access_token(
        &jar.header(),
        &AccessTokenOptions {
            refresh: true,
            ..Default::default()
        },
        &mut rand_core::OsRng,
        &mut buf2,
    ))
    .unwrap();
    assert_eq!(t.token, "at-3");
    let headers = own(t.headers, false);
    jar.apply(&headers);
    let mut buf = vec![0u8; 64 * 1024];
    let s = session::open(&jar.header(), "__session", &key, NOW + 3600, &mut buf)
        .unwrap()
        .session;
    assert_eq!(s.token_set.refresh_token.unwrap(), "rt-2");

    // The provider is down mid-refresh: a clear error, the session untouched.
    clock.advance(600);
    expect_discovery(&script, &p);
    script.expect(
        "POST",
        "https://t.example.com/oauth/token",
        |_| {},
        Step::Fail(TransportError::Connect),
    );
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["error"]["code"],
        "failed_to_refresh_token"
    );
    assert!(r.set_cookies().is_empty(), "nothing lost");
    // invalid_grant: the same error code.
    script.expect("POST", "https://t.example.com/oauth/token", |_| {}, json_reply(400, &json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})));
    let mut buf3 = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let err = auth0_edge::testing::block_on(auth0.get_access_token(
        &jar.header(),
        &AccessTokenOptions::default(),
        &mut rand_core::OsRng,
        &mut buf3,
    ))
    .unwrap_err();
    match err {
        AuthError::FailedToRefreshToken(GrantFailure::Provider(e)) => {
            assert_eq!(e.error.as_str(), "invalid_grant")
        }
        other => panic!("{other:?}"),
    }
    script.done();
}

#[test]
fn missing_refresh_token_and_mrrt() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let jar = signed_in(&auth0, &script, &p, json!({"refresh_token": null}));
    clock.advance(4000);
    let r = request(&auth0, "/auth/access-token", &jar.header(), &[]).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["error"]["code"],
        "missing_refresh_token"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["error"]["message"],
        "The access token has expired and a refresh token was not provided. The user needs to re-authenticate."
    );

    // MRRT: another audience gets its own entry in accessTokens.
    let (auth0, script, _) = client(config());
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    script.expect("POST", "https://t.example.com/oauth/token", |s| {
        let f = s.form();
        assert!(f.contains(&("audience".into(), "https://api.example.com".into())));
        assert!(f.contains(&("scope".into(), "openid profile email offline_access read:data".into())));
    }, json_reply(200, &json!({"access_token": "at-api", "expires_in": 600, "scope": "read:data", "token_type": "DPoP"})));
    let r = request(
        &auth0,
        "/auth/access-token?audience=https%3A%2F%2Fapi.example.com&scope=read%3Adata",
        &jar.header(),
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    jar.apply(&r);
    let s = open_session(&jar);
    assert_eq!(
        s["tokenSet"]["accessToken"], "at-1",
        "the global token is untouched"
    );
    assert_eq!(
        s["accessTokens"],
        json!([{"accessToken": "at-api", "expiresAt": NOW + 600, "audience": "https://api.example.com", "scope": "read:data",
            "requestedScope": "openid profile email offline_access read:data", "token_type": "dpop"}])
    );
    // Asked again: served from the entry, no request.
    let n = script.count();
    let r = request(
        &auth0,
        "/auth/access-token?audience=https%3A%2F%2Fapi.example.com&scope=read%3Adata",
        &jar.header(),
        &[],
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["token"],
        "at-api"
    );
    assert_eq!(script.count(), n);
}

#[test]
fn logout_clears_everything_and_revokes() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    jar.0.insert("__session__3".into(), "stale".into());
    jar.0.insert("__txn_abandoned".into(), "1%3Ax".into());
    jar.0.insert("__FC_0".into(), "conn".into());
    script.expect(
        "POST",
        "https://t.example.com/oauth/revoke",
        |s| {
            assert_eq!(
                s.form()[..2],
                [
                    ("token".into(), "rt-1".into()),
                    ("token_type_hint".into(), "refresh_token".into())
                ]
            );
        },
        Step::Fail(TransportError::Timeout),
    );
    let r = request(
        &auth0,
        "/auth/logout?returnTo=https%3A%2F%2Fapp.example.com%2Fbye&federated&state=xyz",
        &jar.header(),
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 307);
    let (base, params) = r.location_params();
    assert_eq!(base, "https://t.example.com/oidc/logout");
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "post_logout_redirect_uri",
            "state",
            "logout_hint",
            "id_token_hint",
            "federated"
        ]
    );
    assert_eq!(params[1].1, "https://app.example.com/bye");
    assert_eq!(params[3].1, "sid-1");
    jar.apply(&r);
    assert!(jar.0.is_empty(), "every cookie cleared: {:?}", jar.names());
    assert_eq!(
        r.header("Cache-Control"),
        Some("private, no-cache, no-store, must-revalidate, max-age=0")
    );
    script.done();

    // v2 strategy, and OIDC asked of a provider without end_session_endpoint.
    let (auth0, script, _) = client(Config {
        logout_strategy: LogoutStrategy::V2,
        include_id_token_hint_in_oidc_logout_url: false,
        ..config()
    });
    expect_discovery(&script, &p);
    let r = request(&auth0, "/auth/logout", "", &[]).unwrap();
    assert_eq!(
        r.header("Location"),
        Some(
            "https://t.example.com/v2/logout?returnTo=https%3A%2F%2Fapp.example.com&client_id=client-1"
        )
    );
    let mut no_end = Provider::new();
    no_end
        .metadata
        .as_object_mut()
        .unwrap()
        .remove("end_session_endpoint");
    let (auth0, script, _) = client(Config {
        logout_strategy: LogoutStrategy::Oidc,
        ..config()
    });
    expect_discovery(&script, &no_end);
    let r = request(&auth0, "/auth/logout", "__session=x", &[]).unwrap();
    assert_eq!(r.status, 500);
    assert!(
        r.body
            .starts_with("OIDC RP-Initiated Logout is not supported")
    );
    assert!(
        r.set_cookies()
            .iter()
            .any(|c| c.starts_with("__session=; "))
    );
}

#[test]
fn rolling_touch_and_update_session() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    clock.advance(1000);
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.next);
    let c = r.set_cookies();
    assert!(
        c[0].starts_with("__session=") && c[0].contains("Max-Age=86400"),
        "{c:?}"
    );
    assert_eq!(r.header("Pragma"), Some("no-cache"));
    jar.apply(&r);
    // Each visit extends it; near the absolute limit (3 days) the max age shrinks.
    for _ in 0..3 {
        clock.advance(86_000);
        let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
        jar.apply(&r);
    }
    clock.advance(259_200 - 1000 - 3 * 86_000 - 100);
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    // At the absolute limit a roll cannot move the expiry: nothing is written (the SDK
    // re-seals it with Max-Age=100; `rolling_threshold: 0` does too, see below).
    assert!(r.next && r.set_cookies().is_empty(), "{r:?}");
    // Past it, the session is gone.
    clock.advance(200);
    jar.apply(&r);
    assert!(
        request(&auth0, "/dashboard", &jar.header(), &[])
            .unwrap()
            .headers
            .is_empty()
    );
    clock.set(NOW);
    // No session: nothing to add.
    let r = request(&auth0, "/", "", &[]).unwrap();
    assert!(r.next && r.headers.is_empty());
    // Rolling off: nothing written.
    let mut cfg = config();
    cfg.session.durations.rolling = false;
    let (auth0b, _, _) = client(cfg);
    let r = request(&auth0b, "/x", &jar.header(), &[]).unwrap();
    assert!(r.headers.is_empty());

    // update_session keeps internal and changes the rest.
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut s = session::open(&jar.header(), "__session", &key, NOW + 1000, &mut buf)
        .unwrap()
        .session;
    let user =
        auth0_edge::codec::json::Object::parse(r#"{"sub":"auth0|user_1","nickname":"z"}"#).unwrap();
    s.user = user;
    s.internal.created_at = Some(1);
    let mut out = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let clock_now = NOW + 1000;
    clock.set(clock_now);
    let res = auth0_edge::testing::block_on(auth0.update_session(
        &jar.header(),
        &s,
        &mut rand_core::OsRng,
        &mut out,
    ))
    .unwrap();
    let mut jar2 = jar.clone();
    jar2.apply(&own(res, false));
    let s2 = open_session(&jar2);
    assert_eq!(s2["user"]["nickname"], "z");
    assert_eq!(s2["internal"]["createdAt"], NOW);
    let mut out = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    assert_eq!(
        auth0_edge::testing::block_on(auth0.update_session(
            "",
            &s,
            &mut rand_core::OsRng,
            &mut out
        ))
        .unwrap_err(),
        AuthError::MissingSession
    );
}

#[test]
fn large_sessions_are_chunked_and_read_back() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    // A custom hook keeps every claim; many claims make the cookie need 3+ chunks.
    let mut extra = json!({});
    for i in 0..120 {
        extra[format!("https://example.com/claim_{i}")] =
            json!(format!("value {i} value {i} value {i}"));
    }
    let auth0 = {
        struct KeepAll;
        impl auth0_edge::flow::Hooks for KeepAll {
            fn before_session_saved(
                &self,
                s: &mut auth0_edge::flow::SessionToSave<'_, '_, '_>,
            ) -> Result<(), auth0_edge::Error> {
                auth0_edge::oauth::id_token::write_claims_where(s.claims, s.user, |k| {
                    k != "nonce"
                })?;
                s.extra.push_str(r#"{"custom":{"kept":true}}"#)
            }
        }
        auth0.with_hooks(KeepAll)
    };
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": p.sign_rs256(&p.claims(&nonce, extra))}),
        |_| {},
    );
    expect_jwks(&script, &p);
    let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    assert!(
        jar.names().contains(&"__session__2".to_string()),
        "{:?}",
        jar.names()
    );
    let r = request(&auth0, "/auth/profile", &jar.header(), &[]).unwrap();
    let user: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        user["https://example.com/claim_119"],
        "value 119 value 119 value 119"
    );
    let s = open_session(&jar);
    assert_eq!(s["custom"], json!({"kept": true}));
}

#[test]
fn a_hook_may_store_more_than_the_claims_and_its_failure_is_the_callbacks_error() {
    // `user` is written into the rest of the work buffer (only what is written is kept), so a
    // hook may add more than the claims; a hook that fails is the callback's error, unchanged.
    struct Notes(bool);
    impl auth0_edge::flow::Hooks for Notes {
        fn before_session_saved(
            &self,
            s: &mut auth0_edge::flow::SessionToSave<'_, '_, '_>,
        ) -> Result<(), auth0_edge::Error> {
            if self.0 {
                return Err(auth0_edge::ConfigError::Invalid {
                    option: "before_session_saved",
                    reason: "refused by the test",
                }
                .into());
            }
            s.user.push_str(r#"{"sub":"auth0|notes","notes":""#)?;
            for _ in 0..100 {
                s.user
                    .push_str("forty bytes of notes about this user... ")?;
            }
            s.user.push_str(r#""}"#)
        }
    }
    for fail in [false, true] {
        let p = Provider::new();
        let (auth0, script, _) = client(config());
        let auth0 = auth0.with_hooks(Notes(fail));
        let mut jar = Jar::default();
        let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
        expect_token(
            &script,
            json!({"access_token": "at", "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))}),
            |_| {},
        );
        expect_jwks(&script, &p);
        let path = format!("/auth/callback?code=c&state={state}");
        if fail {
            let e = request(&auth0, &path, &jar.header(), &[]).unwrap_err();
            assert!(format!("{e:?}").contains("refused by the test"), "{e:?}");
            continue;
        }
        let r = request(&auth0, &path, &jar.header(), &[]).unwrap();
        assert_eq!(r.status, 307, "{r:?}");
        jar.apply(&r);
        let r = request(&auth0, "/auth/profile", &jar.header(), &[]).unwrap();
        let user: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(user["sub"], "auth0|notes");
        assert_eq!(user["notes"].as_str().unwrap().len(), 4000);
    }
}

#[test]
fn stateful_sessions_in_a_store() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let store = MemStore::default();
    let auth0 = auth0.with_store(store.clone());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    expect_token(
        &script,
        json!({"access_token": "at", "refresh_token": "rt", "id_token": p.sign_rs256(&p.claims(&nonce, json!({})))}),
        |_| {},
    );
    expect_jwks(&script, &p);
    let r = callback(&auth0, &format!("code=c&state={state}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    assert_eq!(store.records.borrow().len(), 1);
    let (id, (json, sid, sub)) = store
        .records
        .borrow()
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(
        (sid.as_deref(), sub.as_deref()),
        (Some("sid-1"), Some("auth0|user_1"))
    );
    assert!(json.contains("\"accessToken\":\"at\""));
    // The cookie holds only the id.
    let key = jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = [0u8; 512];
    let payload = jwe::open_jwt(&key, jar.0.get("__session").unwrap(), NOW, &mut buf).unwrap();
    assert_eq!(payload.get_str("id").unwrap(), id.as_str());
    // Reads go through the store.
    let r = request(&auth0, "/auth/profile", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 200);
    // A second login gets a new id and the old record is deleted (fixation).
    let (state2, nonce2, _) = login(&auth0, &script, &p, "", &mut jar, false);
    expect_token(
        &script,
        json!({"access_token": "at2", "id_token": p.sign_rs256(&p.claims(&nonce2, json!({})))}),
        |_| {},
    );
    let r = callback(&auth0, &format!("code=c&state={state2}"), &jar);
    assert_eq!(r.status, 307, "{r:?}");
    jar.apply(&r);
    assert!(
        !store.records.borrow().contains_key(&id),
        "old record deleted"
    );
    assert_eq!(store.records.borrow().len(), 1);
    // Logout deletes the record.
    script.expect(
        "POST",
        "https://t.example.com/oauth/revoke",
        |_| {},
        json_reply(200, &json!({})),
    );
    let r = request(&auth0, "/auth/logout", &jar.header(), &[]).unwrap();
    assert_eq!(r.status, 307);
    assert!(store.records.borrow().is_empty());
    // A deleted record means no session, and a rolling write writes nothing.
    let r = request(&auth0, "/x", &jar.header(), &[]).unwrap();
    assert!(r.headers.is_empty());
}

#[test]
fn start_interactive_login_and_routes_under_a_base_path() {
    let p = Provider::new();
    let (auth0, script, _) = client(Config {
        app_base_url: "https://app.example.com/app",
        ..config()
    });
    expect_discovery(&script, &p);
    let opts = LoginOptions {
        authorization_params: auth0_edge::config::Pairs::new(&[
            ("screen_hint", "signup"),
            ("client_id", "evil"),
        ]),
        return_to: Some("/welcome?x=1"),
    };
    let mut buf = vec![0u8; auth0_edge::flow::FLOW_BUFFER_LEN];
    let r = own(
        auth0_edge::testing::block_on(auth0.start_interactive_login(
            &opts,
            "",
            &mut rand_core::OsRng,
            &mut buf,
        ))
        .unwrap(),
        false,
    );
    let (_, params) = r.location_params();
    assert!(params.contains(&("screen_hint".into(), "signup".into())));
    assert!(params.contains(&("client_id".into(), "client-1".into())));
    assert!(params.contains(&(
        "redirect_uri".into(),
        "https://app.example.com/app/auth/callback".into()
    )));
    // Routes are matched under the base path; other paths pass through.
    assert_eq!(
        request(&auth0, "/app/auth/login/", "", &[]).unwrap().status,
        307
    );
    assert!(request(&auth0, "/auth/login", "", &[]).unwrap().next);
}

#[test]
fn a_session_too_large_for_cookies_is_a_clear_error() {
    let p = Provider::new();
    let (auth0, script, _) = client(config());
    let mut jar = Jar::default();
    let (state, nonce, _) = login(&auth0, &script, &p, "", &mut jar, true);
    let mut extra = json!({});
    for i in 0..400 {
        extra[format!("c{i}")] = json!("x".repeat(60));
    }
    struct KeepAll;
    impl auth0_edge::flow::Hooks for KeepAll {
        fn before_session_saved(
            &self,
            s: &mut auth0_edge::flow::SessionToSave<'_, '_, '_>,
        ) -> Result<(), auth0_edge::Error> {
            auth0_edge::oauth::id_token::write_claims_where(s.claims, s.user, |_| true)
        }
    }
    let auth0 = auth0.with_hooks(KeepAll);
    expect_token(
        &script,
        json!({"access_token": "at", "id_token": p.sign_rs256(&p.claims(&nonce, extra))}),
        |_| {},
    );
    expect_jwks(&script, &p);
    let headers = [("cookie", jar.header())];
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let h: &[(&str, &str)] = &h;
    let path = format!("/auth/callback?code=c&state={state}");
    let req = auth0_edge::http::Request::get(&path, &h);
    let mut buf = vec![0u8; 512 * 1024];
    let err = auth0_edge::testing::block_on(auth0.callback(&req, &mut rand_core::OsRng, &mut buf))
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Core(auth0_edge::Error::Session(
                auth0_edge::SessionError::TooLarge { .. }
            ))
        ),
        "{err:?}"
    );
    assert!(
        auth0_edge::Report(&err)
            .to_string()
            .contains("configure a SessionStore"),
        "{err}"
    );
}

#[test]
fn rolling_re_seals_only_past_the_threshold() {
    let p = Provider::new();
    let (auth0, script, clock) = client(config());
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    // Within the default 60 s, a roll would move the expiry by less: nothing is written.
    clock.advance(59);
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.next && r.headers.is_empty(), "{r:?}");
    // From 60 s on, the cookie is re-sealed with a full inactivity duration.
    clock.advance(1);
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.set_cookies()[0].contains("Max-Age=86400"), "{r:?}");
    assert_eq!(r.header("Pragma"), Some("no-cache"));
    jar.apply(&r);
    let s = open_session(&jar);
    assert_eq!(s["internal"]["createdAt"], NOW, "createdAt is kept");

    // A threshold of 0 is the SDK's behaviour: every response re-seals, also at the absolute
    // limit, where the max age shrinks.
    let mut config = config();
    config.session.durations.rolling_threshold = 0;
    let (auth0, script, clock) = client(config);
    let mut jar = signed_in(&auth0, &script, &p, json!({}));
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.set_cookies()[0].contains("Max-Age=86400"), "{r:?}");
    jar.apply(&r);
    for _ in 0..3 {
        clock.advance(86_000);
        let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
        assert_eq!(r.set_cookies().len(), 1, "{r:?}");
        jar.apply(&r);
    }
    clock.advance(1100);
    let r = request(&auth0, "/dashboard", &jar.header(), &[]).unwrap();
    assert!(r.set_cookies()[0].contains("Max-Age=100"), "{r:?}");
}
