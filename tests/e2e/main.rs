//! End-to-end tests against a certified OpenID Provider: the npm package `oidc-provider`
//! (pinned in `tests/e2e/package-lock.json`, started on 127.0.0.1 by each test), an axum app
//! behind `Auth0Layer`, and an HTTP client with a cookie jar that does not follow redirects.
//! One test drives the quickstart in headless Chromium (`tests/e2e/browser.mjs`), and one runs
//! the stateful mode on a real `redis-server`.
//!
//! `tests/run` installs what these need (npm packages, Debian's `redis-server` and
//! `chromium`); a missing one fails the test with the command to run.

use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::flow::AccessTokenOptions;
use auth0_edge::tokio::axum::{PageUser, Session, User};
use auth0_edge::tokio::{
    Auth0Client, Auth0Layer, MemoryStore, RedisOptions, Store, TransportOptions,
};
use axum::Extension;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const CLIENT_ID: &str = "auth0-edge-test";
const CLIENT_SECRET: &str = "auth0-edge-test-secret";
const SECRET: &str = "an-end-to-end-secret-that-is-long-enough-0123456789";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `npm ci` in tests/e2e once, when node_modules is missing.
fn npm_installed() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let dir = repo().join("tests/e2e");
        if dir.join("node_modules/oidc-provider/package.json").exists() {
            return;
        }
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm is required (Node.js 20+): run tests/run")
            .success();
        assert!(ok, "npm ci in tests/e2e failed");
    });
}

