//! The embassy runtime end to end on the host link: TLS 1.3 servers (tokio-rustls) on the
//! host's 127.0.0.1 with certificate chains made here (P-256 and RSA-2048), reached from an
//! embassy-net stack through `auth0_edge::embassy::host`, with `EmbassyTransport`.
//!
//! Validity is checked against the runtime clock: the certificates are valid from 2025 to
//! 2035 and the device's clock is set to 2030 (or past or before that range), whatever the
//! host's time is.

use auth0_edge::embassy::{
    AnchorStore, DnsResolver, EmbassyClock, EmbassyTransport, StaticResolver, TransportBuffers,
    TransportOptions, host,
};
use auth0_edge::http::OutgoingRequest;
use auth0_edge::runtime::{CertificateError, Clock, Transport, TransportError};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm as KeyAlg, SignatureScheme};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 2030-01-01, inside the certificates' validity.
const IN_RANGE: i64 = 1_893_456_000;
/// 2036-01-01, after it.
const AFTER: i64 = 2_082_758_400;
/// 2024-01-01, before it.
const BEFORE: i64 = 1_704_067_200;

/// RSA-2048 test keys (made for these tests only: RSA key generation is slow in debug builds).
const RSA_CA_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCS7rjqcft69VKi\nLEPjucSdaZoqAlKXmKwUU05ujYPGkkXMQEDC0i6cOCNjQNUNo3lS/6XNlslDLVyX\nL15vb3fxL1SMEps2OBhsZwsfAmMVd70QbCYSLV0sLHjXrsL1ms/MG0CdthAEQ0Uh\n5T81mavBYZbiAc3Rb2p9kG5UI42FATHp+7U2yYLpLIaRqq1rNm9jMr2Yq7FUZg/9\nC/WMzZBoDsyIahNoAaxAruEJI+1+R4FTZNokVlVM5jQBrwmc7W4ePqLb6JiQg7Zu\nYBBL+GQ3CR0TOWnhNQaTqm/bsq4Pdr5NVlkuZcoBKyQ46fxHoZfmorUb8qT46x/m\nGSqNML45AgMBAAECggEAJFKBQeuleFL294Ir0jrVIPi/FI14b2NdfrTNWcUAA3Gb\ncY+cssyUmyfBj8KyKGn2Dw+FpFoXLNUk43bhSHjs1KGXq/zZg8DAQOQEOskzR1ZP\nVaT2kF3If6gKw36/UUnQ/qrqAVLFiNg8WdG7G3v+mpKOYxaBE7oQQDQZIhGb5Xnz\nLjzr0+DGa1s0uz0o4OgLPVBQ/+PnTKqz020xqL5V7TNZM2cMRA7XlhD47tciQPe5\n0mtK/s96dCKsXedTgdqNQ+tUIVvPqlIOXwuSTRWWaXMuzeplK7X7KGeWvcT3uGU6\niMnctIDbUIbYdzPYGm12xnfVA8lF5d9JBNG8tndS0QKBgQDJ602CFfVoB6l+62n8\nWCaNHAhW7FxQQm5H84CG25Aqa8W4npFOlT5i6t0xlGiH/WgfSo0mD5pjRrDeEc8N\niotEBZnpAwWQ07CUwN15AEVlBNG3GooI9hz1PNU9c74K7L3wJY1aEdUxaFQ+tmzg\nNUkhx38/BBn+bLh220PLv7DCLQKBgQC6STr1WPo+v4tnPc56BWER1bfJsqHYHBCl\nKU4rLG2pTqN0u6/I9iwaeC2yjlhd9uj6T63KlKfTcEwtPTJNz2JaKC7IZ8POXDwO\n74OMpqN40dVsz9nR7c85lFod49wW/IfOVDZyF+DzFgxGKqzHJm+jlWcx1jPMb/Ut\nrav2RcvPvQKBgQCvMptt49+rA/rtRRYQ/et1RH137l2qxfkqNP2wBZJxPFGyfuNV\na+lVqrOB8WNBm35cqDMQczliKlQMWydseGmd+74vj4+kugjdCPshojqUDDpqxXw/\nikxV/RKI34RltkSXuf2LyS1SUVPHlkGhyJpL1O1zn/tt5qeneVi50PltgQKBgF8B\nmiAnEPmPlvlAfF2fALKn3OPxRrmBFrwlJMjAD+2ZPaP7VNuZMUUOpb+6+TZzBr8i\ng/AdgLpFO5SW8WDds7tnYvSydxp3z+mOHflNw3GLEt4740s9jcI/9vXnkAfpIxoH\nuPzXUNKpG/ltKlEnOSikucyhAinxr4lsWZdwYVHBAoGAUacfXEv/6SoodI+urgq+\nntgxPrKGH9CcBr+gMhzuRMEQhKUcDeSEEIsw7IGfluFS/xtSN8pUV8cEiR6X6r6j\n5+i0sdC8gaOYccgxqM0Ju3dd3nnSkwwyodVDyslJjrQrkEYylcZb8WA+r3RIuAqt\nUCTjo4X6Jj5ElF4zVNJxy0w=\n-----END PRIVATE KEY-----";
const RSA_LEAF_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC/T2zq1pQQGg26\nfPm7doWPc5R/N9bH1N9CmHpEYgvZ1/5TKh+hc1DbEU9N78Y9peKRKhoVgs7q1dc7\nZi8ivZ4cdjNU7CciVva0MwAIy91jT6jOWIAMaHXuiN/o7RY/NICZnH/M7Dr1Wnlv\nDy4/GTZAtBbs65DiElgPubCTQGGY6JTD0HSgFvM4/g9Wd6BPv0yAy69LJH4KZVmR\nOx+Mqruq+sS/pNn7xhC8cB/pzcYZnT66gP4w3SeQWEuRxG4I7vhVhGuS26crVXWK\nGykIenDkXBNhG/a2kiouyLAG6dBaZUfn8FobqIadcyrhzDb9Bf2kS0pNlCNaBPkl\nQ+IH4Lj5AgMBAAECggEANSv3IsIm/t6u6CEqK99COd+u6zjy2jGhJ9pHSVBS6OYu\niqDPj8kENQ73krrMx3+enCgufcIQjpaGrry05xv6oQB9PeIw8ktnYCg4nzlCPAL8\n8PUKCejStkyWpx+WKlUGVSt5HdSegmj2DVcTzHfOa2diY9EJQLxGe4BpwlOHjL7E\n7Y2+LPzASiFSeu82u9efQdMKnb5XD+khw2NZ7nvGb9XlSnBpVZ0guZYwVMWYSgZI\n3wUWIjuh4q9QxAH8PJb4TDqoweN4tb6+brG5RDR+V8S2JYZ4TKeEEW4t2a5m4pXu\nltgYyPPDrlPMThBSXB+Q3BfZkVme4/nkCQTOHtaO/QKBgQDdv0AEEd67GyOLlMNR\nE4W56sqtBOAVeaYiWZNM7ltgHTyvmt1udmtaXivX2TzmKsS/2Z79OQPkSzXQURsz\nQcNkQkYoe+YMAFGtc55YgUJIYEks1Zt6dyuN6p1henOJ/qLV2NkxKPvV+VvHrp6i\nHxH7O1zP3+QFTHWUEbdjF90D4wKBgQDc3JWPK3JYF4jZrm0Smp96s4q/17PHIjTs\n6zZbgpW6mDyHHqfNB5bqnL1RmBfS4cDF+aIVGoKPUE4ZjmYv2YW15rSgxK6YWqcT\nnBmemBaEvKRO3fbTUAebXhiRhQYSLMAU+umvbu93pjiMAGtClioiCXbk//Ltq2TA\n9wjnK20+cwKBgQCH9RjU5fgAFFWo4R8X+LZHFXQKvTB/OkToTq+HvaT8uzBYIsWd\nUrHjiFWtVB6IqLRVRKK8c1a1hH+MKA5bUPjx4ciOTdjwhsmNZZQyg54WLiLvgFCB\nt8tWigDQoXlxpFRGdVxFTfGKcgcZ2TCeChrGRNFVCtsNfKGilXIxKZJzLQKBgQCU\nm7Pidqhkj8lcNxpbF0FRrXchqIDl76VO+OFFZ7NZr0+i10SvF3k7eaWFPmJhWdd9\nHoAp1QGebrluRruJXMK0Z3yIZG7aQr0C29j9NnaIb+nay01mWAYWS5UabThtiEDi\nnQYaLfnhNy37PdjuH95PsrCWW4XY16dek5og+b5y8wKBgAlKff6JlNMvnnuozh9u\n+cUh8pi/nDMBlJraGItzdDmU3m/qOme0JiUZHpOziPvic06EZrIGOvAvcUrC8Gy0\ntLnDgQUT3mX4WUG9CiRepBxTe01SYfUc8LzG/TUKkc0H5+/rN32Z6mH8dCsR9dP2\naD5bX+IzBFF0O2AuSQMgwb40\n-----END PRIVATE KEY-----";

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str, key: KeyPair, issuer: Option<&Ca>) -> Ca {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2024, 6, 1);
    p.not_after = date_time_ymd(2040, 1, 1);
    let cert = match issuer {
        Some(i) => p.signed_by(&key, &i.cert, &i.key).unwrap(),
        None => p.self_signed(&key).unwrap(),
    };
    Ca { cert, key }
}

