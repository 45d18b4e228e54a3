//! The quickstart: an axum app with a home page (log in / log out, the user's name), a
//! protected page and a protected JSON API, all behind [`Auth0Layer`].
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Configured from the environment and a `.env` file (`AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`,
//! `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET`, `APP_BASE_URL`, …). When `AUTH0_DOMAIN` is not set
//! it starts a local development issuer on 127.0.0.1 (see `support/dev_issuer.rs`; not for
//! production) so it works with no account. It listens on the host and port of
//! `APP_BASE_URL` (default `http://localhost:3000`).
//!
//! Sessions live in cookies unless `SESSION_STORE=memory` (a store in this process) or
//! `REDIS_URL=redis://127.0.0.1:6379/` (a Redis store; needs `--features redis`): the cookie
//! then holds only a sealed id, and back-channel logout (`POST /auth/backchannel-logout`) ends
//! sessions. Instances sharing one Redis make one refresh per session between them; with
//! `SESSION_STORE=cookie` and `REDIS_URL`, sessions stay in cookies and Redis only coordinates
//! the refreshes.
//!
//! Routes: `/` (home), `/protected` (a page that needs a session), `/api/me` (the user, 401
//! JSON without a session), `/api/token` (an access token got inside the handler:
//! `{"token", "expires_at", "scope"}`, refreshed when it expired, the refresh saved by the
//! layer), `/api/connection-token?connection=NAME` (a connection access token:
//! `{"token", "expires_at", "connection"}`), `/api/userinfo` (the provider's userinfo JSON,
//! fetched with the user's token through the fetcher: DPoP-bound when `AUTH0_DPOP_PRIVATE_KEY`
//! and `AUTH0_DPOP_PUBLIC_KEY` are set, 401 JSON without a session), and the SDK's routes under
//! `/auth/`.

#[path = "support/dev_issuer.rs"]
mod dev_issuer;

use auth0_edge::config::{ClientAuth, Config, OwnedConfig, read_dotenv};
use auth0_edge::flow::AccessTokenOptions;
use auth0_edge::tokio::axum::{PageUser, Session, User};
use auth0_edge::tokio::{
    Auth0Client, Auth0Layer, Builder, FetchWithAuth, RequestSession, userinfo_endpoint,
};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn home(Session(session): Session) -> Html<String> {
    let body = match session {
        Some(s) => {
            let name = s
                .claim("name")
                .or_else(|| s.claim("sub"))
                .unwrap_or_default();
            format!(
                r#"<p>Signed in as <span id="user-name">{}</span>.</p>
<ul><li><a href="/protected">A protected page</a></li><li><a href="/api/me">A protected API</a></li>
<li><a href="/auth/access-token">Your access token</a></li></ul>
<p><a id="logout" href="/auth/logout">Log out</a></p>"#,
                escape(name)
            )
        }
        None => r#"<p>You are not signed in.</p><p><a id="login" href="/auth/login">Log in</a></p>
<p><a href="/protected">A protected page</a> sends you to log in first.</p>"#
            .to_string(),
    };
    Html(page("auth0-edge quickstart", &body))
}

async fn protected(PageUser(s): PageUser) -> Html<String> {
    let claims = serde_json::to_string_pretty(&s.user).unwrap_or_default();
    let body = format!(
        r#"<p>Only signed-in users see this page.</p><pre id="claims">{}</pre><p><a href="/">Home</a></p>"#,
        escape(&claims)
    );
    Html(page("Protected", &body))
}

async fn api_me(User(s): User) -> impl IntoResponse {
    Json(serde_json::json!({ "user": s.user }))
}

/// A connection access token (Token Vault): `?connection=NAME`, got inside the handler and
/// cached in the session until it expires.
async fn api_connection_token(
    session: RequestSession,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    let Some(connection) = q.get("connection").filter(|c| !c.is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "invalid_request", "description": "connection is required" })),
        )
            .into_response();
    };
    let opts = auth0_edge::flow::ConnectionTokenOptions {
        connection,
        login_hint: q.get("login_hint").map(String::as_str),
        ..Default::default()
    };
    match session.get_access_token_for_connection(&opts).await {
        Ok(t) => Json(serde_json::json!({
            "token": t.token,
            "expires_at": t.expires_at,
            "connection": t.connection,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": e.code(), "description": e.message() })),
        )
            .into_response(),
    }
}

/// An access token, got inside the handler: refreshed when it expired (once, however many
/// requests ask at the same time); the layer saves the refreshed session with this response.
async fn api_token(session: RequestSession) -> axum::response::Response {
    match session
        .get_access_token(&AccessTokenOptions::default())
        .await
    {
        Ok(t) => Json(serde_json::json!({
            "token": t.token,
            "expires_at": t.expires_at,
            "scope": t.scope,
        }))
        .into_response(),
        Err(e) => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": e.code(), "description": e.message() })),
        )
            .into_response(),
    }
}

