//! The tokio runtime's own parts: the transport against real local servers (TLS with an extra
//! root, untrusted certificates, timeouts, refused connections, oversized responses), the
//! memory store, and the testing helper.

use auth0_edge::http::OutgoingRequest;
use auth0_edge::runtime::{LogoutTarget, RecordInfo};
use auth0_edge::runtime::{Transport, TransportError};
use auth0_edge::tokio::{
    HyperTransport, MemoryStore, Record, Store, TransportOptions, Updated, generate_session_cookie,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-shot HTTPS server on 127.0.0.1 with a fresh self-signed certificate; returns its port
/// and the certificate's PEM.
async fn tls_server(body: &'static str) -> (u16, String) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let pem = cert.cert.pem();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![der], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let res = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(res.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (port, pem)
}

fn get(url: &str) -> OutgoingRequest<'_> {
    OutgoingRequest {
        method: "GET",
        url,
        headers: &[("Accept", "application/json")],
        body: &[],
    }
}

#[tokio::test]
async fn tls_with_an_extra_root_and_refusal_without() {
    let (port, pem) = tls_server(r#"{"ok":true}"#).await;
    let url = format!("https://127.0.0.1:{port}/.well-known/openid-configuration");
    let trusted = HyperTransport::with_options(TransportOptions {
        extra_roots_pem: Some(pem),
        ..Default::default()
    })
    .unwrap();
    let mut buf = vec![0u8; 8192];
    let head = trusted.send(&get(&url), &mut buf).await.unwrap();
    let res = head.view(&buf).unwrap();
    assert_eq!((res.status, res.body), (200, &br#"{"ok":true}"#[..]));
    assert_eq!(res.header("content-type"), Some("application/json"));
    // The default transport does not trust a self-signed certificate.
    let default = HyperTransport::new().unwrap();
    assert_eq!(
        default.send(&get(&url), &mut buf).await.unwrap_err(),
        TransportError::Tls
    );
    // A bad extra root is a configuration error.
    assert!(
        HyperTransport::with_options(TransportOptions {
            extra_roots_pem: Some(
                "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n".into()
            ),
            ..Default::default()
        })
        .is_err()
    );
}

#[tokio::test]
async fn timeouts_refusals_and_oversized_responses() {
    // Accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let t = HyperTransport::with_options(TransportOptions {
        timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let url = format!("http://127.0.0.1:{silent_port}/");
    assert_eq!(
        t.send(&get(&url), &mut buf).await.unwrap_err(),
        TransportError::Timeout
    );
    // Nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{closed}/");
    assert_eq!(
        t.send(&get(&url), &mut buf).await.unwrap_err(),
        TransportError::Connect
    );
    // A body larger than the buffer (or than 1 MiB) is refused, not truncated.
    let big = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let big_port = big.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = big.accept().await {
            let mut b = [0u8; 1024];
            let _ = s.read(&mut b).await;
            let body = "x".repeat(10_000);
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    let url = format!("http://127.0.0.1:{big_port}/");
    assert_eq!(
        t.send(&get(&url), &mut buf).await.unwrap_err(),
        TransportError::ResponseTooLarge
    );
    let mut large = vec![0u8; 16_384];
    assert_eq!(
        t.send(&get(&url), &mut large).await.unwrap().body_len,
        10_000
    );
}

#[tokio::test]
async fn memory_store_expiry_update_and_back_channel_deletes() {
    let store = MemoryStore::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let info = |sid, sub| RecordInfo {
        expires_at: now + 60,
        sid: Some(sid),
        sub: Some(sub),
    };
    store
        .set("a", "{\"x\":1}", &info("s1", "u1"))
        .await
        .unwrap();
    store
        .set("b", "{\"x\":2}", &info("s2", "u1"))
        .await
        .unwrap();
    store
        .set("c", "{\"x\":3}", &info("s3", "u2"))
        .await
        .unwrap();
    let a = store.get("a").await.unwrap().unwrap();
    assert_eq!(a.json, "{\"x\":1}");
    assert_eq!(a.version, Record::version_of("{\"x\":1}"));
    assert_eq!(
        store
            .update("a", "{\"x\":9}", &info("s1", "u1"), Some(a.version))
            .await
            .unwrap(),
        Updated::Written
    );
    assert_eq!(
        store
            .update("a", "{\"x\":8}", &info("s1", "u1"), Some(a.version))
            .await
            .unwrap(),
        Updated::Conflict,
        "a write made from an older read is refused"
    );
    assert_eq!(
        store
            .update("zz", "{}", &info("s", "u"), None)
            .await
            .unwrap(),
        Updated::Missing,
        "update never creates"
    );
    store
        .delete_by_logout_token(&LogoutTarget::of(None, Some("u1"), "iss").unwrap())
        .await
        .unwrap();
    assert_eq!(store.len(), 1);
    store
        .delete_by_logout_token(&LogoutTarget::of(Some("s3"), None, "iss").unwrap())
        .await
        .unwrap();
    assert!(store.is_empty());
    // Expired records are gone.
    store
        .set(
            "old",
            "{}",
            &RecordInfo {
                expires_at: now - 1,
                sid: None,
                sub: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(store.get("old").await.unwrap(), None);
}

#[test]
fn generate_session_cookie_makes_an_sdk_cookie() {
    const SECRET: &str = "a-test-secret-that-is-at-least-32-characters-long!";
    let cookie = generate_session_cookie(r#"{"user":{"sub":"u1","name":"T"},"tokenSet":{"accessToken":"at","expiresAt":4102444800}}"#, SECRET).unwrap();
    assert!(cookie.starts_with("eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0.."));
    let key = auth0_edge::jose::jwe::Key::from_secret(SECRET).unwrap();
    let mut buf = vec![0u8; 4096];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let opened = auth0_edge::session::open(
        &format!("__session={cookie}"),
        "__session",
        &key,
        now,
        &mut buf,
    )
    .unwrap();
    assert_eq!(opened.session.user.get_str("sub").unwrap(), "u1");
    assert_eq!(
        opened.session.internal.sid.unwrap(),
        "auth0-sid",
        "internal is added when missing, as in the SDK"
    );
    assert!((opened.exp.unwrap() - now - 3600).abs() <= 2);
    assert!(generate_session_cookie("{}", SECRET).is_err());
    assert!(generate_session_cookie("{\"user\":{},\"tokenSet\":{}}", "short").is_err());
}