struct Leaf {
    sans: Vec<String>,
    eku: ExtendedKeyUsagePurpose,
    not_before: (i32, u8, u8),
    not_after: (i32, u8, u8),
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            sans: vec!["localhost".into(), "127.0.0.1".into()],
            eku: ExtendedKeyUsagePurpose::ServerAuth,
            not_before: (2025, 1, 1),
            not_after: (2035, 1, 1),
        }
    }
}

fn leaf(spec: Leaf, key: &KeyPair, issuer: &Ca) -> CertificateDer<'static> {
    let mut p = CertificateParams::new(spec.sans).unwrap();
    p.distinguished_name.push(DnType::CommonName, "test server");
    p.extended_key_usages = vec![spec.eku];
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    p.not_before = date_time_ymd(spec.not_before.0, spec.not_before.1, spec.not_before.2);
    p.not_after = date_time_ymd(spec.not_after.0, spec.not_after.1, spec.not_after.2);
    p.signed_by(key, &issuer.cert, &issuer.key)
        .unwrap()
        .der()
        .clone()
}

fn rsa_key(pem: &str, alg: &'static SignatureAlgorithm) -> KeyPair {
    KeyPair::from_pkcs8_pem_and_sign_algo(pem, alg).unwrap()
}

/// A server identity: the chain it sends, its key, and the schemes it may sign with.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    schemes: &'static [SignatureScheme],
}