/// The provider's userinfo endpoint called through the fetcher (the SDK's `fetchWithAuth`):
/// with DPoP when the keys are set (a proof carrying `ath`, the nonce retry), else Bearer. The
/// provider's JSON is answered as it is; 401 JSON without a session.
async fn api_userinfo(session: RequestSession) -> axum::response::Response {
    let failed = |status: u16, code: &str, description: String| {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        (
            status,
            Json(serde_json::json!({ "error": code, "description": description })),
        )
            .into_response()
    };
    if session.get().await.is_none() {
        let e = auth0_edge::flow::AuthError::MissingSession;
        return failed(e.status(), e.code(), e.message().to_string());
    }
    let url = match userinfo_endpoint(session.client()).await {
        Ok(Some(url)) => url,
        Ok(None) => {
            return failed(
                502,
                "no_userinfo_endpoint",
                "the provider has no userinfo endpoint".into(),
            );
        }
        Err(e) => return failed(502, e.code(), e.message().to_string()),
    };
    let request = axum::http::Request::get(url).body(bytes::Bytes::new());
    let Ok(request) = request else {
        return failed(
            502,
            "invalid_url",
            "the provider's userinfo endpoint is not a valid URI".into(),
        );
    };
    match session.fetch_with_auth(request).await {
        Ok(res) => {
            let status = res.status();
            let body = res.into_body();
            (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
        Err(e) => failed(e.status(), e.code(), e.to_string()),
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>{title}</h1>{body}</body></html>"#
    )
}

/// The configuration: the environment (and `.env`), or the local dev issuer.
async fn config(
    get: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<OwnedConfig, Box<dyn std::error::Error>> {
    if get("AUTH0_DOMAIN").is_some() {
        return Ok(OwnedConfig::from_lookup(get)?);
    }
    let issuer = dev_issuer::start().await?;
    println!(
        "AUTH0_DOMAIN is not set: using a local development issuer at {issuer} (not for production)"
    );
    let app_base_url = get("APP_BASE_URL").unwrap_or_else(|| "http://localhost:3000".into());
    let secret = get("AUTH0_SECRET").unwrap_or_else(|| {
        auth0_edge::oauth::pkce::Token::random(&mut rand_core::OsRng).to_string()
    });
    let config = OwnedConfig::from(Config {
        secret: &secret,
        ..Config::new(
            &issuer,
            dev_issuer::CLIENT_ID,
            ClientAuth::SecretPost(dev_issuer::CLIENT_SECRET),
            &app_base_url,
        )
    });
    config.validate()?;
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The library's events (a refused callback, a refresh, a store that is down) to stderr.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let vars = read_dotenv(".env")?;
    let var = move |k: &str| std::env::var(k).ok().or_else(|| vars.get(k).cloned());
    let config = config(&var).await?;
    let base = auth0_edge::codec::url::Url::parse(config.as_config().app_base_url)?;
    let addr = format!(
        "{}:{}",
        base.host.trim_start_matches('[').trim_end_matches(']'),
        base.effective_port()
    );
    let open = config_url(&base);
    let builder = sessions(
        Auth0Client::builder(config.clone()),
        var("SESSION_STORE").as_deref(),
        var("REDIS_URL").filter(|u| !u.is_empty()),
    )
    .await?;
    let client = builder.build()?;
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/protected", get(protected))
        .route("/api/me", get(api_me))
        .route("/api/token", get(api_token))
        .route("/api/connection-token", get(api_connection_token))
        .route("/api/userinfo", get(api_userinfo))
        .layer(Auth0Layer::new(client));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("Open {open}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// Where sessions live: `SESSION_STORE` (`cookie`, `memory` or `redis`; with `REDIS_URL` set
/// the default is `redis`, else `cookie`).
async fn sessions(
    builder: Builder,
    store: Option<&str>,
    redis_url: Option<String>,
) -> Result<Builder, Box<dyn std::error::Error>> {
    let store = store.unwrap_or(if redis_url.is_some() {
        "redis"
    } else {
        "cookie"
    });
    match (store, redis_url) {
        ("memory", _) => Ok(builder.store(auth0_edge::tokio::MemoryStore::new())),
        ("cookie", None) => Ok(builder),
        ("cookie", Some(url)) => redis(builder, &url, false).await,
        ("redis", Some(url)) => redis(builder, &url, true).await,
        ("redis", None) => {
            Err("SESSION_STORE=redis needs REDIS_URL (redis://127.0.0.1:6379/)".into())
        }
        (other, _) => {
            Err(format!("SESSION_STORE must be cookie, memory or redis, got {other:?}").into())
        }
    }
}

/// Sessions in Redis (`stateful`), or cookie sessions whose refreshes Redis coordinates.
#[cfg(feature = "redis")]
async fn redis(
    builder: Builder,
    url: &str,
    stateful: bool,
) -> Result<Builder, Box<dyn std::error::Error>> {
    let store = auth0_edge::tokio::RedisStore::connect(url, "auth0-edge:").await?;
    Ok(if stateful {
        builder.store(store)
    } else {
        builder.coordinate_refreshes(auth0_edge::tokio::RedisCoordination::through(&store))
    })
}

#[cfg(not(feature = "redis"))]
async fn redis(_: Builder, _: &str, _: bool) -> Result<Builder, Box<dyn std::error::Error>> {
    Err("REDIS_URL needs the redis feature: cargo run --features redis --example quickstart".into())
}

fn config_url(u: &auth0_edge::codec::url::Url<'_>) -> String {
    let mut buf = [0u8; 256];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "url");
    let _ = u.write_origin(&mut w);
    format!("{}{}", w.as_str(), u.path)
}
