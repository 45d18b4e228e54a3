//! The harness of the end-to-end tests: the test provider, the app behind the layer, a
//! browser with a cookie jar, redis-server, the quickstart binary, log capture.
#![allow(dead_code)]

pub(crate) use auth0_edge::config::OwnedConfig;
pub(crate) use auth0_edge::config::{ClientAuth, Config};
pub(crate) use auth0_edge::flow::AccessTokenOptions;
pub(crate) use auth0_edge::tokio::axum::{PageUser, Session, User};
pub(crate) use auth0_edge::tokio::{
    Auth0Client, Auth0Layer, Builder, HookError, Hooks, MemoryStore, RedisOptions, RequestSession,
    SessionData, TransportOptions, filter_default_id_token_claims,
};
pub(crate) use axum::routing::get;
pub(crate) use bytes::Bytes;
pub(crate) use http_body_util::{BodyExt, Full};
pub(crate) use hyper_util::client::legacy::Client;
pub(crate) use hyper_util::client::legacy::connect::HttpConnector;
pub(crate) use std::collections::BTreeMap;
pub(crate) use std::io::{BufRead, BufReader};
pub(crate) use std::path::PathBuf;
pub(crate) use std::process::{Child, Command, Stdio};
pub(crate) use std::sync::OnceLock;
pub(crate) use std::time::Duration;