/// P-256 root → P-384 intermediate → P-256 leaf: ecdsa-with-SHA256 and ecdsa-with-SHA384 in
/// the chain, ecdsa_secp256r1_sha256 in the handshake.
fn p256_chain(spec: Leaf) -> (Ca, Identity) {
    let root = ca(
        "P-256 root",
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        None,
    );
    let inter = ca(
        "P-384 intermediate",
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap(),
        Some(&root),
    );
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = leaf(spec, &key, &inter);
    let id = Identity {
        chain: vec![cert, inter.cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        schemes: &[SignatureScheme::ECDSA_NISTP256_SHA256],
    };
    (root, id)
}

/// RSA-2048 root → RSA-2048 leaf signed with `chain_alg` (PKCS#1 v1.5), the handshake signed
/// with `handshake`.
fn rsa_chain(
    chain_alg: &'static SignatureAlgorithm,
    handshake: &'static [SignatureScheme],
) -> (Ca, Identity) {
    let root = ca("RSA root", rsa_key(RSA_CA_KEY, chain_alg), None);
    let key = rsa_key(RSA_LEAF_KEY, &rcgen::PKCS_RSA_SHA256);
    let cert = leaf(Leaf::default(), &key, &root);
    let id = Identity {
        chain: vec![cert],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        schemes: handshake,
    };
    (root, id)
}

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

/// A signing key that offers only `schemes`, so each handshake signature scheme gets a test.
#[derive(Debug)]
struct Only {
    inner: Arc<dyn SigningKey>,
    schemes: &'static [SignatureScheme],
}

impl SigningKey for Only {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let offered: Vec<_> = offered
            .iter()
            .copied()
            .filter(|s| self.schemes.contains(s))
            .collect();
        self.inner.choose_scheme(&offered)
    }

    fn algorithm(&self) -> KeyAlg {
        self.inner.algorithm()
    }
}

