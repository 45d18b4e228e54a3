//! A tiny OpenID Provider for local development — NOT FOR PRODUCTION.
//!
//! It lets `cargo run --example quickstart` work with no Auth0 account: discovery, a JWKS with
//! one ES256 key, an authorization endpoint with a one-click login form (PKCE S256 checked),
//! a token endpoint for `authorization_code` and `refresh_token` (rotated), revocation and
//! RP-Initiated Logout. Anyone can sign in as anyone; nothing is persisted.

use auth0_edge::codec::buf::Writer;
use auth0_edge::codec::form::{decode_component, query_pairs};
use auth0_edge::jose::jwk::EcKeyPair;
use auth0_edge::jose::jws;
use auth0_edge::oauth::pkce;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The client the dev issuer knows.
pub const CLIENT_ID: &str = "dev-client";
/// Its secret.
pub const CLIENT_SECRET: &str = "dev-client-secret";

struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: String,
    name: String,
    scope: String,
}

struct Issuer {
    url: String,
    key: EcKeyPair,
    codes: Mutex<HashMap<String, Grant>>,
    refresh: Mutex<HashMap<String, (String, String)>>,
}

type Shared = Arc<Issuer>;

fn random() -> String {
    pkce::Token::random(&mut rand_core::OsRng).to_string()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn form(body: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in query_pairs(body) {
        let (mut kb, mut vb) = (vec![0u8; k.len() * 3 + 4], vec![0u8; v.len() * 3 + 4]);
        if let (Ok(k), Ok(v)) = (decode_component(k, &mut kb), decode_component(v, &mut vb)) {
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Starts the issuer on 127.0.0.1 (a free port) and returns its URL.
pub async fn start() -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let issuer = Arc::new(Issuer {
        url: url.clone(),
        key: EcKeyPair::generate(&mut rand_core::OsRng),
        codes: Mutex::default(),
        refresh: Mutex::default(),
    });
    let app = axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/authorize", get(authorize_page).post(authorize_submit))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(|| async { StatusCode::OK }))
        .route("/oidc/logout", get(logout))
        .with_state(issuer);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

async fn discovery(State(i): State<Shared>) -> Response {
    let u = &i.url;
    axum::Json(json!({
        "issuer": format!("{u}/"),
        "authorization_endpoint": format!("{u}/authorize"),
        "token_endpoint": format!("{u}/oauth/token"),
        "jwks_uri": format!("{u}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{u}/oauth/revoke"),
        "end_session_endpoint": format!("{u}/oidc/logout"),
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
    }))
    .into_response()
}

async fn jwks(State(i): State<Shared>) -> Response {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf, "jwk");
    let _ = i.key.public_key().write_jwk(&mut w);
    let mut jwk: Value = serde_json::from_str(w.as_str()).unwrap_or(json!({}));
    jwk["kid"] = json!("dev-1");
    jwk["use"] = json!("sig");
    jwk["alg"] = json!("ES256");
    axum::Json(json!({ "keys": [jwk] })).into_response()
}

async fn authorize_page(Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| escape(q.get(k).map_or("", |v| v.as_str()));
    if q.get("code_challenge_method").map(String::as_str) != Some("S256")
        || q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
    {
        return (
            StatusCode::BAD_REQUEST,
            "dev issuer: unknown client or no S256 PKCE",
        )
            .into_response();
    }
    let hidden: String = [
        "client_id",
        "redirect_uri",
        "state",
        "nonce",
        "code_challenge",
        "scope",
    ]
    .iter()
    .map(|k| format!(r#"<input type="hidden" name="{k}" value="{}">"#, get(k)))
    .collect();
    Html(format!(
        r#"<!doctype html><html><head><title>Dev issuer</title></head><body style="font-family:sans-serif;max-width:30em;margin:3em auto">
<h1>Local development issuer</h1>
<p><strong>Not for production.</strong> Anyone can sign in as anyone here.</p>
<form method="post" action="/authorize">{hidden}
<label>Name <input id="name" name="name" value="Dev User"></label>
<button id="continue" type="submit">Continue</button>
</form></body></html>"#
    ))
    .into_response()
}

async fn authorize_submit(State(i): State<Shared>, body: String) -> Response {
    let f = form(&body);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let code = random();
    let redirect_uri = get("redirect_uri");
    i.codes.lock().unwrap().insert(
        code.clone(),
        Grant {
            client_id: get("client_id"),
            redirect_uri: redirect_uri.clone(),
            code_challenge: get("code_challenge"),
            nonce: get("nonce"),
            name: if get("name").is_empty() {
                "Dev User".into()
            } else {
                get("name")
            },
            scope: get("scope"),
        },
    );
    let mut buf = vec![0u8; 4096];
    let mut w = Writer::new(&mut buf, "redirect");
    let _ = w.push_str(&redirect_uri);
    let mut fw = auth0_edge::codec::form::FormWriter::new(
        &mut w,
        if redirect_uri.contains('?') { '&' } else { '?' },
    );
    let _ = fw.pair("code", &code);
    let _ = fw.pair("state", &get("state"));
    let _ = fw.pair("iss", &format!("{}/", i.url));
    Redirect::to(w.as_str()).into_response()
}

fn id_token(i: &Issuer, name: &str, nonce: Option<&str>) -> String {
    let sub = format!("dev|{}", name.to_lowercase().replace(' ', "-"));
    let mut claims = json!({
        "iss": format!("{}/", i.url), "sub": sub, "aud": CLIENT_ID, "iat": now(), "exp": now() + 3600,
        "name": name, "nickname": name.split(' ').next().unwrap_or(name), "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        "email_verified": true, "sid": random(),
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    let mut out = vec![0u8; 4096];
    jws::sign_es256(
        i.key.signing_key(),
        br#"{"alg":"ES256","kid":"dev-1","typ":"JWT"}"#,
        claims.to_string().as_bytes(),
        &mut out,
    )
    .map(String::from)
    .unwrap_or_default()
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(State(i): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let _ = headers;
    let f = form(&body);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let (name, scope, nonce) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(g) = i.codes.lock().unwrap().remove(&get("code")) else {
                return oauth_error("invalid_grant", "unknown or used code");
            };
            if g.client_id != CLIENT_ID || g.redirect_uri != get("redirect_uri") {
                return oauth_error("invalid_grant", "redirect_uri mismatch");
            }
            if pkce::challenge(&get("code_verifier")).as_str() != g.code_challenge {
                return oauth_error("invalid_grant", "PKCE verification failed");
            }
            (g.name, g.scope, Some(g.nonce))
        }
        "refresh_token" => {
            // Rotation: the old refresh token is spent.
            let Some((name, scope)) = i.refresh.lock().unwrap().remove(&get("refresh_token"))
            else {
                return oauth_error("invalid_grant", "Unknown or invalid refresh token.");
            };
            (name, scope, None)
        }
        _ => {
            return oauth_error(
                "unsupported_grant_type",
                "authorization_code or refresh_token",
            );
        }
    };
    let refresh = random();
    i.refresh
        .lock()
        .unwrap()
        .insert(refresh.clone(), (name.clone(), scope.clone()));
    let body = json!({
        "access_token": random(), "token_type": "Bearer", "expires_in": 300, "scope": scope,
        "refresh_token": refresh, "id_token": id_token(&i, &name, nonce.as_deref()),
    });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

async fn logout(Query(q): Query<HashMap<String, String>>) -> Response {
    match q.get("post_logout_redirect_uri") {
        Some(uri) => Redirect::to(uri).into_response(),
        None => Html("<p>Signed out of the dev issuer.</p>").into_response(),
    }
}
