//! The SDK's server features against oidc-provider: back-channel logout (memory and Redis
//! stores), CIBA through the `auth0-edge ciba` command, connection access tokens (Token Vault)
//! and pushed authorization requests.

use super::harness::*;
use serde_json::{Value, json};

/// The session's `internal.sid`, read through the client.
async fn sid_of(app: &App, b: &Browser) -> String {
    let s = app
        .client
        .get_session(&header_map(b))
        .await
        .unwrap()
        .expect("a session");
    let internal: Value = serde_json::from_str(s.sdk_member("internal").unwrap()).unwrap();
    internal["sid"].as_str().unwrap().to_string()
}

/// The status of `GET /api/me` for a browser.
async fn me(app: &App, b: &mut Browser) -> u16 {
    b.get(&format!("{}/api/me", app.base)).await.status
}

/// A logout token from the provider's `/test/logout-token` (claims and options in `body`).
async fn logout_token(provider: &Provider, body: Value) -> String {
    let mut b = Browser::new();
    let r = b
        .post_json(&format!("{}/test/logout-token", provider.url), &body)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str::<Value>(&r.body).unwrap()["logout_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// POSTs a logout token to the app's back-channel logout route.
async fn post_logout(app: &App, token: &str) -> Resp {
    let mut b = Browser::new();
    b.post(
        &format!("{}/auth/backchannel-logout", app.base),
        &format!("logout_token={token}"),
    )
    .await
}

async fn back_channel_logout(store: &str) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider_with(
        "RS256",
        &base,
        &[(
            "BACKCHANNEL_LOGOUT_URI",
            &format!("{base}/auth/backchannel-logout"),
        )],
    );
    let redis = (store == "redis").then(start_redis);
    let app = match &redis {
        None => {
            let mem = auth0_edge::tokio::MemoryStore::new();
            start_app(port, &provider, |b| b.store(mem)).await
        }
        Some(r) => {
            let s = auth0_edge::tokio::RedisStore::connect(&r.url, "auth0-edge:")
                .await
                .unwrap();
            start_app(port, &provider, |b| b.store(s)).await
        }
    };

    // 1. An RP-initiated logout at the provider sends its real back-channel logout.
    let mut alice = Browser::new();
    sign_in(&mut alice, &app, "%2F", "alice").await;
    assert_eq!(me(&app, &mut alice).await, 200);
    let end = alice
        .get(&format!(
            "{}/session/end?client_id={CLIENT_ID}",
            provider.url
        ))
        .await;
    assert_eq!(end.status, 200, "{}", end.body);
    let xsrf = end
        .body
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let done = alice
        .post(
            &format!("{}/session/end/confirm", provider.url),
            &format!("xsrf={xsrf}&logout=yes"),
        )
        .await;
    assert!(done.status == 303 || done.status == 200, "{}", done.body);
    assert!(
        alice.jar.contains_key("__session"),
        "the app's cookie is still in the browser"
    );
    let mut gone = false;
    for _ in 0..50 {
        if me(&app, &mut alice).await == 401 {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(gone, "but the session it points to is gone");

    // 2. A logout token sent straight to the route (by sid) ends that session only.
    let mut bob = Browser::new();
    sign_in(&mut bob, &app, "%2F", "bob").await;
    let mut carol = Browser::new();
    sign_in(&mut carol, &app, "%2F", "carol").await;
    let sid = sid_of(&app, &bob).await;

    // 3. Refusals, each 400 with a reason, and the session stays.
    let refused = [
        (
            json!({"sid": sid, "nonce": "n"}),
            "\"nonce\" claim is prohibited",
        ),
        (
            json!({"sid": sid, "events": null}),
            "\"events\" claim is missing",
        ),
        (
            json!({"sid": sid, "foreign_key": true}),
            "signature verification failed",
        ),
        (
            json!({"sid": sid, "alg": "HS256", "secret": CLIENT_SECRET}),
            "\"alg\" (Algorithm) Header Parameter value not allowed",
        ),
        (
            json!({"sid": sid, "aud": "someone-else"}),
            "unexpected \"aud\" claim value",
        ),
        (
            json!({"sid": sid, "exp": 5, "iat": 1}),
            "\"exp\" claim timestamp check failed",
        ),
    ];
    for (claims, reason) in refused {
        let token = logout_token(&provider, claims.clone()).await;
        let r = post_logout(&app, &token).await;
        assert_eq!((r.status, r.body.as_str()), (400, reason), "{claims}");
        assert_eq!(me(&app, &mut bob).await, 200, "{claims}: the session stays");
    }
    let r = post_logout(&app, "").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (400, "Missing `logout_token` in the request body.")
    );
    // The layer reads at most 16 KiB of this route's body.
    let r = post_logout(&app, &"a".repeat(20 * 1024)).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(me(&app, &mut bob).await, 200);

    let token = logout_token(&provider, json!({"sid": sid})).await;
    let r = post_logout(&app, &token).await;
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert_eq!(me(&app, &mut bob).await, 401, "bob's session ended");
    assert_eq!(me(&app, &mut carol).await, 200, "carol's did not");
    // The same token again is a replay.
    sign_in(&mut bob, &app, "%2F", "bob").await;
    let r = post_logout(&app, &token).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("replayed"), "{}", r.body);
    assert_eq!(me(&app, &mut bob).await, 200);

    // 4. With `sub` alone, every session of the user ends.
    let mut carol2 = Browser::new();
    sign_in(&mut carol2, &app, "%2F", "carol").await;
    let token = logout_token(&provider, json!({"sub": "carol"})).await;
    assert_eq!(post_logout(&app, &token).await.status, 204);
    assert_eq!(me(&app, &mut carol).await, 401);
    assert_eq!(me(&app, &mut carol2).await, 401);
    assert_eq!(me(&app, &mut bob).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_with_the_memory_store() {
    back_channel_logout("memory").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_with_redis() {
    back_channel_logout("redis").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_needs_a_store() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b).await;
    let token = logout_token(&provider, json!({"sid": "x"})).await;
    let r = post_logout(&app, &token).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "A session data store is not configured.")
    );
}

/// Runs `auth0-edge ciba` against the provider.
fn ciba_cli(provider: &Provider, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_auth0-edge"))
        .arg("ciba")
        .args(args)
        .env("AUTH0_DOMAIN", &provider.url)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env_remove("AUTH0_SECRET")
        .env_remove("APP_BASE_URL")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciba_through_the_command_line() {
    for (decision, user) in [
        ("approve", "dave"),
        ("deny", "erin"),
        ("approve", "unknown-frank"),
    ] {
        let provider = start_provider_with(
            "RS256",
            "http://127.0.0.1:1",
            &[("CIBA_AUTO", decision), ("CIBA_AUTO_DELAY_MS", "1200")],
        );
        let out = ciba_cli(
            &provider,
            &[
                "--login-hint",
                user,
                "--binding-message",
                "Sign in to the kiosk",
            ],
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match (decision, user) {
            ("approve", "dave") => {
                assert!(out.status.success(), "{stderr}");
                assert_eq!(stdout.lines().count(), 1, "one JSON object: {stdout}");
                let v: Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(v["idTokenClaims"]["sub"], "dave");
                assert!(v["tokenSet"]["accessToken"].is_string());
                assert!(v["tokenSet"]["refreshToken"].is_string());
                assert!(v["tokenSet"]["expiresAt"].as_i64().unwrap() > 1_700_000_000);
                let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
                assert_eq!(keys, ["tokenSet", "idTokenClaims"]);
                let mut b = Browser::new();
                let r = b.get(&format!("{}/test/ciba/requests", provider.url)).await;
                assert!(r.body.contains("Sign in to the kiosk"), "{}", r.body);
            }
            ("deny", _) => {
                assert_eq!(out.status.code(), Some(1), "{stdout}");
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(stderr.contains("ciba: access_denied"), "{stderr}");
            }
            _ => {
                assert_eq!(out.status.code(), Some(1), "{stdout}");
                assert_eq!(stderr.lines().count(), 1, "{stderr}");
                assert!(stderr.contains("ciba: unknown_user_id"), "{stderr}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_tokens_are_exchanged_once_and_kept_in_fc_cookies() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "grace").await;
    let rt_before = open_refresh_token(&b);
    let r = b
        .get(&format!(
            "{}/api/connection-token?connection=google-oauth2",
            app.base
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(t["connection"], "google-oauth2");
    assert!(t["token"].as_str().unwrap().len() > 10);
    assert!(t["expires_at"].as_i64().unwrap() > 1_700_000_000);
    assert!(b.jar.contains_key("__FC_0"), "{:?}", b.jar.keys());
    assert_eq!(provider.stats().await["exchange_grants"], 1);
    // A second call uses the cached token: no exchange.
    let again = b
        .get(&format!(
            "{}/api/connection-token?connection=google-oauth2",
            app.base
        ))
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&again.body).unwrap()["token"],
        t["token"]
    );
    assert_eq!(provider.stats().await["exchange_grants"], 1);
    // The exchange did not rotate the refresh token.
    assert_eq!(open_refresh_token(&b), rt_before);
    // The Next.js SDK reads the __FC_0 cookie.
    let sdk = nextjs_open_named(&b.cookie_header(), "__FC_0");
    assert_eq!(sdk["ok"], json!(true), "{sdk}");
    assert_eq!(sdk["payload"]["accessToken"], t["token"]);
    assert_eq!(sdk["payload"]["connection"], "google-oauth2");
    // A plain page re-issues it with the session; logout clears it.
    let r = b.get(&format!("{}/", app.base)).await;
    assert!(
        r.set_cookies().iter().any(|c| c.starts_with("__FC_0=ey")),
        "{:?}",
        r.set_cookies()
    );
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    assert!(!b.jar.contains_key("__FC_0"), "{:?}", b.jar.keys());
}

/// The refresh token in the jar's session cookie.
fn open_refresh_token(b: &Browser) -> String {
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let opened =
        auth0_edge::session::open(&b.cookie_header(), "__session", &key, now, &mut buf).unwrap();
    opened
        .session
        .token_set
        .refresh_token
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_with_pushed_authorization_requests() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let config = app_config(port, &provider).with(|c| c.pushed_authorization_requests = true);
    let client = Auth0Client::builder(config).build().unwrap();
    let app = serve(port, client, axum::Router::new()).await;
    let mut b = Browser::new();
    let r = b
        .get(&format!("{}/auth/login?returnTo=%2Fprotected", app.base))
        .await;
    assert_eq!(r.status, 307, "{}", r.body);
    let authorize = r.location();
    let (endpoint, query) = authorize.split_once('?').unwrap();
    assert_eq!(endpoint, format!("{}/auth", provider.url));
    let mut names: Vec<&str> = query
        .split('&')
        .map(|p| p.split('=').next().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["client_id", "request_uri"], "{authorize}");
    assert!(
        query.contains("request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A"),
        "{query}"
    );
    let callback = provider_login(&mut b, &authorize, "heidi", &app.base).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "{}", r.body);
    assert_eq!(r.location(), format!("{}/protected", app.base));
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&r.body).unwrap()["sub"],
        "heidi"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ciba_through_the_tokio_client() {
    let provider = start_provider_with(
        "RS256",
        "http://127.0.0.1:1",
        &[("CIBA_AUTO", "approve"), ("CIBA_AUTO_DELAY_MS", "1200")],
    );
    let client = auth0_edge::tokio::Auth0Client::builder(app_config(free_port(), &provider))
        .build()
        .unwrap();
    let opts = auth0_edge::flow::BackchannelOptions {
        login_hint_sub: "dave",
        binding_message: "Sign in to kiosk 7",
        ..Default::default()
    };
    let t = client.get_token_by_backchannel_auth(&opts).await.unwrap();
    assert_eq!(t.id_token_claims["sub"], "dave");
    assert!(!t.access_token.is_empty());
    assert!(t.refresh_token.is_some() && t.id_token.is_some());
    assert!(t.expires_at.unwrap() > 1_700_000_000);
    // An unknown user: the provider's code.
    let opts = auth0_edge::flow::BackchannelOptions {
        login_hint_sub: "unknown-frank",
        ..opts
    };
    let err = client
        .get_token_by_backchannel_auth(&opts)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, auth0_edge::flow::AuthError::Backchannel(f) if f.error_code() == "unknown_user_id"),
        "{err:?}"
    );
    assert_eq!(err.code(), "backchannel_authentication_error");
}
