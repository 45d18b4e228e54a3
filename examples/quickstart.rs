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
//! `APP_BASE_URL` (default `http://localhost:3000`). With `REDIS_URL` set
//! (`redis://127.0.0.1:6379/`), instances of it share one refresh per session through Redis.
//!
//! Routes: `/` (home), `/protected` (a page that needs a session), `/api/me` (the user, 401
//! JSON without a session) and `/api/token` (an access token got inside the handler:
//! `{"token", "expires_at", "scope"}`, refreshed when it expired, the refresh saved by the
//! layer), and the SDK's routes under `/auth/`.

#[path = "support/dev_issuer.rs"]
mod dev_issuer;

use auth0_edge::config::{ClientAuth, Config, OwnedConfig, read_dotenv};
use auth0_edge::flow::AccessTokenOptions;
use auth0_edge::tokio::axum::{PageUser, Session, User};
use auth0_edge::tokio::{Auth0Client, Auth0Layer, Builder, RequestSession};
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
    let mut builder = Auth0Client::builder(config.clone());
    if let Some(url) = var("REDIS_URL").filter(|u| !u.is_empty()) {
        builder = coordinate(builder, &url).await?;
    }
    let client = builder.build()?;
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/protected", get(protected))
        .route("/api/me", get(api_me))
        .route("/api/token", get(api_token))
        .layer(Auth0Layer::new(client));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("Open {open}");
    axum::serve(listener, app).await?;
    Ok(())
}

/// Refreshes coordinated with the other instances through Redis.
#[cfg(feature = "redis")]
async fn coordinate(builder: Builder, url: &str) -> Result<Builder, Box<dyn std::error::Error>> {
    let redis = auth0_edge::tokio::RedisCoordination::connect(url, "auth0-edge:").await?;
    Ok(builder.coordinate_refreshes(redis))
}

#[cfg(not(feature = "redis"))]
async fn coordinate(_: Builder, _: &str) -> Result<Builder, Box<dyn std::error::Error>> {
    Err("REDIS_URL needs the redis feature: cargo run --features redis --example quickstart".into())
}

fn config_url(u: &auth0_edge::codec::url::Url<'_>) -> String {
    let mut buf = [0u8; 256];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "url");
    let _ = u.write_origin(&mut w);
    format!("{}{}", w.as_str(), u.path)
}