#[derive(Debug)]
struct Resolve(Arc<CertifiedKey>);

impl rustls::server::ResolvesServerCert for Resolve {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// What the test server saw of a request.
type Seen = Arc<std::sync::Mutex<Vec<String>>>;

/// Starts a server on the host's 127.0.0.1 (TLS 1.3 with `id`, or plain HTTP); returns its
/// port and the request heads it received.
fn serve(id: Option<Identity>) -> (u16, Seen) {
    let seen: Seen = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let log = seen.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap().port()).unwrap();
            let acceptor = id.map(|id| {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let inner = rustls::crypto::ring::sign::any_supported_type(&id.key).unwrap();
                let key = Arc::new(Only {
                    inner,
                    schemes: id.schemes,
                });
                let config = rustls::ServerConfig::builder_with_provider(provider)
                    .with_protocol_versions(&[&rustls::version::TLS13])
                    .unwrap()
                    .with_no_client_auth()
                    .with_cert_resolver(Arc::new(Resolve(Arc::new(CertifiedKey::new(
                        id.chain, key,
                    )))));
                tokio_rustls::TlsAcceptor::from(Arc::new(config))
            });
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(a) => {
                            if let Ok(tls) = a.accept(tcp).await {
                                answer(tls, log).await;
                            }
                        }
                        None => answer(tcp, log).await,
                    }
                });
            }
        });
    });
    (rx.recv().unwrap(), seen)
}

const JSON: &str = r#"{"access_token":"at","token_type":"Bearer","expires_in":86400}"#;

/// Reads one request and answers by path: `/cl` with Content-Length, `/chunked` in chunks,
/// `/big` with a 40 000-byte body (several TLS records), then closes with close_notify.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S, log: Seen) {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let head_end = req.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&req[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    while req.len() < head_end + length {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let body = String::from_utf8_lossy(&req[head_end..]).into_owned();
    log.lock().unwrap().push(head.clone() + &body);
    let path = head.split(' ').nth(1).unwrap_or("");
    let response = if path.starts_with("/chunked") {
        let mut r = String::from(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Test: chunked\r\n\r\n",
        );
        for part in JSON.as_bytes().chunks(7) {
            r += &format!(
                "{:x}\r\n{}\r\n",
                part.len(),
                std::str::from_utf8(part).unwrap()
            );
        }
        r + "0\r\n\r\n"
    } else if path.starts_with("/big") {
        let body = "x".repeat(40_000);
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nDPoP-Nonce: n-1\r\nCache-Control: no-store\r\n\r\n{JSON}",
            JSON.len()
        )
    };
    let _ = s.write_all(response.as_bytes()).await;
    let _ = s.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The device side
// ---------------------------------------------------------------------------------------------

/// What a request returned: status, header lines and body, or the transport's error.
type Got = Result<(u16, String, Vec<u8>), TransportError>;