pub(crate) const CLIENT_ID: &str = "auth0-edge-test";
pub(crate) const CLIENT_SECRET: &str = "auth0-edge-test-secret";
pub(crate) const SECRET: &str = "an-end-to-end-secret-that-is-long-enough-0123456789";

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `npm ci` in tests/e2e once, when node_modules is missing.
pub(crate) fn npm_installed() {
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
pub(crate) struct Provider {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_provider(alg: &str, app_base: &str) -> Provider {
    start_provider_with(alg, app_base, &[])
}

/// A provider with more of its variables (`ACCESS_TOKEN_TTL`, `CLOCK_TOLERANCE`, …; see
/// tests/e2e/README.md).
pub(crate) fn start_provider_with(alg: &str, app_base: &str, env: &[(&str, &str)]) -> Provider {
    npm_installed();
    // A node that does not come up in time (seen once under load: alive, never listening) is
    // killed and started again, so a test fails or passes instead of hanging.
    for _ in 0..3 {
        if let Some(p) = try_start_provider(alg, app_base, env) {
            return p;
        }
    }
    panic!(
        "the test provider did not start three times in a row (run it by hand: see tests/e2e/README.md)"
    );
}

fn try_start_provider(alg: &str, app_base: &str, env: &[(&str, &str)]) -> Option<Provider> {
    let port = free_port();
    let mut cmd = Command::new("node");
    cmd.arg("provider.mjs")
        .current_dir(repo().join("tests/e2e"))
        .env("PORT", port.to_string())
        .env("ALG", alg)
        .env("REDIRECT_URIS", format!("{app_base}/auth/callback"))
        .env(
            "POST_LOGOUT_REDIRECT_URIS",
            format!("{app_base},{app_base}/"),
        );
    for var in [
        "DPOP",
        "TLS_CERT",
        "TLS_KEY",
        "ISSUER_HOST",
        "ACCESS_TOKEN_TTL",
        "CLOCK_TOLERANCE",
        "BACKCHANNEL_LOGOUT_URI",
        "CIBA_AUTO",
        "CIBA_INTERVAL",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node is required: run tests/run");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if line.starts_with("READY ") => Some(Provider {
            child,
            url: line["READY ".len()..].trim().to_string(),
        }),
        other => {
            eprintln!("the test provider did not start ({other:?}); starting it again");
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

impl Provider {
    /// The provider's `/test/stats` counters.
    pub(crate) async fn stats(&self) -> serde_json::Value {
        let mut b = Browser::new();
        let r = b.get(&format!("{}/test/stats", self.url)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        serde_json::from_str(&r.body).unwrap()
    }

    /// How many refreshes the provider answered 200.
    pub(crate) async fn refreshes(&self) -> u64 {
        self.stats().await["refresh_grants"].as_u64().unwrap()
    }
}

/// The app under test: the quickstart's routes behind the layer.
pub(crate) struct App {
    pub(crate) base: String,
    pub(crate) client: Auth0Client,
    pub(crate) task: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The configuration of the app on `port` against `provider`. Sessions roll on every
/// response, as the SDK's do (`rolling_threshold: 0`): the tests watch rolls seconds apart.
/// [`default_rolling_config`] keeps the default threshold.
pub(crate) fn app_config(port: u16, provider: &Provider) -> OwnedConfig {
    config_with_threshold(port, provider, 0)
}

/// [`app_config`] with the default rolling threshold (a roll only when it moves the expiry
/// by a minute or more).
pub(crate) fn default_rolling_config(port: u16, provider: &Provider) -> OwnedConfig {
    config_with_threshold(
        port,
        provider,
        auth0_edge::session::DEFAULT_ROLLING_THRESHOLD,
    )
}

fn config_with_threshold(port: u16, provider: &Provider, threshold: u64) -> OwnedConfig {
    let base = format!("http://127.0.0.1:{port}");
    let mut config = Config {
        secret: SECRET,
        ..Config::new(
            &provider.url,
            CLIENT_ID,
            ClientAuth::SecretPost(CLIENT_SECRET),
            &base,
        )
    };
    config.session.durations.rolling_threshold = threshold;
    OwnedConfig::from(config)
}

/// The app on `port`, its client made by `configure` from a builder (store, hooks, …).
pub(crate) async fn start_app(
    port: u16,
    provider: &Provider,
    configure: impl FnOnce(Builder) -> Builder,
) -> App {
    let client = configure(Auth0Client::builder(app_config(port, provider)))
        .build()
        .unwrap();
    serve(port, client, axum::Router::new()).await
}

/// Serves the quickstart's routes, and `extra`, behind the layer of `client`.
pub(crate) async fn serve(port: u16, client: Auth0Client, extra: axum::Router) -> App {
    let app =
        axum::Router::new()
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
                get(|User(s): User| async move { serde_json::Value::from(s.user).to_string() }),
            )
            .route(
                "/protected",
                get(|PageUser(s): PageUser| async move {
                    s.claim("sub").unwrap_or_default().to_string()
                }),
            )
            .route("/api/token", get(api_token))
            .route("/api/connection-token", get(api_connection_token))
            .merge(extra)
            .layer(Auth0Layer::new(client.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    App {
        base: format!("http://127.0.0.1:{port}"),
        client,
        task,
    }
}

/// The quickstart's `GET /api/token`: `get_access_token` inside the handler.
async fn api_token(session: RequestSession) -> axum::response::Response {
    use axum::response::IntoResponse;
    match session
        .get_access_token(&AccessTokenOptions::default())
        .await
    {
        Ok(t) => axum::Json(serde_json::json!({
            "token": t.token, "expires_at": t.expires_at, "scope": t.scope,
        }))
        .into_response(),
        Err(e) => (
            http::StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": e.code(), "description": e.message()})),
        )
            .into_response(),
    }
}

/// The quickstart's `GET /api/connection-token?connection=NAME`.
async fn api_connection_token(
    session: RequestSession,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let opts = auth0_edge::flow::ConnectionTokenOptions {
        connection: q.get("connection").map_or("", String::as_str),
        ..Default::default()
    };
    match session.get_access_token_for_connection(&opts).await {
        Ok(t) => axum::Json(serde_json::json!({
            "token": t.token, "expires_at": t.expires_at, "connection": t.connection,
        }))
        .into_response(),
        Err(e) => (
            http::StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": e.code(), "description": e.message()})),
        )
            .into_response(),
    }
}

/// Keeps the default claims and adds a large preference blob, so the cookie needs 3+ chunks.
pub(crate) struct BigSession;

impl Hooks for BigSession {
    async fn before_session_saved(
        &self,
        s: &mut SessionData,
        _id_token: &str,
    ) -> Result<(), HookError> {
        s.user = filter_default_id_token_claims(&s.user);
        s.extra.insert(
            "preferences".into(),
            "abcdefghij0123456789".repeat(450).into(),
        );
        Ok(())
    }
}

/// An HTTP client with a cookie jar (by name, as the browsers of one host share them) that
/// does not follow redirects.
pub(crate) struct Browser {
    pub(crate) http: Client<HttpConnector, Full<Bytes>>,
    pub(crate) jar: BTreeMap<String, String>,
}

#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) url: String,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }
    /// The Location, made absolute.
    pub(crate) fn location(&self) -> String {
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
    pub(crate) fn new() -> Self {
        Browser {
            http: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
            jar: BTreeMap::new(),
        }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn send(&mut self, method: &str, url: &str, form: Option<String>) -> Resp {
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

    pub(crate) async fn get(&mut self, url: &str) -> Resp {
        self.send("GET", url, None).await
    }

    pub(crate) async fn post(&mut self, url: &str, form: &str) -> Resp {
        self.send("POST", url, Some(form.to_string())).await
    }

    /// POSTs a JSON body (the test provider's control endpoints).
    pub(crate) async fn post_json(&mut self, url: &str, body: &serde_json::Value) -> Resp {
        let req = http::Request::builder()
            .method("POST")
            .uri(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let res = self
            .http
            .request(req)
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let status = res.status().as_u16();
        let body = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes())
            .to_string();
        Resp {
            status,
            headers: Vec::new(),
            body,
            url: url.to_string(),
        }
    }
}

pub(crate) fn form_action(html: &str) -> Option<String> {
    let start = html.find("action=\"")? + 8;
    Some(html[start..start + html[start..].find('"')?].to_string())
}

/// From the provider's authorization URL, signs in as `login` (login and consent forms) and
/// returns the redirect back to the app (the callback URL with `code`, `state`, `iss`).
pub(crate) async fn provider_login(
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
pub(crate) async fn sign_in(b: &mut Browser, app: &App, return_to: &str, login: &str) -> String {
    let r = b
        .get(&format!("{}/auth/login?returnTo={return_to}", app.base))
        .await;
    assert_eq!(r.status, 307, "{}", r.body);
    let callback = provider_login(b, &r.location(), login, &app.base).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "callback: {}", r.body);
    callback
}

pub(crate) fn session_cookie_lines(r: &Resp) -> Vec<String> {
    r.set_cookies()
        .into_iter()
        .filter(|c| c.starts_with("__session"))
        .map(String::from)
        .collect()
}

pub(crate) fn apply(b: &mut Browser, r: &Resp) {
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

pub(crate) fn header_map(b: &Browser) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert("cookie", b.cookie_header().parse().unwrap());
    h
}

/// A running redis-server on a free port; killed on drop.
pub(crate) struct Redis {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_redis() -> Redis {
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

/// The quickstart example binary (built by `cargo test`).
pub(crate) fn quickstart_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    let bin = target.join("examples/quickstart");
    if !bin.exists() {
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--all-features", "--example", "quickstart"])
            .current_dir(repo())
            .status()
            .unwrap()
            .success();
        assert!(ok, "building the quickstart failed");
    }
    bin
}

// ---------------------------------------------------------------------------------------------
// Faults against the real components: a provider that hangs, Redis going down and coming back,
// a request with 100 KB of other cookies; and the logs of it all
// ---------------------------------------------------------------------------------------------

/// Sends `signal` (`STOP`, `CONT`) to a child process.
pub(crate) fn signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

/// The logs of the whole test process, for the test that asserts what they do not contain.
#[derive(Clone, Default)]
pub(crate) struct Logs(pub(crate) std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

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
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Opens a session cookie with the real Next.js SDK (`tests/interop/sdk-open.mjs`; `npm ci`
/// there on first use).
pub(crate) fn nextjs_open(cookie_header: &str) -> serde_json::Value {
    nextjs_open_named(cookie_header, "__session")
}

/// [`nextjs_open`] for another cookie (`__FC_0`, …).
pub(crate) fn nextjs_open_named(cookie_header: &str, name: &str) -> serde_json::Value {
    use std::io::Write;
    let dir = repo().join("tests/interop");
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if !dir
            .join("node_modules/@auth0/nextjs-auth0/package.json")
            .exists()
        {
            let ok = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("npm is required (Node.js 20+): run tests/run")
                .success();
            assert!(ok, "npm ci in tests/interop failed");
        }
    });
    let mut child = Command::new("node")
        .arg("sdk-open.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node is required: run tests/run");
    let input =
        serde_json::json!({"secret": SECRET, "cookie_header": cookie_header, "cookie_name": name});
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}
