//! The server of the throughput benchmark (`benches/throughput.sh`): the same tiny handler
//! three ways, on three ports:
//!
//! - `/hello` with no auth at all (no layer);
//! - `/hello` behind `Auth0Layer` (an unprotected route: the layer still rolls the session);
//! - `/protected` behind the layer, with the `User` extractor: the session cookie is opened,
//!   and re-sealed only when its expiry is behind by the rolling threshold (60 s; the bench's
//!   cookie is fresh, so never);
//! - the same `/protected` behind a layer whose rolling threshold is 0 (the SDK's behaviour:
//!   every request re-seals the cookie);
//! - `/auth/profile` behind the layer, and a plain axum JSON route answering the same user
//!   JSON with no auth;
//! - `/hello` with no auth, answering with the same headers a rolled session gets (a 3.3 KB
//!   `Set-Cookie`, the chunk deletions, the cache headers): the cost of the bytes alone.
//!
//! It prints the three base URLs and a session cookie for the requests, then serves until
//! killed. `BENCH_WORKERS` sets the tokio worker threads (default 1).

use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::tokio::axum::User;
use auth0_edge::tokio::{Auth0Client, Auth0Layer, generate_session_cookie};
use axum::routing::get;

/// The session's user claims (also what the plain JSON route answers).
const USER: &str = r#"{"sub":"auth0|64b7f0a1c2d3e4f5a6b7c8d9","name":"Ada Lovelace","nickname":"ada","picture":"https://s.gravatar.com/avatar/0123456789abcdef0123456789abcdef?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fad.png","email":"ada@example.com","email_verified":true}"#;
const SECRET: &str = "a-benchmark-secret-that-is-at-least-32-characters";

fn main() {
    let workers = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = Config {
            secret: SECRET,
            ..Config::new("127.0.0.1:9", "bench", ClientAuth::SecretPost("s"), "http://127.0.0.1:3000")
        };
        let mut always = config;
        always.session.durations.rolling_threshold = 0;
        let client = Auth0Client::builder(config).build().unwrap();
        let reseal_client = Auth0Client::builder(always).build().unwrap();
        // The same protected route with the opened-sessions cache off: every request decrypts.
        let uncached_client = Auth0Client::builder(config).opened_sessions(0).build().unwrap();
        let plain = axum::Router::new().route("/hello", get(|| async { "hello" }));
        let public = axum::Router::new().route("/hello", get(|| async { "hello" })).layer(Auth0Layer::new(client.clone()));
        let protected = axum::Router::new()
            .route("/protected", get(|User(s): User| async move { format!("hello {}", s.claim("name").unwrap_or_default()) }))
            .layer(Auth0Layer::new(client.clone()));
        let protected_reseal = axum::Router::new()
            .route("/protected", get(|User(s): User| async move { format!("hello {}", s.claim("name").unwrap_or_default()) }))
            .layer(Auth0Layer::new(reseal_client));
        let protected_uncached = axum::Router::new()
            .route("/protected", get(|User(s): User| async move { format!("hello {}", s.claim("name").unwrap_or_default()) }))
            .layer(Auth0Layer::new(uncached_client));
        let profile = axum::Router::new().fallback(|| async { "not found" }).layer(Auth0Layer::new(client));
        let user_json: serde_json::Value = serde_json::from_str(USER).unwrap();
        let json = axum::Router::new().route("/json", get(move || async move { axum::Json(user_json.clone()) }));
        // The same response bytes as a rolled session (a 3.3 KB Set-Cookie, the five chunk
        // deletions, the cache headers) with no crypto: the cost of moving them.
        let cookie_line: &'static str = Box::leak(format!("__session={}; Path=/; Expires=Sat, 28 Nov 2026 23:00:48 GMT; Max-Age=86400; HttpOnly; SameSite=lax", "x".repeat(3240)).into_boxed_str());
        let same_bytes = axum::Router::new().route(
            "/hello",
            get(move || async move {
                let mut headers = axum::http::HeaderMap::new();
                headers.append("set-cookie", cookie_line.parse().unwrap());
                for i in 0..5 {
                    headers.append("set-cookie", format!("__session__{i}=; Path=/; Max-Age=0; HttpOnly; SameSite=lax").parse().unwrap());
                }
                headers.insert("cache-control", "private, no-cache, no-store, must-revalidate, max-age=0".parse().unwrap());
                headers.insert("pragma", "no-cache".parse().unwrap());
                headers.insert("expires", "0".parse().unwrap());
                (headers, "hello")
            }),
        );
        let mut urls = vec![];
        for (router, path) in [
            (plain, "/hello"),
            (public, "/hello"),
            (protected, "/protected"),
            (same_bytes, "/hello"),
            (protected_reseal, "/protected"),
            (profile, "/auth/profile"),
            (json, "/json"),
            (protected_uncached, "/protected"),
        ] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            urls.push(format!("http://{}{path}", listener.local_addr().unwrap()));
            tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        }
        // A typical session: default claims, an access token, a refresh token, an ID token.
        let id_token = format!("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.{}.{}", "e".repeat(600), "s".repeat(342));
        let session = format!(
            r#"{{"user":{USER},"tokenSet":{{"accessToken":"{}","idToken":"{id_token}","scope":"openid profile email offline_access","requestedScope":"openid profile email offline_access","refreshToken":"v1.MRrtq0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","expiresAt":4102444800}},"internal":{{"sid":"4m7nN0pQ1rS2tU3vW4xY5zA6","createdAt":{}}}}}"#,
            "a".repeat(800),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
        );
        let cookie = generate_session_cookie(&session, SECRET).unwrap();
        println!("NOAUTH {}", urls[0]);
        println!("PUBLIC {}", urls[1]);
        println!("PROTECTED {}", urls[2]);
        println!("SAMEBYTES {}", urls[3]);
        println!("RESEAL {}", urls[4]);
        println!("PROFILE {}", urls[5]);
        println!("JSON {}", urls[6]);
        println!("UNCACHED {}", urls[7]);
        println!("COOKIE __session={cookie}");
        println!("SESSION_BYTES {}", session.len());
        std::future::pending::<()>().await;
    });
}