/// Sends `requests` (method, URL, body) from the device, through the host link, with `anchors`
/// (DER certificates) trusted and the device clock at `now`; prints the time each took.
fn device(
    port: u16,
    buf_len: usize,
    anchors: Vec<Vec<u8>>,
    now: i64,
    options: TransportOptions,
    requests: &[(&'static str, String, &'static [u8])],
) -> Vec<Got> {
    let requests = requests.to_vec();
    host::run(&[port], move |stack| async move {
        let ders: Vec<&[u8]> = anchors.iter().map(Vec::as_slice).collect();
        let store = AnchorStore::<4>::from_der(&ders).unwrap();
        let clock = EmbassyClock::new();
        clock.set_unix_time(now);
        assert!((clock.now() - now).abs() <= 1);
        let mut buffers: Box<TransportBuffers> = Box::default();
        let transport = EmbassyTransport::new(
            stack,
            DnsResolver::new(stack),
            &clock,
            store.anchors(),
            rand_core::OsRng,
            &mut *buffers,
            options,
        );
        let mut out = Vec::new();
        for (method, url, body) in &requests {
            let mut buf = vec![0u8; buf_len];
            let headers = [
                ("Accept", "application/json"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ];
            let req = OutgoingRequest {
                method,
                url,
                headers: &headers,
                body,
            };
            let start = Instant::now();
            let got = transport.send(&req, &mut buf).await.map(|head| {
                let r = head.view(&buf).unwrap();
                (r.status, r.headers.to_owned(), r.body.to_vec())
            });
            eprintln!(
                "{method} {url}: {:?} in {:?}",
                got.as_ref().map(|g| g.0),
                start.elapsed()
            );
            out.push(got);
        }
        out
    })
    .unwrap()
}

fn get(url: String) -> (&'static str, String, &'static [u8]) {
    ("GET", url, b"")
}

fn one(port: u16, anchor: &Ca, now: i64, url: String) -> Got {
    device(
        port,
        65_536,
        vec![anchor.cert.der().to_vec()],
        now,
        TransportOptions::default(),
        &[get(url)],
    )
    .remove(0)
}

fn assert_json_ok(got: &Got) {
    let (status, headers, body) = got.as_ref().unwrap();
    assert_eq!(*status, 200);
    assert_eq!(body, JSON.as_bytes());
    assert!(
        headers.contains("Content-Type: application/json\r\n"),
        "{headers}"
    );
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn p256_chain_by_name_and_by_address_with_both_framings() {
    let (root, id) = p256_chain(Leaf::default());
    let (port, seen) = serve(Some(id));
    let got = device(
        port,
        65_536,
        vec![root.cert.der().to_vec()],
        IN_RANGE,
        TransportOptions::default(),
        &[
            get(format!("https://localhost:{port}/cl")),
            get(format!("https://127.0.0.1:{port}/chunked?x=1")),
            (
                "POST",
                format!("https://localhost:{port}/oauth/token"),
                b"grant_type=refresh_token",
            ),
            get(format!("https://127.0.0.1:{port}/big")),
        ],
    );
    for g in &got[..3] {
        assert_json_ok(g);
    }
    let headers = &got[0].as_ref().unwrap().1;
    assert_eq!(
        headers,
        &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\nDPoP-Nonce: n-1\r\nCache-Control: no-store\r\n",
            JSON.len()
        )
    );
    let headers = &got[1].as_ref().unwrap().1;
    assert_eq!(
        headers,
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nX-Test: chunked\r\n"
    );
    let (_, _, big) = got[3].as_ref().unwrap();
    assert_eq!(big.len(), 40_000);
    assert!(big.iter().all(|&b| b == b'x'));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(
        seen[0].starts_with(&format!(
            "GET /cl HTTP/1.1\r\nHost: localhost:{port}\r\nUser-Agent: auth0-edge/"
        )),
        "{}",
        seen[0]
    );
    assert!(
        seen[1].starts_with(&format!(
            "GET /chunked?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        )),
        "{}",
        seen[1]
    );
    assert!(seen[2].contains("Accept: application/json\r\n"));
    assert!(seen[2].contains("Connection: close\r\n"));
    assert!(
        seen[2]
            .ends_with("Content-Length: 24\r\nConnection: close\r\n\r\ngrant_type=refresh_token"),
        "{}",
        seen[2]
    );
}

#[test]
fn rsa_chain_pkcs1_sha384_and_pss_sha256() {
    let (root, id) = rsa_chain(&rcgen::PKCS_RSA_SHA384, &[SignatureScheme::RSA_PSS_SHA256]);
    let (port, _) = serve(Some(id));
    let got = device(
        port,
        65_536,
        vec![root.cert.der().to_vec()],
        IN_RANGE,
        TransportOptions::default(),
        &[
            get(format!("https://localhost:{port}/cl")),
            get(format!("https://127.0.0.1:{port}/chunked")),
        ],
    );
    assert_json_ok(&got[0]);
    assert_json_ok(&got[1]);
}

#[test]
fn rsa_chain_pkcs1_sha512_and_pss_sha512() {
    let (root, id) = rsa_chain(
        &rcgen::PKCS_RSA_SHA512,
        &[
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PSS_SHA384,
        ],
    );
    let (port, _) = serve(Some(id));
    assert_json_ok(&one(
        port,
        &root,
        IN_RANGE,
        format!("https://localhost:{port}/cl"),
    ));
}

#[test]
fn rsa_chain_pkcs1_sha256_and_pss_sha384() {
    let (root, id) = rsa_chain(&rcgen::PKCS_RSA_SHA256, &[SignatureScheme::RSA_PSS_SHA384]);
    let (port, _) = serve(Some(id));
    assert_json_ok(&one(
        port,
        &root,
        IN_RANGE,
        format!("https://127.0.0.1:{port}/cl"),
    ));
}

#[test]
fn an_unknown_ca_is_refused() {
    let (_, id) = p256_chain(Leaf::default());
    let other = ca(
        "Another root",
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        None,
    );
    let (port, seen) = serve(Some(id));
    let got = one(
        port,
        &other,
        IN_RANGE,
        format!("https://localhost:{port}/cl"),
    );
    assert_eq!(
        got.unwrap_err(),
        TransportError::Certificate(CertificateError::UnknownIssuer)
    );
    // The RSA chain too; and no request was sent.
    let (_, id) = rsa_chain(&rcgen::PKCS_RSA_SHA256, &[SignatureScheme::RSA_PSS_SHA256]);
    let (rsa_port, rsa_seen) = serve(Some(id));
    let got = one(
        rsa_port,
        &other,
        IN_RANGE,
        format!("https://127.0.0.1:{rsa_port}/cl"),
    );
    assert_eq!(
        got.unwrap_err(),
        TransportError::Certificate(CertificateError::UnknownIssuer)
    );
    assert!(seen.lock().unwrap().is_empty() && rsa_seen.lock().unwrap().is_empty());
}

#[test]
fn a_ca_of_the_same_name_with_another_key_does_not_verify() {
    // The anchor's name matches the intermediate's issuer, its key did not sign it.
    let (_, id) = p256_chain(Leaf::default());
    let (impostor, _) = p256_chain(Leaf::default());
    let (port, _) = serve(Some(id));
    let got = one(
        port,
        &impostor,
        IN_RANGE,
        format!("https://localhost:{port}/cl"),
    );
    assert_eq!(
        got.unwrap_err(),
        TransportError::Certificate(CertificateError::BadSignature)
    );
}

#[test]
fn of_two_anchors_with_the_issuers_name_the_one_whose_key_signed_is_found() {
    // The anchor tried first has the right name and the wrong key: its signature fails and
    // the path through the second, which signed, is found (the signatures are checked after
    // the search, and a failed link makes the search go on without it).
    let (root, id) = p256_chain(Leaf::default());
    let (impostor, _) = p256_chain(Leaf::default());
    let (port, _) = serve(Some(id));
    for anchors in [
        vec![impostor.cert.der().to_vec(), root.cert.der().to_vec()],
        vec![root.cert.der().to_vec(), impostor.cert.der().to_vec()],
    ] {
        let got = device(
            port,
            65_536,
            anchors,
            IN_RANGE,
            TransportOptions::default(),
            &[get(format!("https://localhost:{port}/two"))],
        )
        .remove(0);
        assert_json_ok(&got);
    }
}

#[test]
fn a_certificate_for_another_host_is_refused() {
    let spec = Leaf {
        sans: vec!["auth.example.com".into(), "10.9.8.7".into()],
        ..Leaf::default()
    };
    let (root, id) = p256_chain(spec);
    let (port, seen) = serve(Some(id));
    for url in [
        format!("https://localhost:{port}/cl"),
        format!("https://127.0.0.1:{port}/cl"),
    ] {
        let got = one(port, &root, IN_RANGE, url);
        assert_eq!(
            got.unwrap_err(),
            TransportError::Certificate(CertificateError::NotValidForName)
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn validity_is_checked_against_the_runtime_clock() {
    let (root, id) = p256_chain(Leaf::default());
    let (port, _) = serve(Some(id));
    let url = format!("https://localhost:{port}/cl");
    assert_json_ok(&one(port, &root, IN_RANGE, url.clone()));
    assert_eq!(
        one(port, &root, AFTER, url.clone()).unwrap_err(),
        TransportError::Certificate(CertificateError::Expired)
    );
    assert_eq!(
        one(port, &root, BEFORE, url).unwrap_err(),
        TransportError::Certificate(CertificateError::NotYetValid)
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    // Expired in 2029, the device clock at 2030; valid by the host's clock maybe, not by the
    // device's.
    let spec = Leaf {
        not_before: (2025, 1, 1),
        not_after: (2029, 1, 1),
        ..Leaf::default()
    };
    let (root, id) = p256_chain(spec);
    let (port, _) = serve(Some(id));
    assert_eq!(
        one(
            port,
            &root,
            IN_RANGE,
            format!("https://127.0.0.1:{port}/cl")
        )
        .unwrap_err(),
        TransportError::Certificate(CertificateError::Expired)
    );
}

#[test]
fn a_client_certificate_is_not_a_server_certificate() {
    let spec = Leaf {
        eku: ExtendedKeyUsagePurpose::ClientAuth,
        ..Leaf::default()
    };
    let (root, id) = p256_chain(spec);
    let (port, _) = serve(Some(id));
    assert_eq!(
        one(
            port,
            &root,
            IN_RANGE,
            format!("https://localhost:{port}/cl")
        )
        .unwrap_err(),
        TransportError::Certificate(CertificateError::InvalidPurpose)
    );
}

#[test]
fn plain_http_only_when_allowed_and_only_to_loopback() {
    let (port, seen) = serve(None);
    let (root, _) = p256_chain(Leaf::default());
    let anchors = vec![root.cert.der().to_vec()];
    let url = format!("http://127.0.0.1:{port}/chunked");
    let got = device(
        port,
        65_536,
        anchors.clone(),
        IN_RANGE,
        TransportOptions::default(),
        &[get(url.clone())],
    );
    assert_eq!(got[0].clone().unwrap_err(), TransportError::Connect);
    assert!(seen.lock().unwrap().is_empty());
    let options = TransportOptions {
        allow_plain_http_to_loopback: true,
        ..TransportOptions::default()
    };
    let got = device(
        port,
        65_536,
        anchors.clone(),
        IN_RANGE,
        options,
        &[
            get(url),
            get(format!("http://localhost:{port}/cl")),
            get(format!("http://example.com:{port}/cl")),
        ],
    );
    assert_json_ok(&got[0]);
    assert_json_ok(&got[1]);
    assert_eq!(got[2].clone().unwrap_err(), TransportError::Connect);
}

#[test]
fn names_resolve_through_the_link_dns_or_a_static_table() {
    let got = host::run(&[], |stack| async move {
        use auth0_edge::embassy::Resolver;
        let dns = DnsResolver::new(stack);
        let table = [(
            "auth.test",
            embassy_net::IpAddress::Ipv4([127, 0, 0, 1].into()),
        )];
        let fixed = StaticResolver::new(&table);
        (
            dns.resolve("localhost").await,
            dns.resolve("nowhere.example").await,
            fixed.resolve("AUTH.test").await,
            fixed.resolve("other.test").await,
        )
    })
    .unwrap();
    let lo = embassy_net::IpAddress::Ipv4([127, 0, 0, 1].into());
    assert_eq!(
        got,
        (
            Ok(lo),
            Err(TransportError::Connect),
            Ok(lo),
            Err(TransportError::Connect)
        )
    );
}

#[test]
fn a_silent_server_times_out() {
    // Accepts TCP and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let _held: Vec<_> = listener.incoming().take(1).collect();
        std::thread::sleep(std::time::Duration::from_secs(5));
    });
    let (root, _) = p256_chain(Leaf::default());
    let options = TransportOptions {
        timeout: embassy_time::Duration::from_millis(300),
        ..TransportOptions::default()
    };
    let start = Instant::now();
    let got = device(
        port,
        65_536,
        vec![root.cert.der().to_vec()],
        IN_RANGE,
        options,
        &[get(format!("https://localhost:{port}/cl"))],
    );
    assert_eq!(got[0].clone().unwrap_err(), TransportError::Timeout);
    assert!(start.elapsed() < std::time::Duration::from_secs(3));
}

#[test]
fn sizes() {
    type T<'a> = EmbassyTransport<'a, DnsResolver<'a>, &'a EmbassyClock, rand_core::OsRng>;
    let transport = std::mem::size_of::<T<'static>>();
    let buffers = std::mem::size_of::<TransportBuffers>();
    eprintln!("EmbassyTransport: {transport} bytes; TransportBuffers: {buffers} bytes");
    assert_eq!(buffers, 16_640 + 4096 + 4096 + 2048);
    assert!(transport <= 256, "{transport}");
}

#[test]
fn a_response_larger_than_the_buffer_is_refused() {
    let (root, id) = p256_chain(Leaf::default());
    let (port, _) = serve(Some(id));
    let got = device(
        port,
        16_384,
        vec![root.cert.der().to_vec()],
        IN_RANGE,
        TransportOptions::default(),
        &[
            get(format!("https://localhost:{port}/big")),
            // The link and the transport are fine afterwards.
            get(format!("https://localhost:{port}/chunked")),
        ],
    );
    assert_eq!(
        got[0].clone().unwrap_err(),
        TransportError::ResponseTooLarge
    );
    assert_json_ok(&got[1]);
}

#[test]
fn certificates_larger_than_the_response_buffer_are_refused_before_anything_is_sent() {
    // The response buffer holds the server's certificates until the handshake is done: with
    // too little room for the leaf the handshake ends there; with room, the same request works.
    let (root, id) = p256_chain(Leaf::default());
    let leaf = id.chain[0].len();
    let (port, seen) = serve(Some(id));
    let root = vec![root.cert.der().to_vec()];
    let url = format!("https://localhost:{port}/cl");
    let got = device(
        port,
        leaf - 1,
        root.clone(),
        IN_RANGE,
        TransportOptions::default(),
        &[get(url.clone())],
    );
    assert_eq!(
        got[0].clone().unwrap_err(),
        TransportError::Certificate(CertificateError::ChainTooLarge)
    );
    assert!(seen.lock().unwrap().is_empty());
    let got = device(
        port,
        4096,
        root,
        IN_RANGE,
        TransportOptions::default(),
        &[get(url)],
    );
    assert_json_ok(&got[0]);
}
