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

#[path = "support/dev_issuer.rs"]
mod dev_issuer;

use auth0_edge::config::read_dotenv;
use auth0_edge::config::{ClientAuth, Config};
use auth0_edge::tokio::axum::{PageUser, Session, User};
use auth0_edge::tokio::{Auth0Client, Auth0Layer};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Extension, Json};

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
                escape(&name)
            )
        }
        None => r#"<p>You are not signed in.</p><p><a id="login" href="/auth/login">Log in</a></p>
<p><a href="/protected">A protected page</a> sends you to log in first.</p>"#
            .to_string(),
    };
    Html(page("auth0-edge quickstart", &body))
}

async fn protected(PageUser(s): PageUser) -> Html<String> {
    let body = format!(
        r#"<p>Only signed-in users see this page.</p><pre id="claims">{}</pre><p><a href="/">Home</a></p>"#,
        escape(s.user().raw())
    );
    Html(page("Protected", &body))
}

async fn api_me(User(s): User) -> impl IntoResponse {
    let user: serde_json::Value = serde_json::from_str(s.user().raw()).unwrap_or_default();
    Json(serde_json::json!({ "user": user }))
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>{title}</h1>{body}</body></html>"#
    )
}

/// The configuration: the environment (and `.env`), or the local dev issuer.
async fn config() -> Result<Config<'static>, Box<dyn std::error::Error>> {
    let vars = read_dotenv(".env")?;
    let get = move |k: &str| std::env::var(k).ok().or_else(|| vars.get(k).cloned());
    if get("AUTH0_DOMAIN").is_some() {
        return Ok(Config::from_lookup(get)?);
    }
    let issuer = dev_issuer::start().await?;
    println!(
        "AUTH0_DOMAIN is not set: using a local development issuer at {issuer} (not for production)"
    );
    let app_base_url: &'static str = Box::leak(
        get("APP_BASE_URL")
            .unwrap_or_else(|| "http://localhost:3000".into())
            .into_boxed_str(),
    );
    let secret: &'static str = Box::leak(
        get("AUTH0_SECRET")
            .unwrap_or_else(|| {
                auth0_edge::oauth::pkce::Token::random(&mut rand_core::OsRng).to_string()
            })
            .into_boxed_str(),
    );
    let config = Config {
        secret,
        ..Config::new(
            Box::leak(issuer.into_boxed_str()),
            dev_issuer::CLIENT_ID,
            ClientAuth::SecretPost(dev_issuer::CLIENT_SECRET),
            app_base_url,
        )
    };
    config.validate()?;
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = config().await?;
    let base = auth0_edge::codec::url::Url::parse(config.app_base_url)?;
    let addr = format!(
        "{}:{}",
        base.host.trim_start_matches('[').trim_end_matches(']'),
        base.effective_port()
    );
    let client = Auth0Client::builder(config).build()?;
    let app = axum::Router::new()
        .route("/", get(home))
        .route("/protected", get(protected))
        .route("/api/me", get(api_me))
        .layer(Extension(client.clone()))
        .layer(Auth0Layer::new(client));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("Open {}", config_url(&base));
    axum::serve(listener, app).await?;
    Ok(())
}

fn config_url(u: &auth0_edge::codec::url::Url<'_>) -> String {
    let mut buf = [0u8; 256];
    let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "url");
    let _ = u.write_origin(&mut w);
    format!("{}{}", w.as_str(), u.path)
}
