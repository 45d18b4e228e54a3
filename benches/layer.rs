//! The layer's own work per request, in process (no sockets): a protected route (`User`) with
//! a cookie that needs no re-seal and with one due for re-seal, an unprotected route with a
//! session and without a cookie, `/auth/profile`, and the same handlers with no layer at all
//! (the baselines). `cargo bench --bench layer [filter]`; see BENCHMARKS.md.
//!
//! With `LAYER_ITERS=<n>` (and optionally `LAYER_ROUTE=<name>`, a substring of a route's name)
//! the bench runs each route `n` times and exits, without criterion: run it twice under an
//! instruction counter (`valgrind --tool=cachegrind --cache-sim=no`, or `perf stat -e
//! instructions` where the machine has hardware counters) with two values of `n`, and the
//! difference divided by the difference of `n` is the instructions per request.

use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::tokio::axum::User;
use auth0_edge::tokio::{Auth0Client, Auth0Layer, generate_session_cookie};
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group};
use std::hint::black_box;
use tower_service::Service;

const SECRET: &str = "a-benchmark-secret-that-is-at-least-32-characters";

/// The session's user claims (also what the plain JSON route answers).
const USER: &str = r#"{"sub":"auth0|64b7f0a1c2d3e4f5a6b7c8d9","name":"Ada Lovelace","nickname":"ada","picture":"https://s.gravatar.com/avatar/0123456789abcdef0123456789abcdef?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fad.png","email":"ada@example.com","email_verified":true}"#;

/// One benchmarked request: its name, the router, the path and the `Cookie` header.
struct Route {
    name: &'static str,
    app: axum::Router,
    path: &'static str,
    cookie: Option<String>,
}

fn request(path: &str, cookie: Option<&str>) -> http::Request<Body> {
    let mut req = http::Request::builder().uri(path);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.body(Body::empty()).unwrap()
}

fn routes(rt: &tokio::runtime::Runtime) -> Vec<Route> {
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
    let hello = || axum::Router::new().route("/hello", get(|| async { "hello" }));
    let protected = || {
        axum::Router::new().route(
            "/protected",
            get(|User(s): User| async move {
                format!("hello {}", s.claim("name").unwrap_or_default())
            }),
        )
    };
    let user_json: serde_json::Value = serde_json::from_str(USER).unwrap();
    let json = axum::Router::new().route(
        "/json",
        get(move || async move { axum::Json(user_json.clone()) }),
    );
    let layered = |r: axum::Router| r.layer(Auth0Layer::new(client.clone()));
    // The opened-sessions cache off: every request decrypts and parses its cookie.
    let uncached = Auth0Client::builder(config)
        .opened_sessions(0)
        .build()
        .unwrap();
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
        r#"{{"user":{USER},"tokenSet":{{"accessToken":"{}","idToken":"{id_token}","scope":"openid profile email offline_access","requestedScope":"openid profile email offline_access","refreshToken":"v1.MRrtq0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","expiresAt":4102444800}},"internal":{{"sid":"4m7nN0pQ1rS2tU3vW4xY5zA6","createdAt":{now}}}}}"#,
        "a".repeat(800),
    );
    // `generateSessionCookie`'s cookie expires in an hour: a roll (to a day from now) is due on
    // every request. `fresh` is the cookie a roll just wrote: with the default threshold (60 s)
    // it needs no re-seal.
    let due = format!(
        "__session={}",
        generate_session_cookie(&session, SECRET).unwrap()
    );
    let mut public = layered(hello());
    let res = rt
        .block_on(public.call(request("/hello", Some(&due))))
        .unwrap();
    let fresh = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("__session="))
        .and_then(|v| v.split(';').next())
        .expect("a rolled cookie")
        .to_string();
    let route = |name, app, path, cookie: Option<&String>| Route {
        name,
        app,
        path,
        cookie: cookie.cloned(),
    };
    vec![
        route(
            "layer: protected (User), no re-seal",
            layered(protected()),
            "/protected",
            Some(&fresh),
        ),
        route(
            "layer: protected (User) cache off, no re-seal",
            protected().layer(Auth0Layer::new(uncached.clone())),
            "/protected",
            Some(&fresh),
        ),
        route(
            "layer: protected (User), re-seal due",
            layered(protected()),
            "/protected",
            Some(&due),
        ),
        route(
            "layer: unprotected, session, no re-seal",
            layered(hello()),
            "/hello",
            Some(&fresh),
        ),
        route(
            "layer: unprotected, no cookie",
            layered(hello()),
            "/hello",
            None,
        ),
        route(
            "layer: /auth/profile",
            layered(axum::Router::new().fallback(|| async { "not found" })),
            "/auth/profile",
            Some(&fresh),
        ),
        route(
            "no layer: hello, same cookie",
            hello(),
            "/hello",
            Some(&fresh),
        ),
        route("no layer: hello, no cookie", hello(), "/hello", None),
        route(
            "no layer: JSON user, same cookie",
            json,
            "/json",
            Some(&fresh),
        ),
    ]
}

fn layer(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for r in routes(&rt) {
        let mut svc = r.app.clone();
        c.bench_function(r.name, |b| {
            b.iter(|| {
                let res = rt
                    .block_on(svc.call(request(r.path, r.cookie.as_deref())))
                    .unwrap();
                black_box(res.status())
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(4));
    targets = layer
}

fn main() {
    let Some(iters) = std::env::var("LAYER_ITERS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        benches();
        Criterion::default().configure_from_args().final_summary();
        return;
    };
    let filter = std::env::var("LAYER_ROUTE").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for r in routes(&rt)
        .into_iter()
        .filter(|r| r.name.contains(&*filter))
    {
        let mut svc = r.app.clone();
        let mut status = 0;
        for _ in 0..iters {
            let res = rt
                .block_on(svc.call(request(r.path, r.cookie.as_deref())))
                .unwrap();
            status = black_box(res.status().as_u16());
        }
        eprintln!("{}: {iters} requests, last status {status}", r.name);
    }
}