/// A running oidc-provider; killed on drop.
struct Provider {
    child: Child,
    url: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_provider(alg: &str, app_base: &str) -> Provider {
    npm_installed();
    let port = free_port();
    let mut child = Command::new("node")
        .arg("provider.mjs")
        .current_dir(repo().join("tests/e2e"))
        .env("PORT", port.to_string())
        .env("ALG", alg)
        .env("REDIRECT_URIS", format!("{app_base}/auth/callback"))
        .env(
            "POST_LOGOUT_REDIRECT_URIS",
            format!("{app_base},{app_base}/"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node is required: run tests/run");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.starts_with("READY "),
        "provider did not start: {line:?}"
    );
    Provider {
        child,
        url: line["READY ".len()..].trim().to_string(),
    }
}

/// The app under test: the quickstart's routes behind the layer.
struct App {
    base: String,
    client: Auth0Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start_app(port: u16, provider: &Provider, store: Store, big_extra: bool) -> App {
    start_app_with(
        port,
        provider,
        store,
        big_extra,
        TransportOptions::default(),
    )
    .await
}

async fn start_app_with(
    port: u16,
    provider: &Provider,
    store: Store,
    big_extra: bool,
    transport: TransportOptions,
) -> App {
    let base = format!("http://127.0.0.1:{port}");
    let config = Config {
        secret: SECRET,
        ..Config::new(
            Box::leak(provider.url.clone().into_boxed_str()),
            CLIENT_ID,
            ClientAuth::SecretPost(CLIENT_SECRET),
            Box::leak(base.clone().into_boxed_str()),
        )
    };
    let mut builder = Auth0Client::builder(config)
        .store(store)
        .transport(transport);
    if big_extra {
        builder = builder.hooks(BigSession);
    }
    let client = builder.build().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            get(|Session(s): Session| async move {
                match s {
                    Some(s) => format!(
                        r#"<span id="user-name">{}</span>"#,
                        s.claim("name").unwrap_or_default()
                    ),
                    None => r#"<a id="login" href="/auth/login">Log in</a>"#.to_string(),
                }
            }),
        )
        .route(
            "/api/me",
            get(|User(s): User| async move { s.user().raw().to_string() }),
        )
        .route(
            "/protected",
            get(|PageUser(s): PageUser| async move { s.claim("sub").unwrap_or_default() }),
        )
        .layer(Extension(client.clone()))
        .layer(Auth0Layer::new(client.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    App { base, client, task }
}

/// Keeps every claim and adds a large preference blob, so the cookie needs 3+ chunks.
struct BigSession;

impl auth0_edge::flow::Hooks for BigSession {
    fn before_session_saved(
        &self,
        s: &mut auth0_edge::flow::SessionToSave<'_, '_, '_>,
    ) -> Result<(), auth0_edge::Error> {
        auth0_edge::oauth::id_token::write_default_claims(s.claims, s.user)?;
        s.extra.push_str(r#"{"preferences":""#)?;
        for i in 0..900 {
            s.extra.push_str(if i % 2 == 0 {
                "abcdefghij"
            } else {
                "0123456789"
            })?;
        }
        s.extra.push_str(r#""}"#)
    }
}

/// An HTTP client with a cookie jar (by name, as the browsers of one host share them) that
/// does not follow redirects.
struct Browser {
    http: Client<HttpConnector, Full<Bytes>>,
    jar: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    url: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// The Location, made absolute.
    fn location(&self) -> String {
        let loc = self.header("location").expect("a Location");
        if loc.starts_with("http") {
            return loc.to_string();
        }
        let origin: String = self
            .url
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        format!("{origin}{loc}")
    }
}

impl Browser {
    fn new() -> Self {
        Browser {
            http: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
            jar: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, method: &str, url: &str, form: Option<String>) -> Resp {
        let mut req = http::Request::builder().method(method).uri(url);
        if !self.jar.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        let body = match form {
            Some(f) => {
                req = req.header("content-type", "application/x-www-form-urlencoded");
                Full::new(Bytes::from(f))
            }
            None => Full::new(Bytes::new()),
        };
        let res = self
            .http
            .request(req.body(body).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = res.status().as_u16();
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
            .to_string();
        let r = Resp {
            status,
            headers,
            body,
            url: url.to_string(),
        };
        for line in r.set_cookies() {
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let lower = line.to_ascii_lowercase();
            let deleted = lower.contains("max-age=0")
                || lower.contains("expires=thu, 01 jan 1970")
                || value.is_empty();
            if deleted {
                self.jar.remove(name.trim());
            } else {
                self.jar.insert(name.trim().to_string(), value.to_string());
            }
        }
        r
    }

    async fn get(&mut self, url: &str) -> Resp {
        self.send("GET", url, None).await
    }

    async fn post(&mut self, url: &str, form: &str) -> Resp {
        self.send("POST", url, Some(form.to_string())).await
    }
}

fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + 8;
    Some(html[start..start + html[start..].find('"')?].to_string())
}

/// From the provider's authorization URL, signs in as `login` (login and consent forms) and
/// returns the redirect back to the app (the callback URL with `code`, `state`, `iss`).
async fn provider_login(
    b: &mut Browser,
    authorize_url: &str,
    login: &str,
    app_base: &str,
) -> String {
    let mut url = authorize_url.to_string();
    for _ in 0..12 {
        let r = b.get(&url).await;
        if (300..400).contains(&r.status) {
            let next = r.location();
            if next.starts_with(app_base) {
                return next;
            }
            url = next;
            continue;
        }
        assert_eq!(r.status, 200, "provider page {url}: {}", r.body);
        let action = form_action(&r.body).unwrap_or_else(|| url.clone());
        let action = if action.starts_with("http") {
            action
        } else {
            format!(
                "{}{}",
                &url[..url.find("/interaction").unwrap_or(url.len())],
                action
            )
        };
        let posted = if r.body.contains(r#"name="prompt" value="login""#) {
            b.post(
                &action,
                &format!("prompt=login&login={login}&password=any-password"),
            )
            .await
        } else if r.body.contains(r#"name="prompt" value="consent""#) {
            b.post(&action, "prompt=consent").await
        } else {
            panic!(
                "unexpected provider page at {url}: {}",
                &r.body[..r.body.len().min(500)]
            );
        };
        assert_eq!(posted.status, 303, "{}", posted.body);
        url = posted.location();
        if url.starts_with(app_base) {
            return url;
        }
    }
    panic!("no redirect back to the app");
}

/// Logs in through the app; returns the callback URL used.
async fn sign_in(b: &mut Browser, app: &App, return_to: &str, login: &str) -> String {
    let r = b
        .get(&format!("{}/auth/login?returnTo={return_to}", app.base))
        .await;
    assert_eq!(r.status, 307, "{}", r.body);
    let callback = provider_login(b, &r.location(), login, &app.base).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "callback: {}", r.body);
    callback
}

fn session_cookie_lines(r: &Resp) -> Vec<String> {
    r.set_cookies()
        .into_iter()
        .filter(|c| c.starts_with("__session"))
        .map(String::from)
        .collect()
}

async fn full_flow(alg: &str) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider(alg, &base);
    let app = start_app(port, &provider, Store::None, false).await;
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
    let rt1 = before
        .session()
        .token_set
        .refresh_token
        .unwrap()
        .to_string();
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
    let rt2 = after.session().token_set.refresh_token.unwrap().to_string();
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

fn apply(b: &mut Browser, r: &Resp) {
    for line in r.set_cookies() {
        let pair = line.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        if line.contains("Max-Age=0") {
            b.jar.remove(name);
        } else {
            b.jar.insert(name.to_string(), value.to_string());
        }
    }
}

fn header_map(b: &Browser) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("cookie", b.cookie_header().parse().unwrap());
    h
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
    let app = start_app(port, &provider, Store::None, false).await;

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
    let app = start_app(port, &provider, Store::None, true).await;
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
    assert!(s.json().contains(r#""preferences":"abcdefghij0123456789"#));
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

/// A running redis-server on a free port; killed on drop.
struct Redis {
    child: Child,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_redis() -> Redis {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is required: run tests/run (it installs Debian's redis-server)");
    // Owned at once, so the process is killed and waited for whatever happens next.
    let redis = Redis {
        child,
        url: format!("redis://127.0.0.1:{port}/"),
    };
    let mut redis = redis;
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return redis;
        }
        if let Ok(Some(status)) = redis.child.try_wait() {
            panic!("redis-server exited: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server did not start");
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
    let app = start_app(port, &provider, Store::Redis(store), false).await;
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
    let app2 = start_app(port2, &provider2, Store::Memory(mem.clone()), false).await;
    let mut c = Browser::new();
    sign_in(&mut c, &app2, "%2F", "erin").await;
    assert_eq!(mem.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_mid_refresh_keeps_the_session() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut provider = start_provider("RS256", &base);
    let app = start_app(port, &provider, Store::None, false).await;
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

/// The quickstart example binary (built by `cargo test`).
fn quickstart_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    let bin = target.join("examples/quickstart");
    if !bin.exists() {
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--example", "quickstart"])
            .current_dir(repo())
            .status()
            .unwrap()
            .success();
        assert!(ok, "building the quickstart failed");
    }
    bin
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

// ---------------------------------------------------------------------------------------------
// Faults against the real components: a provider that hangs, Redis going down and coming back,
// a request with 100 KB of other cookies; and the logs of it all
// ---------------------------------------------------------------------------------------------

/// Sends `signal` (`STOP`, `CONT`) to a child process.
fn signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

/// The logs of the whole test process, for the test that asserts what they do not contain.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
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
    let app = start_app_with(
        port,
        &provider,
        Store::None,
        false,
        TransportOptions {
            timeout,
            connect_timeout: timeout,
            ..Default::default()
        },
    )
    .await;
    let mut b = Browser::new();
    sign_in(&mut b, &app, "%2F", "grace").await;
    keep(&b, &mut secrets);
    let headers = header_map(&b);
    let before = app.client.get_session(&headers).await.unwrap().unwrap();
    let ts = before.session().token_set;
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
    let app = start_app(port, &provider, Store::Redis(store), false).await;
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
