//! DPoP end to end against oidc-provider with nonces required at the token endpoint and at
//! userinfo (`DPOP=1`): the app configured from the environment's key pair, the code exchange
//! through the nonce challenge, a token bound to the key (`cnf.jkt`, by introspection), the
//! userinfo endpoint through the fetcher and its own nonce challenge, a refresh after expiry
//! that stays bound, and the same token refused as Bearer.

use crate::harness::*;
use auth0_edge::jose::jwk::EcKeyPair;
use auth0_edge::oauth::dpop::{Dpop, Request as ProofRequest};
use auth0_edge::tokio::{BoxError, FetchWithAuth, FetcherOptions, HttpFn, userinfo_endpoint};
use std::sync::{Arc, Mutex};

/// What the fetcher's HTTP function saw: the proof's nonce, the answer's status and
/// `WWW-Authenticate`.
#[derive(Clone, Debug)]
struct Exchange {
    authorization_scheme: String,
    proof_nonce: Option<String>,
    status: u16,
    www_authenticate: Option<String>,
}

type Exchanges = Arc<Mutex<Vec<Exchange>>>;

fn json_of(b64: &str) -> serde_json::Value {
    let mut buf = vec![0u8; b64.len()];
    let bytes = auth0_edge::codec::base64url::decode(b64, &mut buf).unwrap();
    serde_json::from_slice(bytes).unwrap()
}

/// An HTTP function over hyper that records every exchange.
fn recording_http(log: Exchanges) -> HttpFn {
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    HttpFn::new(move |req: http::Request<Bytes>| {
        let client = client.clone();
        let log = log.clone();
        async move {
            let (parts, body) = req.into_parts();
            let proof_nonce = parts
                .headers
                .get("dpop")
                .and_then(|p| p.to_str().ok())
                .and_then(|p| p.split('.').nth(1).map(json_of))
                .and_then(|claims| claims["nonce"].as_str().map(String::from));
            let authorization_scheme = parts
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(' ').next())
                .unwrap_or("")
                .to_string();
            let res = client
                .request(http::Request::from_parts(parts, Full::new(body)))
                .await?;
            let (parts, body) = res.into_parts();
            let bytes = body.collect().await?.to_bytes();
            log.lock().unwrap().push(Exchange {
                authorization_scheme,
                proof_nonce,
                status: parts.status.as_u16(),
                www_authenticate: parts
                    .headers
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
            });
            Ok::<_, BoxError>(http::Response::from_parts(parts, bytes))
        }
    })
}

/// The quickstart's `GET /api/userinfo` (through a fetcher with a recording HTTP function) and
/// `GET /api/dpop-token` (the token and its type).
fn dpop_routes(log: Exchanges) -> axum::Router {
    use axum::response::IntoResponse;
    let http = recording_http(log);
    axum::Router::new()
        .route(
            "/api/userinfo",
            get(move |session: RequestSession| {
                let http = http.clone();
                async move {
                    let Ok(Some(url)) = userinfo_endpoint(session.client()).await else {
                        return (http::StatusCode::BAD_GATEWAY, "no userinfo endpoint").into_response();
                    };
                    let fetcher = session.create_fetcher(FetcherOptions {
                        fetch: Some(http),
                        ..Default::default()
                    });
                    let req = http::Request::get(url).body(Bytes::new()).unwrap();
                    match fetcher.fetch_with_auth(req).await {
                        Ok(res) => {
                            let status = res.status();
                            (status, res.into_body()).into_response()
                        }
                        Err(e) => (
                            http::StatusCode::from_u16(e.status()).unwrap(),
                            axum::Json(serde_json::json!({"error": e.code(), "description": e.to_string()})),
                        )
                            .into_response(),
                    }
                }
            }),
        )
        .route(
            "/api/me-relative",
            get(|session: RequestSession| async move {
                // The default HTTP client, and a relative URL joined to the base URL as the
                // SDK joins them (`{issuer}/` + `//me`).
                let Ok(Some(url)) = userinfo_endpoint(session.client()).await else {
                    return (http::StatusCode::BAD_GATEWAY, "no userinfo endpoint").into_response();
                };
                let base = format!("{}/", url.trim_end_matches("/me"));
                let fetcher = session.create_fetcher(FetcherOptions {
                    base_url: Some(base),
                    ..Default::default()
                });
                let req = http::Request::get("//me").body(Bytes::new()).unwrap();
                match fetcher.fetch_with_auth(req).await {
                    Ok(res) => (res.status(), res.into_body()).into_response(),
                    Err(e) => (http::StatusCode::from_u16(e.status()).unwrap(), e.to_string())
                        .into_response(),
                }
            }),
        )
        .route(
            "/api/dpop-token",
            get(|session: RequestSession| async move {
                match session.get_access_token(&AccessTokenOptions::default()).await {
                    Ok(t) => axum::Json(serde_json::json!({
                        "token": t.token, "token_type": t.token_type, "expires_at": t.expires_at,
                    }))
                    .into_response(),
                    Err(e) => (
                        http::StatusCode::UNAUTHORIZED,
                        axum::Json(serde_json::json!({"error": e.code()})),
                    )
                        .into_response(),
                }
            }),
        )
}

