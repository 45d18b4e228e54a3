//! End-to-end tests against a certified OpenID Provider: the npm package `oidc-provider`
//! (pinned in `tests/e2e/package-lock.json`, started on 127.0.0.1 by each test), an axum app
//! behind `Auth0Layer`, and an HTTP client with a cookie jar that does not follow redirects.
//! One test drives the quickstart in headless Chromium (`tests/e2e/browser.mjs`), and one runs
//! the stateful mode on a real `redis-server`.
//!
//! `tests/run` installs what these need (npm packages, Debian's `redis-server` and
//! `chromium`); a missing one fails the test with the command to run.

mod dpop;
mod embassy;
mod features;
mod harness;
mod sessions;

use harness::*;

async fn full_flow(alg: &str) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider(alg, &base);
    let app = start_app(port, &provider, |b| b).await;
    let mut b = Browser::new();

    // Login → provider login and consent → callback.
    let r = b
        .get(&format!("{}/auth/login?returnTo=%2Fprotected", app.base))
        .await;
    assert_eq!(r.status, 307);
    let authorize = r.location();
    assert!(
        authorize.starts_with(&format!("{}/auth?", provider.url)),
        "{authorize}"
    );
    for p in [
        "code_challenge_method=S256",
        "response_type=code",
        "client_id=auth0-edge-test",
        "nonce=",
        "state=",
    ] {
        assert!(authorize.contains(p), "{p} in {authorize}");
    }
    let callback = provider_login(&mut b, &authorize, "alice", &app.base).await;
    assert!(callback.contains("iss="), "RFC 9207 iss: {callback}");
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "{}", r.body);
    assert_eq!(r.location(), format!("{}/protected", app.base));
    // The session cookie: HttpOnly, SameSite=lax, Path=/, a day, not Secure over http.
    let cookies = session_cookie_lines(&r);
    let main = cookies
        .iter()
        .find(|c| c.starts_with("__session=eyJ"))
        .expect("session cookie");
    assert!(
        main.contains("; Path=/; Expires=")
            && main.contains("; Max-Age=86400; HttpOnly; SameSite=lax"),
        "{main}"
    );
    assert!(!main.contains("Secure"));
    assert!(
        !b.jar.keys().any(|k| k.starts_with("__txn_")),
        "the transaction cookie is deleted"
    );
    assert_eq!(
        r.header("cache-control"),
        Some("private, no-cache, no-store, must-revalidate, max-age=0")
    );

    // The protected page, the profile, the protected API.
    let r = b.get(&format!("{}/protected", app.base)).await;
    assert_eq!((r.status, r.body.as_str()), (200, "alice"));
    let r = b.get(&format!("{}/auth/profile", app.base)).await;
    assert_eq!(r.status, 200);
    let profile: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(profile["name"], "Test User alice");
    assert_eq!(profile["email"], "alice@example.com");
    assert!(profile.get("sid").is_none(), "default claims only");
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200);

    // The access token route, then a forced refresh (rotation).
    let r = b.get(&format!("{}/auth/access-token", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let headers = header_map(&b);
    let before = app.client.get_session(&headers).await.unwrap().unwrap();
    let rt1 = before.refresh_token().unwrap();
    let (token, set) = app
        .client
        .get_access_token(
            &headers,
            &AccessTokenOptions {
                refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(token.token, first["token"].as_str().unwrap());
    assert_eq!(token.token_type.as_deref(), Some("bearer"));
    for v in set.get_all("set-cookie") {
        let fake = Resp {
            status: 200,
            headers: vec![("set-cookie".into(), v.to_str().unwrap().into())],
            body: String::new(),
            url: String::new(),
        };
        apply(&mut b, &fake);
    }
    let after = app
        .client
        .get_session(&header_map(&b))
        .await
        .unwrap()
        .unwrap();
    let rt2 = after.refresh_token().unwrap();
    assert_ne!(
        rt1, rt2,
        "the refresh token rotated and the new one was saved"
    );
    // The old refresh token is spent at the provider.
    let r = b.post(&format!("{}/token", provider.url), &format!("grant_type=refresh_token&refresh_token={rt1}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}")).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Logout: to the provider's end-session endpoint with the SDK's parameters.
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    let end = r.location();
    assert!(
        end.starts_with(&format!(
            "{}/session/end?client_id=auth0-edge-test&post_logout_redirect_uri=",
            provider.url
        )),
        "{end}"
    );
    assert!(
        end.contains("&logout_hint=") && end.contains("&id_token_hint=eyJ"),
        "{end}"
    );
    assert!(
        !b.jar.keys().any(|k| k.starts_with("__session")),
        "session cookies cleared"
    );
    let page = b.get(&end).await;
    assert_eq!(page.status, 200);
    let xsrf = page
        .body
        .split("name=\"xsrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let done = b
        .post(
            &format!("{}/session/end/confirm", provider.url),
            &format!("xsrf={xsrf}&logout=yes"),
        )
        .await;
    assert_eq!(done.status, 303);
    assert!(
        done.location().starts_with(&app.base),
        "{}",
        done.location()
    );
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_with_rs256_id_tokens() {
    full_flow("RS256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_with_es256_id_tokens() {
    full_flow("ES256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_and_edge_cases() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b).await;

    // Tampered state.
    let mut b = Browser::new();
    let r = b.get(&format!("{}/auth/login", app.base)).await;
    let callback = provider_login(&mut b, &r.location(), "mallory", &app.base).await;
    let tampered = callback.replace("state=", "state=x");
    let r = b.get(&tampered).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is invalid.")
    );
    // The genuine callback still works, once; a replay is refused.
    assert_eq!(b.get(&callback).await.status, 307);
    let r = b.get(&callback).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (500, "The state parameter is invalid.")
    );

    // A code from another login (PKCE binds it; the nonce would differ too) is refused.
    let mut a = Browser::new();
    let r1 = a.get(&format!("{}/auth/login", app.base)).await;
    let r2 = a.get(&format!("{}/auth/login", app.base)).await;
    let cb1 = provider_login(&mut a, &r1.location(), "alice", &app.base).await;
    let cb2 = provider_login(&mut a, &r2.location(), "alice", &app.base).await;
    let code2 = cb2
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let state1 = cb1
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let provider_port = provider.url.rsplit(':').next().unwrap();
    let mixed = format!(
        "{}/auth/callback?code={code2}&state={state1}&iss=http%3A%2F%2F127.0.0.1%3A{provider_port}",
        app.base
    );
    let r = a.get(&mixed).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            500,
            "An error occurred while trying to exchange the authorization code."
        )
    );

    // Open redirects: every attempt lands on the app.
    for evil in [
        "https%3A%2F%2Fevil.example%2F",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "javascript%3Aalert(1)",
    ] {
        let mut c = Browser::new();
        let r = c
            .get(&format!("{}/auth/login?returnTo={evil}", app.base))
            .await;
        let cb = provider_login(&mut c, &r.location(), "eve", &app.base).await;
        let r = c.get(&cb).await;
        assert_eq!(r.location(), format!("{}/", app.base), "{evil}");
    }

    // Parallel logins in two tabs: both transactions complete, in either order.
    let mut t = Browser::new();
    let tab1 = t
        .get(&format!("{}/auth/login?returnTo=%2Fone", app.base))
        .await
        .location();
    let tab2 = t
        .get(&format!("{}/auth/login?returnTo=%2Ftwo", app.base))
        .await
        .location();
    assert_eq!(t.jar.keys().filter(|k| k.starts_with("__txn_")).count(), 2);
    let cb2 = provider_login(&mut t, &tab2, "bob", &app.base).await;
    let cb1 = provider_login(&mut t, &tab1, "bob", &app.base).await;
    assert_eq!(t.get(&cb2).await.location(), format!("{}/two", app.base));
    assert_eq!(t.get(&cb1).await.location(), format!("{}/one", app.base));

    // An expired session is no session.
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let json = br#"{"user":{"sub":"x"},"tokenSet":{"accessToken":"a"},"internal":{"sid":"s","createdAt":1000},"exp":2000}"#;
    let mut plain = json.to_vec();
    let mut out = vec![0u8; 1024];
    let sealed = auth0_edge::jose::jwe::seal(&key, &mut rand_core::OsRng, &mut plain, &mut out)
        .unwrap()
        .to_string();
    let mut e = Browser::new();
    e.jar.insert("__session".into(), sealed);
    let r = e.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        r#"{"error":"not_authenticated","description":"The user does not have an active session or is not authenticated"}"#
    );
    let r = e.get(&format!("{}/protected", app.base)).await;
    assert_eq!(
        (r.status, r.header("location")),
        (307, Some("/auth/login?returnTo=%2Fprotected"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_in_three_chunks() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b.hooks(BigSession)).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "carol").await;
    let chunks: Vec<&String> = b
        .jar
        .keys()
        .filter(|k| k.starts_with("__session__"))
        .collect();
    assert!(chunks.len() >= 3, "{:?}", b.jar.keys());
    assert!(!b.jar.contains_key("__session"));
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200);
    let s = app
        .client
        .get_session(&header_map(&b))
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.to_json()
            .contains(r#""preferences":"abcdefghij0123456789"#)
    );
    // Rolling rewrites all chunks; logout clears them all.
    let r = b.get(&format!("{}/", app.base)).await;
    assert!(
        session_cookie_lines(&r)
            .iter()
            .filter(|c| c.starts_with("__session__") && !c.contains("Max-Age=0"))
            .count()
            >= 3
    );
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    assert!(
        !b.jar.keys().any(|k| k.starts_with("__session")),
        "{:?}",
        b.jar.keys()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stateful_sessions_on_redis() {
    let redis = start_redis();
    let store = auth0_edge::tokio::RedisStore::connect(&redis.url, "auth0-edge:")
        .await
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b.store(store)).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "dave").await;
    // The cookie holds an id; the session is in Redis, indexed by sid and sub.
    let mut conn = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("auth0-edge:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    let records: Vec<&String> = keys
        .iter()
        .filter(|k| !k.contains(':') || k.matches(':').count() == 1)
        .collect();
    assert_eq!(records.len(), 1, "{keys:?}");
    assert!(
        keys.iter().any(|k| k.starts_with("auth0-edge:sub:dave")),
        "{keys:?}"
    );
    assert!(
        keys.iter().any(|k| k.starts_with("auth0-edge:sid:")),
        "{keys:?}"
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(records[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (86_000..=86_400).contains(&ttl),
        "TTL follows the session's expiry: {ttl}"
    );
    assert!(
        b.jar.get("__session").unwrap().len() < 300,
        "only a sealed id in the cookie"
    );
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Logging in again replaces the record (a new id: no fixation).
    let old = records[0].clone();
    sign_in(&mut b, &app, "%2F", "dave").await;
    let exists: bool = redis::cmd("EXISTS")
        .arg(&old)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!exists, "the old record is deleted");
    // Logout deletes the record.
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("auth0-edge:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        !keys.iter().any(|k| k.matches(':').count() == 1),
        "{keys:?}"
    );
    // And the memory store behaves the same way.
    let mem = MemoryStore::new();
    let port2 = free_port();
    let provider2 = start_provider("RS256", &format!("http://127.0.0.1:{port2}"));
    let app2 = start_app(port2, &provider2, |b| b.store(mem.clone())).await;
    let mut c = Browser::new();
    sign_in(&mut c, &app2, "%2F", "erin").await;
    assert_eq!(mem.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_mid_refresh_keeps_the_session() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "frank").await;
    let headers = header_map(&b);
    let before = app.client.get_session(&headers).await.unwrap().unwrap();
    // The provider goes down.
    provider.child.kill().unwrap();
    provider.child.wait().unwrap();
    let err = app
        .client
        .get_access_token(
            &headers,
            &AccessTokenOptions {
                refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "failed_to_refresh_token", "{err}");
    assert!(
        auth0_edge::Report(&err)
            .to_string()
            .contains("could not connect"),
        "{err}"
    );
    // Nothing lost: the session is as it was and still works.
    let after = app.client.get_session(&headers).await.unwrap().unwrap();
    assert_eq!(before, after);
    assert_eq!(b.get(&format!("{}/api/me", app.base)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_logs_in_and_out_of_the_quickstart() {
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists(),
        "Debian's chromium is required: run tests/run (it installs it)"
    );
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let mut app = Command::new(quickstart_binary())
        .current_dir(std::env::temp_dir())
        .env("AUTH0_DOMAIN", &provider.url)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env("AUTH0_SECRET", SECRET)
        .env("APP_BASE_URL", &base)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(app.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("Open "), "{line}");
    let out = Command::new("node")
        .args(["browser.mjs", &base])
        .current_dir(repo().join("tests/e2e"))
        .output()
        .unwrap();
    let _ = app.kill();
    let _ = app.wait();
    assert!(
        out.status.success(),
        "browser run failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("Test User alice"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_and_logs_hold_no_secrets() {
    let logs = Logs::default();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(logs.clone())
            .finish(),
    )
    .unwrap();
    let mut secrets: Vec<String> = Vec::new();
    let keep = |b: &Browser, secrets: &mut Vec<String>| {
        for (k, v) in &b.jar {
            if k.starts_with("__") && v.len() > 16 {
                secrets.push(v.clone());
            }
        }
    };

    // 1. A blackholed provider (it accepts TCP and never answers): the refresh answers within
    //    the configured timeout, and the session is intact once the provider is back.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let timeout = Duration::from_millis(1500);
    let app = start_app(port, &provider, |b| {
        b.transport(TransportOptions {
            timeout,
            connect_timeout: timeout,
            ..Default::default()
        })
    })
    .await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "grace").await;
    keep(&b, &mut secrets);
    let headers = header_map(&b);
    let before = app.client.get_session(&headers).await.unwrap().unwrap();
    let doc = before.to_json();
    let opened = auth0_edge::session::Session::parse(&doc).unwrap();
    let ts = opened.session.token_set;
    secrets.extend(
        [ts.access_token, ts.refresh_token, ts.id_token]
            .into_iter()
            .flatten()
            .map(|t| t.to_string()),
    );
    signal(&provider.child, "STOP");
    let started = std::time::Instant::now();
    let err = app
        .client
        .get_access_token(
            &headers,
            &AccessTokenOptions {
                refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let took = started.elapsed();
    signal(&provider.child, "CONT");
    assert_eq!(err.code(), "failed_to_refresh_token", "{err}");
    assert!(
        auth0_edge::Report(&err)
            .to_string()
            .contains("did not answer in time"),
        "{}",
        auth0_edge::Report(&err)
    );
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(1),
        "{took:?}"
    );
    let after = app.client.get_session(&headers).await.unwrap().unwrap();
    assert_eq!(before, after, "the session is as it was");
    // Back: the session still serves. (A refresh would now be refused: the provider finished
    // the abandoned request and rotated the refresh token, which oidc-provider then treats as
    // reused. Auth0's rotation overlap period covers such a retry.)
    assert_eq!(b.get(&format!("{}/api/me", app.base)).await.status, 200);

    // 2. 100 KB of other cookies beside the session: the session is still read.
    let mut big = Browser::new();
    big.jar = b.jar.clone();
    for i in 0..1000 {
        big.jar.insert(format!("tracker{i:04}"), "v".repeat(96));
    }
    assert!(big.cookie_header().len() > 100_000);
    let r = big.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["sub"],
        "grace"
    );
    drop(app);
    drop(provider);

    // 3. Redis down and back: plain pages go on without a session, logout still clears every
    //    cookie (and says the record was not deleted), and the store reconnects by itself.
    let mut redis = start_redis();
    let store = auth0_edge::tokio::RedisStore::connect_with(
        &redis.url,
        "auth0-edge:",
        RedisOptions::with_timeouts(Duration::from_millis(500), Duration::from_millis(500)),
        auth0_edge::tokio::SystemClock,
    )
    .await
    .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b.store(store)).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "heidi").await;
    keep(&b, &mut secrets);
    assert_eq!(b.get(&format!("{}/api/me", app.base)).await.status, 200);
    let (token, _) = app
        .client
        .get_access_token(
            &header_map(&b),
            &AccessTokenOptions {
                refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    secrets.push(token.token.clone());
    let redis_port: u16 = redis
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    redis.child.kill().unwrap();
    redis.child.wait().unwrap();
    let started = std::time::Instant::now();
    let r = b.get(&format!("{}/", app.base)).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Log in"),
        "no session while the store is down: {}",
        r.body
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(b.get(&format!("{}/api/me", app.base)).await.status, 401);
    b.jar.insert("__txn_abandoned".into(), "1%3Ax".into());
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    assert!(
        !b.jar.keys().any(|k| k.starts_with("__")),
        "every cookie of the app cleared: {:?}",
        b.jar.keys()
    );
    // Redis comes back on its port: new logins work again without restarting the app.
    let child = Command::new("redis-server")
        .args([
            "--port",
            &redis_port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _back = Redis {
        child,
        url: redis.url.clone(),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", redis_port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut c = Browser::new();
    sign_in(&mut c, &app, "%2F", "ivan").await;
    keep(&c, &mut secrets);
    assert_eq!(c.get(&format!("{}/api/me", app.base)).await.status, 200);

    // 4. A rejected callback is logged with its reason.
    let r = c
        .get(&format!("{}/auth/callback?code=x&state=forged", app.base))
        .await;
    assert_eq!(r.status, 500);

    // The logs say what happened, and hold no token, secret or cookie value.
    let text = logs.text();
    for expected in [
        "session store failed",
        "the request goes on without its session",
        "session record could not be deleted",
        "access token refreshed",
        "did not answer in time",
        "invalid_state",
    ] {
        assert!(text.contains(expected), "{expected:?} in the logs:\n{text}");
    }
    secrets.push(SECRET.to_string());
    secrets.push(CLIENT_SECRET.to_string());
    assert!(secrets.len() > 8);
    for s in &secrets {
        assert!(
            !text.contains(s.as_str()),
            "a secret in the logs: {s}\n{text}"
        );
        if s.len() > 40 {
            assert!(
                !text.contains(&s[..40]),
                "part of a secret in the logs: {s}"
            );
        }
    }
}
