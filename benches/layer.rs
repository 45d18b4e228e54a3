//! The layer's own work per request, in process (no sockets): a protected route (`User`, the
//! session opened and rolled), an unprotected route with a session (rolled), and one without a
//! cookie. `cargo bench --bench layer`; see BENCHMARKS.md.

use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::tokio::axum::User;
use auth0_edge::tokio::{Auth0Client, Auth0Layer, generate_session_cookie};
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tower_service::Service;

const SECRET: &str = "a-benchmark-secret-that-is-at-least-32-characters";

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = Config {
        secret: SECRET,
        ..Config::new(
            "127.0.0.1:9",
            "bench",
            ClientAuth::SecretPost("s"),
            "http://127.0.0.1:3000",
        )
    };
    let client = Auth0Client::builder(config).build().unwrap();
    let app =
        axum::Router::new()
            .route("/hello", get(|| async { "hello" }))
            .route(
                "/protected",
                get(|User(s): User| async move {
                    format!("hello {}", s.claim("name").unwrap_or_default())
                }),
            )
            .layer(Auth0Layer::new(client));
    let id_token = format!(
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.{}.{}",
        "e".repeat(600),
        "s".repeat(342)
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let session = format!(
        r#"{{"user":{{"sub":"auth0|64b7f0a1c2d3e4f5a6b7c8d9","name":"Ada Lovelace","nickname":"ada","picture":"https://s.gravatar.com/avatar/0123456789abcdef0123456789abcdef?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fad.png","email":"ada@example.com","email_verified":true}},"tokenSet":{{"accessToken":"{}","idToken":"{id_token}","scope":"openid profile email offline_access","requestedScope":"openid profile email offline_access","refreshToken":"v1.MRrtq0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","expiresAt":4102444800}},"internal":{{"sid":"4m7nN0pQ1rS2tU3vW4xY5zA6","createdAt":{now}}}}}"#,
        "a".repeat(800),
    );
    let cookie = format!(
        "__session={}",
        generate_session_cookie(&session, SECRET).unwrap()
    );
    let mut run = |name: &str, path: &'static str, cookie: Option<&str>| {
        let mut svc = app.clone();
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut req = http::Request::builder().uri(path);
                if let Some(c) = cookie {
                    req = req.header("cookie", c);
                }
                let res = rt
                    .block_on(svc.call(req.body(Body::empty()).unwrap()))
                    .unwrap();
                black_box(res.status())
            })
        });
    };
    run(
        "layer: protected (User), session rolled",
        "/protected",
        Some(&cookie),
    );
    run(
        "layer: unprotected, session rolled",
        "/hello",
        Some(&cookie),
    );
    run("layer: unprotected, no cookie", "/hello", None);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(4));
    targets = layer
}
criterion_main!(benches);