/// The app's configuration from the environment, DPoP keys included.
fn env_client(port: u16, provider: &Provider, private: &str, public: &str) -> Auth0Client {
    let base = format!("http://127.0.0.1:{port}");
    let env: BTreeMap<&str, String> = BTreeMap::from([
        ("AUTH0_DOMAIN", provider.url.clone()),
        ("AUTH0_CLIENT_ID", CLIENT_ID.into()),
        ("AUTH0_CLIENT_SECRET", CLIENT_SECRET.into()),
        ("AUTH0_SECRET", SECRET.into()),
        ("APP_BASE_URL", base),
        // A PEM on one line, as a .env file often holds it.
        ("AUTH0_DPOP_PRIVATE_KEY", private.replace('\n', "\\n")),
        ("AUTH0_DPOP_PUBLIC_KEY", public.into()),
    ]);
    let config = OwnedConfig::from_lookup(|k| env.get(k).cloned()).unwrap();
    assert!(
        config.as_config().dpop.is_some(),
        "the key pair turns DPoP on"
    );
    Auth0Client::builder(config).build().unwrap()
}

/// The RFC 7638 thumbprint of the key, computed here from the JWK a proof carries.
fn thumbprint_of(pair: &EcKeyPair) -> String {
    use sha2::Digest;
    let mut out = [0u8; 1024];
    let proof = Dpop::new(pair.clone())
        .proof(
            &ProofRequest {
                htm: "GET",
                htu: "https://x.example/",
                ..Default::default()
            },
            0,
            &mut rand_core::OsRng,
            &mut out,
        )
        .unwrap()
        .to_string();
    let jwk = &json_of(proof.split('.').next().unwrap())["jwk"];
    let canonical = format!(
        r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["crv"].as_str().unwrap(),
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    let mut b64 = [0u8; 64];
    auth0_edge::codec::base64url::encode(&sha2::Sha256::digest(canonical), &mut b64)
        .unwrap()
        .to_string()
}

/// The provider's introspection of `token`.
async fn introspect(provider: &Provider, token: &str) -> serde_json::Value {
    let mut b = Browser::new();
    let form = format!("token={token}&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
    let r = b
        .post(&format!("{}/token/introspection", provider.url), &form)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

async fn dpop_token(b: &mut Browser, app: &App) -> serde_json::Value {
    let r = b.get(&format!("{}/api/dpop-token", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_tokens_against_oidc_provider() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider_with(
        "RS256",
        &base,
        &[
            ("DPOP", "1"),
            ("ACCESS_TOKEN_TTL", "6"),
            ("CLOCK_TOLERANCE", "0"),
        ],
    );
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    let (private, public) = (pair.private_pem(), pair.public_pem());
    let log: Exchanges = Arc::default();
    let app = serve(
        port,
        env_client(port, &provider, &private, &public),
        dpop_routes(log.clone()),
    )
    .await;
    let mut b = Browser::new();

    // Login: the authorize URL carries dpop_jkt; the code exchange meets the nonce challenge.
    let r = b.get(&format!("{}/auth/login", app.base)).await;
    let jkt = thumbprint_of(&pair);
    assert!(
        r.location().contains(&format!("dpop_jkt={jkt}")),
        "{}",
        r.location()
    );
    let callback = provider_login(&mut b, &r.location(), "alice", &app.base).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "callback: {}", r.body);
    let stats = provider.stats().await;
    assert_eq!(
        (
            stats["token_requests"].as_u64(),
            stats["code_grants"].as_u64()
        ),
        (Some(2), Some(1)),
        "the code exchange, refused for its nonce, then retried with it: {stats}"
    );

    // The session's token is DPoP-bound from the login on, to the configured key.
    let t = dpop_token(&mut b, &app).await;
    assert_eq!(t["token_type"], "dpop", "{t}");
    let token = t["token"].as_str().unwrap().to_string();
    let info = introspect(&provider, &token).await;
    assert_eq!(
        (info["active"].as_bool(), info["token_type"].as_str()),
        (Some(true), Some("DPoP")),
        "{info}"
    );
    assert_eq!(
        info["cnf"]["jkt"],
        jkt.as_str(),
        "cnf.jkt is the RFC 7638 thumbprint of the key"
    );

    // /api/userinfo: the token and a proof with ath (and the nonce learnt at the token endpoint,
    // the same server's).
    let r = b.get(&format!("{}/api/userinfo", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (user["sub"].as_str(), user["email"].as_str()),
        (Some("alice"), Some("alice@example.com"))
    );
    {
        let log = log.lock().unwrap();
        assert_eq!(
            log.len(),
            1,
            "the nonce kept for the provider's origin: {log:?}"
        );
        assert_eq!(log[0].authorization_scheme, "DPoP");
        assert!(log[0].proof_nonce.is_some());
    }

    // The default HTTP client, with a URL joined to the fetcher's base URL.
    let r = b.get(&format!("{}/api/me-relative", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(r#""sub":"alice""#), "{}", r.body);

    // Another instance (its own nonce cache) meets the resource server's challenge: a 401
    // `WWW-Authenticate: DPoP error="use_dpop_nonce"`, then the retry with its nonce.
    let port2 = free_port();
    let log2: Exchanges = Arc::default();
    let app2 = serve(
        port2,
        env_client(port2, &provider, &private, &public),
        dpop_routes(log2.clone()),
    )
    .await;
    let r = b.get(&format!("{}/api/userinfo", app2.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    {
        let log2 = log2.lock().unwrap();
        assert_eq!(log2.len(), 2, "{log2:?}");
        assert_eq!(
            (log2[0].status, log2[0].proof_nonce.as_deref()),
            (401, None)
        );
        let challenge = log2[0].www_authenticate.as_deref().unwrap_or("");
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains(r#"error="use_dpop_nonce""#),
            "{challenge}"
        );
        assert_eq!(log2[1].status, 200);
        assert!(log2[1].proof_nonce.is_some());
    }

    // The same token as Bearer is refused: the binding is real.
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let res = client
        .request(
            http::Request::get(format!("{}/me", provider.url))
                .header("authorization", format!("Bearer {token}"))
                .body(Full::new(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a DPoP-bound token without its proof");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("invalid_token"));

    // After expiry the token is refreshed with a proof: still bound to the same key.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let refreshed = dpop_token(&mut b, &app).await;
    assert_ne!(refreshed["token"], t["token"], "refreshed");
    assert_eq!(refreshed["token_type"], "dpop");
    assert_eq!(provider.refreshes().await, 1);
    let info = introspect(&provider, refreshed["token"].as_str().unwrap()).await;
    assert_eq!(info["cnf"]["jkt"], jkt.as_str(), "{info}");
    let r = b.get(&format!("{}/api/userinfo", app.base)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        log.lock().unwrap().last().unwrap().authorization_scheme,
        "DPoP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_userinfo_is_401_json() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider_with("RS256", &base, &[("DPOP", "1")]);
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    let app = serve(
        port,
        env_client(port, &provider, &pair.private_pem(), &pair.public_pem()),
        dpop_routes(Arc::default()),
    )
    .await;
    let mut b = Browser::new();
    let r = b.get(&format!("{}/api/userinfo", app.base)).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["error"], "missing_session");
}

/// The quickstart with the DPoP key pair in its environment: `GET /api/userinfo` answers the
/// provider's userinfo JSON through the fetcher, the token bound to the key; 401 JSON without
/// a session. (The binary is built by `cargo test`, or by `cargo build --all-features --example
/// quickstart`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_calls_userinfo_with_dpop() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = start_provider_with("ES256", &base, &[("DPOP", "1")]);
    let pair = EcKeyPair::generate(&mut rand_core::OsRng);
    let mut child = Command::new(quickstart_binary())
        .current_dir(std::env::temp_dir())
        .env("AUTH0_DOMAIN", &provider.url)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env("AUTH0_SECRET", SECRET)
        .env("APP_BASE_URL", &base)
        .env("AUTH0_DPOP_PRIVATE_KEY", pair.private_pem())
        .env("AUTH0_DPOP_PUBLIC_KEY", pair.public_pem())
        .env_remove("AUTH0_USE_DPOP")
        .env_remove("REDIS_URL")
        .env_remove("SESSION_STORE")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _child = Kill(child);
    assert!(
        line.starts_with("Open "),
        "the quickstart did not start: {line:?}"
    );

    let mut b = Browser::new();
    let r = b.get(&format!("{base}/api/userinfo")).await;
    assert_eq!(r.status, 401, "{}", r.body);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["error"], "missing_session", "{body}");

    let r = b.get(&format!("{base}/auth/login")).await;
    assert_eq!(r.status, 307, "{}", r.body);
    let jkt = thumbprint_of(&pair);
    assert!(r.location().contains(&format!("dpop_jkt={jkt}")));
    let callback = provider_login(&mut b, &r.location(), "alice", &base).await;
    let r = b.get(&callback).await;
    assert_eq!(r.status, 307, "callback: {}", r.body);
    let r = b.get(&format!("{base}/api/userinfo")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let user: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(user["sub"], "alice", "{user}");
    // The session's token is bound to the key.
    let r = b.get(&format!("{base}/api/token")).await;
    let token: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let info = introspect(&provider, token["token"].as_str().unwrap()).await;
    assert_eq!(info["cnf"]["jkt"], jkt.as_str(), "{info}");
}
