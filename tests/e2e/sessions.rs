//! Request-scoped sessions against oidc-provider: a refresh made inside a handler reaches the
//! browser's jar, concurrent refreshes make one request to the provider (in one process, and
//! across two quickstart processes sharing redis-server), late requests with the old cookie get
//! the new tokens, a store defined here works through the layer, and an async
//! `before_session_saved` changes the saved user.

use super::harness::*;
use auth0_edge::runtime::{LogoutTarget, RecordInfo, StoreError};
use auth0_edge::tokio::{Record, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The session in the jar, opened with the secret (as any reader of the cookie would).
fn jar_session(b: &Browser) -> Value {
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let now = unix_now();
    let opened =
        auth0_edge::session::open(&b.cookie_header(), "__session", &key, now, &mut buf).unwrap();
    let mut json = vec![0u8; 64 * 1024];
    serde_json::from_str(opened.session.to_json(&mut json, None).unwrap()).unwrap()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The jar's session with its access token expired (re-sealed with the app's secret, as the
/// SDK's `generateSessionCookie` does): the next token request must refresh.
fn expire_access_token(b: &mut Browser) {
    let mut s = jar_session(b);
    s["tokenSet"]["expiresAt"] = json!(unix_now() - 5);
    let cookie = auth0_edge::tokio::generate_session_cookie(&s.to_string(), SECRET).unwrap();
    b.jar.retain(|k, _| !k.starts_with("__session"));
    b.jar.insert("__session".into(), cookie);
}

/// The refresh-token grant with `rt`, straight at the provider: its status.
async fn spend(provider: &Provider, rt: &str) -> u16 {
    let mut b = Browser::new();
    b.post(
        &format!("{}/token", provider.url),
        &format!(
            "grant_type=refresh_token&refresh_token={rt}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
        ),
    )
    .await
    .status
}

/// `GET /api/token` with a browser holding `cookie`; the status, the JSON and the browser.
async fn token_with(base: &str, cookie: &str) -> (u16, Value, Browser) {
    let mut b = Browser::new();
    for pair in cookie.split("; ").filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap();
        b.jar.insert(k.to_string(), v.to_string());
    }
    let r = b.get(&format!("{base}/api/token")).await;
    let body = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, body, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_inside_a_handler_reaches_the_jar() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Access tokens of 3 s, refused by the provider as soon as they expire.
    let provider = start_provider_with(
        "RS256",
        &base,
        &[("ACCESS_TOKEN_TTL", "3"), ("CLOCK_TOLERANCE", "0")],
    );
    let app = start_app(port, &provider, |b| b).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "judy").await;
    let before = jar_session(&b);
    let rt1 = before["tokenSet"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    let r = b.get(&format!("{}/api/token", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        provider.refreshes().await,
        0,
        "a valid token needs no refresh"
    );

    tokio::time::sleep(Duration::from_millis(3300)).await;
    let r = b.get(&format!("{}/api/token", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(provider.refreshes().await, 1);
    assert_ne!(t["token"], before["tokenSet"]["accessToken"]);
    assert!(t["expires_at"].as_i64().unwrap() > unix_now());
    assert_eq!(
        t["scope"], "openid profile email",
        "the scope the provider granted"
    );
    assert_eq!(
        session_cookie_lines(&r)
            .iter()
            .filter(|c| c.starts_with("__session="))
            .count(),
        1,
        "one write of the session: {:?}",
        r.set_cookies()
    );
    // A second call does not refresh.
    let again = b.get(&format!("{}/api/token", app.base)).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&again.body).unwrap()["token"],
        t["token"]
    );
    assert_eq!(provider.refreshes().await, 1);
    // The jar holds the new access token and the rotated refresh token…
    let after = jar_session(&b);
    assert_eq!(after["tokenSet"]["accessToken"], t["token"]);
    let rt2 = after["tokenSet"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rt1, rt2, "rotated");
    assert_eq!(after["internal"], before["internal"]);
    // …and so the real Next.js SDK reads it.
    let sdk = nextjs_open(&b.cookie_header());
    assert_eq!(sdk["ok"], json!(true), "{sdk}");
    assert_eq!(sdk["payload"]["tokenSet"]["accessToken"], t["token"]);
    assert_eq!(sdk["payload"]["tokenSet"]["refreshToken"], json!(rt2));
    // The provider refuses the old refresh token (rotated out).
    assert_eq!(spend(&provider, &rt1).await, 400);
}

/// A burst of `n` concurrent `GET /api/token` with one cookie, spread over `bases`.
async fn burst(bases: &[String], cookie: &str, n: usize) -> Vec<(u16, Value, Browser)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let base = bases[i % bases.len()].clone();
            let cookie = cookie.to_string();
            tokio::spawn(async move { token_with(&base, &cookie).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn one_token(results: &[(u16, Value, Browser)]) -> Value {
    for (status, body, _) in results {
        assert_eq!(*status, 200, "{body}");
    }
    let token = results[0].1["token"].clone();
    assert!(token.is_string());
    assert!(
        results.iter().all(|(_, body, _)| body["token"] == token),
        "every request got the same token"
    );
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_requests_make_one_refresh() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, |b| b).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "kim").await;
    expire_access_token(&mut b);
    let old_cookie = b.cookie_header();

    let results = burst(std::slice::from_ref(&app.base), &old_cookie, 100).await;
    let token = one_token(&results);
    assert_eq!(
        provider.refreshes().await,
        1,
        "one refresh for 100 requests"
    );
    assert_eq!(provider.stats().await["refresh_grants_failed"], 0);

    // 2 s after the refresh finished, a request still carrying the old cookie gets the new
    // tokens from the memo, not a second refresh.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (status, body, late) = token_with(&app.base, &old_cookie).await;
    assert_eq!((status, &body["token"]), (200, &token));
    assert_eq!(provider.refreshes().await, 1);
    assert_eq!(
        jar_session(&late)["tokenSet"]["accessToken"],
        token,
        "and its jar is updated"
    );

    // The grant was not revoked by a reuse: a forced refresh with the new cookie still works.
    let jar = &results[0].2;
    let (forced, headers) = app
        .client
        .get_access_token(
            &header_map(jar),
            &AccessTokenOptions {
                refresh: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_ne!(json!(forced.token), token);
    assert!(
        headers.get("set-cookie").is_some(),
        "no layer: the headers carry it"
    );
    assert_eq!(provider.refreshes().await, 2);
    assert_eq!(provider.stats().await["refresh_grants_failed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_quickstarts_sharing_redis_make_one_refresh() {
    let redis = start_redis();
    let (port_a, port_b) = (free_port(), free_port());
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    let provider = start_provider("RS256", &base_a);
    let start = |base: &str| {
        let mut child = Command::new(quickstart_binary())
            .current_dir(std::env::temp_dir())
            .env("AUTH0_DOMAIN", &provider.url)
            .env("AUTH0_CLIENT_ID", CLIENT_ID)
            .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
            .env("AUTH0_SECRET", SECRET)
            .env("APP_BASE_URL", base)
            .env("REDIS_URL", &redis.url)
            // Sessions stay in cookies; Redis only coordinates the refresh across the two.
            .env("SESSION_STORE", "cookie")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("Open "),
            "the quickstart did not start: {line:?}"
        );
        KillOnDrop(child)
    };
    let _a = start(&base_a);
    let _b = start(&base_b);
    let mut b = Browser::new();
    let r = b.get(&format!("{base_a}/auth/login")).await;
    let callback = provider_login(&mut b, &r.location(), "lena", &base_a).await;
    assert_eq!(b.get(&callback).await.status, 307);
    expire_access_token(&mut b);

    let results = burst(&[base_a.clone(), base_b.clone()], &b.cookie_header(), 100).await;
    let token = one_token(&results);
    assert_eq!(
        provider.refreshes().await,
        1,
        "one refresh across both instances"
    );
    // The memo in Redis holds no session in clear.
    let mut conn = redis::Client::open(redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("auth0-edge:refresh:memo:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let memo: String = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(memo.starts_with("eyJ") && !memo.contains(token.as_str().unwrap()));
    let locks: Vec<String> = redis::cmd("KEYS")
        .arg("auth0-edge:refresh:lock:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(locks.is_empty(), "the lock was released: {locks:?}");
}

/// Kills a child process on drop.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A stored session: its JSON, expiry, `sid` and `sub`.
type Row = (String, i64, Option<String>, Option<String>);

/// A session store defined by the test: a map, with the calls it got.
#[derive(Clone, Default)]
struct MapStore {
    records: Arc<Mutex<HashMap<String, Row>>>,
    calls: Arc<Mutex<Vec<&'static str>>>,
}

impl MapStore {
    fn call(&self, name: &'static str) {
        self.calls.lock().unwrap().push(name);
    }
    fn only_record(&self) -> (String, String, i64) {
        let r = self.records.lock().unwrap();
        assert_eq!(r.len(), 1, "{:?}", r.keys());
        let (id, (json, exp, ..)) = r.iter().next().unwrap();
        (id.clone(), json.clone(), *exp)
    }
}

impl Store for MapStore {
    async fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        self.call("get");
        let r = self.records.lock().unwrap();
        Ok(r.get(id).map(|(json, ..)| Record::new(json.clone())))
    }
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        self.call("set");
        // A store that takes its time, as a database does.
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.records.lock().unwrap().insert(
            id.to_string(),
            (
                json.to_string(),
                info.expires_at,
                info.sid.map(String::from),
                info.sub.map(String::from),
            ),
        );
        Ok(())
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.call("delete");
        self.records.lock().unwrap().remove(id);
        Ok(())
    }
    async fn delete_by_logout_token(&self, t: &LogoutTarget<'_>) -> Result<(), StoreError> {
        self.call("delete_by_logout_token");
        let hit = |v: &Option<String>, w: Option<&str>| w.is_some() && v.as_deref() == w;
        let (sid, sub) = (t.sid(), t.sub());
        self.records
            .lock()
            .unwrap()
            .retain(|_, (_, _, s, u)| !(hit(s, sid) || hit(u, sub)));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_store_through_the_layer() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let store = MapStore::default();
    let app = start_app(port, &provider, |b| b.store(store.clone())).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "mike").await;
    let (id1, json, exp1) = store.only_record();
    assert!(json.contains(r#""sub":"mike""#) && !json.contains("\"exp\""));
    assert!(
        b.jar["__session"].len() < 300,
        "the cookie holds a sealed id"
    );
    let r = b.get(&format!("{}/api/me", app.base)).await;
    assert_eq!(r.status, 200);

    // Rolling: a page rewrites the record (a later expiry) and re-issues the id cookie.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = b.get(&format!("{}/", app.base)).await;
    assert!(r.body.contains("user-name"), "{}", r.body);
    assert_eq!(session_cookie_lines(&r).len(), 1, "{:?}", r.set_cookies());
    let (id, _, exp2) = store.only_record();
    assert_eq!(id, id1);
    assert!(exp2 > exp1, "rolled: {exp1} → {exp2}");

    // A burst with an expired token: one refresh, saved in the record.
    {
        let mut r = store.records.lock().unwrap();
        let rec = r.get_mut(&id1).unwrap();
        let mut doc: Value = serde_json::from_str(&rec.0).unwrap();
        doc["tokenSet"]["expiresAt"] = json!(unix_now() - 5);
        rec.0 = doc.to_string();
    }
    let results = burst(std::slice::from_ref(&app.base), &b.cookie_header(), 20).await;
    let token = one_token(&results);
    assert_eq!(provider.refreshes().await, 1);
    let (_, json, _) = store.only_record();
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        doc["tokenSet"]["accessToken"], token,
        "no roll undid the refresh"
    );

    // Fixation: a new login replaces the record with a new id.
    sign_in(&mut b, &app, "%2F", "mike").await;
    let (id2, ..) = store.only_record();
    assert_ne!(id1, id2);
    // Logout deletes it.
    let r = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(r.status, 307);
    assert!(store.records.lock().unwrap().is_empty());
    let calls = store.calls.lock().unwrap().clone();
    assert!(
        calls.contains(&"delete") && calls.contains(&"get"),
        "{calls:?}"
    );
}

/// A hook that awaits: a delay and a lookup (a directory of roles behind an async lock).
struct Directory(Arc<tokio::sync::Mutex<HashMap<String, Vec<String>>>>);

impl Hooks for Directory {
    async fn before_session_saved(
        &self,
        session: &mut SessionData,
        _id_token: &str,
    ) -> Result<(), HookError> {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let sub = session.claim("sub").ok_or("no sub")?.to_string();
        let roles = self.0.lock().await.get(&sub).cloned().unwrap_or_default();
        session.user = filter_default_id_token_claims(&session.user);
        session.user.insert("roles".into(), json!(roles));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_before_session_saved_changes_the_user() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider("RS256", &base);
    let directory = Arc::new(tokio::sync::Mutex::new(HashMap::from([(
        "nina".to_string(),
        vec!["admin".to_string()],
    )])));
    let client = Auth0Client::builder(app_config(port, &provider))
        .hooks(Directory(directory.clone()))
        .build()
        .unwrap();
    // A handler that edits the session through the layer's handle.
    let prefs = axum::Router::new().route(
        "/api/prefs",
        axum::routing::post(|session: RequestSession| async move {
            let mut s = session.get().await.unwrap();
            s.extra.insert("theme".into(), json!("dark"));
            session.update(&s).await.unwrap();
            "saved"
        }),
    );
    let app = serve(port, client, prefs).await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "nina").await;
    let r = b.get(&format!("{}/api/me", app.base)).await;
    let user: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(user["roles"], json!(["admin"]), "{user}");
    assert!(user.get("sid").is_none(), "the hook filtered the claims");

    // A refresh brings a new ID token: the hook runs again, on the new claims.
    directory
        .lock()
        .await
        .insert("nina".into(), vec!["admin".into(), "auditor".into()]);
    expire_access_token(&mut b);
    let r = b.get(&format!("{}/api/token", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        jar_session(&b)["user"]["roles"],
        json!(["admin", "auditor"])
    );

    // An update inside a handler is written once, by the layer.
    let r = b.post(&format!("{}/api/prefs", app.base), "").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.set_cookies()
            .iter()
            .filter(|c| c.starts_with("__session=") && !c.contains("Max-Age=0"))
            .count(),
        1
    );
    let s = jar_session(&b);
    assert_eq!(s["theme"], "dark");
    assert_eq!(s["user"]["roles"], json!(["admin", "auditor"]));
}

/// With the default rolling threshold, a page right after login writes nothing (the roll
/// would move the expiry by less than a minute), for cookie and stored sessions alike, and
/// the session still works; a changed session is still written at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_session_is_not_rewritten_by_every_page() {
    for stored in [false, true] {
        let port = free_port();
        let provider = start_provider("RS256", &format!("http://127.0.0.1:{port}"));
        let client = Auth0Client::builder(default_rolling_config(port, &provider));
        let client = if stored {
            client.store(auth0_edge::tokio::MemoryStore::new())
        } else {
            client
        };
        let app = serve(port, client.build().unwrap(), axum::Router::new()).await;
        let mut b = Browser::new();
        sign_in(&mut b, &app, "%2F", "nina").await;
        for _ in 0..3 {
            let r = b.get(&format!("{}/", app.base)).await;
            assert!(r.body.contains("user-name"), "{}", r.body);
            assert!(
                r.set_cookies().is_empty(),
                "stored={stored}: {:?}",
                r.set_cookies()
            );
            assert!(
                r.header("cache-control")
                    .is_none_or(|c| !c.contains("no-store"))
            );
        }
        // The token route still answers from the unchanged cookie.
        let r = b.get(&format!("{}/api/token", app.base)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    }
}
