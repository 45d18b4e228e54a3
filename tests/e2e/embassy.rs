//! The embassy runtime against the real provider over HTTPS: oidc-provider served by Node's
//! `https` with certificates made here (a P-256 CA and leaf, an RSA-2048 CA and leaf; SAN
//! `localhost` and `127.0.0.1`), reached from an embassy-net stack through the host link.
//!
//! - the appliance example (`examples/appliance.rs`): CIBA, a forced refresh, userinfo; its
//!   three lines for both chains, and its one line and exit 1 for an unknown CA, a certificate
//!   for another host name, an expired certificate and a denied CIBA request;
//! - the gateway: under embassy, the core reads a request's session cookie, refreshes its
//!   expired access token through the embassy transport and returns the new `Set-Cookie`.
#![cfg(feature = "embassy-host")]

use crate::harness::*;
use auth0_edge::embassy::{
    AnchorStore, DnsResolver, EmbassyClock, EmbassyTransport, TransportBuffers, TransportOptions,
    host,
};
use auth0_edge::flow::{Auth0, BackchannelOptions};
use auth0_edge::runtime::MemoryCache;
use auth0_edge::session::Session;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};

/// A CA (certificate, PEM) and a server certificate and key it issued (PEM files).
struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    P256,
    Rsa,
}

/// A fresh RSA-2048 key, PKCS#8 PEM (made by Node, which the provider needs anyway).
fn rsa_key() -> KeyPair {
    let out = Command::new("node")
        .args([
            "-e",
            "const {generateKeyPairSync}=require('node:crypto');\
             const {privateKey}=generateKeyPairSync('rsa',{modulusLength:2048});\
             process.stdout.write(privateKey.export({type:'pkcs8',format:'pem'}))",
        ])
        .output()
        .expect("node is required: run tests/run");
    assert!(out.status.success());
    let pem = String::from_utf8(out.stdout).unwrap();
    KeyPair::from_pkcs8_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).unwrap()
}

fn key(kind: Kind) -> KeyPair {
    match kind {
        Kind::P256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap(),
        Kind::Rsa => rsa_key(),
    }
}

/// A CA and a leaf for `names`, valid from `not_before` to `not_after` (years).
fn pki(kind: Kind, names: &[&str], years: (i32, i32)) -> Pki {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ca_key = key(kind);
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    // Each CA has its own name: another CA is unknown, not a same-name CA whose signature
    // fails (tests/embassy_tls.rs covers that one).
    p.distinguished_name
        .push(DnType::CommonName, format!("auth0-edge test CA {n}"));
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = date_time_ymd(2015, 1, 1);
    p.not_after = date_time_ymd(2045, 1, 1);
    let ca = p.self_signed(&ca_key).unwrap();
    let leaf_key = key(kind);
    let mut p =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name.push(DnType::CommonName, names[0]);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = date_time_ymd(years.0, 1, 1);
    p.not_after = date_time_ymd(years.1, 1, 1);
    let leaf = p.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    let dir = std::env::temp_dir().join(format!("auth0-edge-embassy-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    Pki {
        ca: write("ca.pem", ca.pem()),
        cert: write("cert.pem", leaf.pem()),
        key: write("key.pem", leaf_key.serialize_pem()),
        dir,
    }
}

const GOOD: &[&str] = &["localhost", "127.0.0.1"];
const VALID: (i32, i32) = (2025, 2040);

/// The provider over HTTPS with `pki`'s server certificate; CIBA requests decided by
/// `decision` after 300 ms.
fn provider(pki: &Pki, decision: &str) -> Provider {
    start_provider_with(
        "RS256",
        "http://127.0.0.1:1",
        &[
            ("TLS_CERT", pki.cert.to_str().unwrap()),
            ("TLS_KEY", pki.key.to_str().unwrap()),
            ("CIBA_AUTO", decision),
            ("CIBA_AUTO_DELAY_MS", "300"),
        ],
    )
}

/// The appliance example binary (built by `cargo test --all-features`).
fn appliance_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe.parent().unwrap().parent().unwrap();
    let bin = target.join("examples/appliance");
    if !bin.exists() {
        let ok = Command::new(env!("CARGO"))
            .args(["build", "--all-features", "--example", "appliance"])
            .current_dir(repo())
            .status()
            .unwrap()
            .success();
        assert!(ok, "building the appliance failed");
    }
    bin
}

/// Runs the appliance against `provider`, trusting `ca`; returns (exit code, stdout).
fn appliance(provider: &Provider, ca: &std::path::Path, user: &str) -> (Option<i32>, String) {
    let out = Command::new(appliance_binary())
        .env("AUTH0_DOMAIN", &provider.url)
        .env("AUTH0_CLIENT_ID", CLIENT_ID)
        .env("AUTH0_CLIENT_SECRET", CLIENT_SECRET)
        .env("AUTH0_CA_FILE", ca)
        .env("APPLIANCE_LOGIN_HINT", user)
        .env_remove("APPLIANCE_BINDING_MESSAGE")
        .env_remove("AUTH0_SECRET")
        .env_remove("APP_BASE_URL")
        .env_remove("AUTH0_DPOP_PRIVATE_KEY")
        .env_remove("AUTH0_DPOP_PUBLIC_KEY")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_appliance_signs_in_refreshes_and_reads_userinfo_over_both_chains() {
    for kind in [Kind::P256, Kind::Rsa] {
        let pki = pki(kind, GOOD, VALID);
        let provider = provider(&pki, "approve");
        assert!(
            provider.url.starts_with("https://localhost:"),
            "{}",
            provider.url
        );
        let (code, stdout) = appliance(&provider, &pki.ca, "grace");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(code, Some(0), "{stdout}");
        assert_eq!(lines.len(), 3, "{stdout}");
        assert_eq!(lines[0], "signed in: grace");
        let expires_at: i64 = lines[1]
            .strip_prefix("refreshed: ")
            .unwrap_or_else(|| panic!("{stdout}"))
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(expires_at > now && expires_at <= now + 3600, "{expires_at}");
        assert_eq!(lines[2], "userinfo: grace@example.com");
        // CIBA then the forced refresh reached the token endpoint.
        let stats = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(provider_stats_https(&provider, &pki));
        assert!(stats.contains("\"ciba_grants\":1"), "{stats}");
        assert!(stats.contains("\"refresh_grants\":1"), "{stats}");
    }
}

/// `/test/stats` over HTTPS, read with the device's transport (the test's own HTTP client
/// speaks plain HTTP only).
async fn provider_stats_https(provider: &Provider, pki: &Pki) -> String {
    let url = format!("{}/test/stats", provider.url);
    let port: u16 = provider.url.rsplit(':').next().unwrap().parse().unwrap();
    let ca = std::fs::read_to_string(&pki.ca).unwrap();
    tokio::task::spawn_blocking(move || {
        host::run(&[port], move |stack| async move {
            use auth0_edge::runtime::Transport;
            let mut scratch = vec![0u8; ca.len()];
            let store = AnchorStore::<1>::from_pem(&ca, &mut scratch).unwrap();
            let clock = EmbassyClock::new();
            clock.set_unix_time(now());
            let mut buffers: Box<TransportBuffers> = Box::default();
            let t = EmbassyTransport::new(
                stack,
                DnsResolver::new(stack),
                &clock,
                store.anchors(),
                rand_core::OsRng,
                &mut buffers,
                TransportOptions::default(),
            );
            let mut buf = vec![0u8; 16 * 1024];
            let req = auth0_edge::http::OutgoingRequest {
                method: "GET",
                url: &url,
                headers: &[],
                body: &[],
            };
            let head = t.send(&req, &mut buf).await.unwrap();
            let res = head.view(&buf).unwrap();
            String::from_utf8_lossy(res.body).into_owned()
        })
        .unwrap()
    })
    .await
    .unwrap()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn the_appliance_refuses_bad_certificates_and_reports_a_denied_request() {
    // An unknown CA: the server's chain is good, the appliance trusts another CA.
    let pki_good = pki(Kind::P256, GOOD, VALID);
    let other = pki(Kind::P256, GOOD, VALID);
    let p = provider(&pki_good, "approve");
    assert_eq!(
        appliance(&p, &other.ca, "grace"),
        (Some(1), "tls: certificate not trusted\n".into())
    );
    drop(p);
    // A certificate for another host name.
    let wrong_name = pki(Kind::Rsa, &["auth.example.com"], VALID);
    let p = provider(&wrong_name, "approve");
    assert_eq!(
        appliance(&p, &wrong_name.ca, "grace"),
        (Some(1), "tls: certificate not valid for localhost\n".into())
    );
    drop(p);
    // An expired certificate.
    let expired = pki(Kind::P256, GOOD, (2019, 2021));
    let p = provider(&expired, "approve");
    assert_eq!(
        appliance(&p, &expired.ca, "grace"),
        (Some(1), "tls: certificate expired\n".into())
    );
    drop(p);
    // The user declines on their phone.
    let p = provider(&pki_good, "deny");
    assert_eq!(
        appliance(&p, &pki_good.ca, "heidi"),
        (Some(1), "ciba: access_denied\n".into())
    );
}

#[test]
fn the_gateway_refreshes_an_expired_session_through_the_embassy_transport() {
    let pki = pki(Kind::P256, GOOD, VALID);
    let provider = provider(&pki, "approve");
    let port: u16 = provider.url.rsplit(':').next().unwrap().parse().unwrap();
    let ca = std::fs::read_to_string(&pki.ca).unwrap();
    let url = provider.url.clone();
    let (old_token, new_token, set_cookies, session_after) =
        host::run(&[port], move |stack| async move {
            let mut scratch = vec![0u8; ca.len()];
            let store = AnchorStore::<1>::from_pem(&ca, &mut scratch).unwrap();
            let clock = EmbassyClock::new();
            clock.set_unix_time(now());
            let mut buffers: Box<TransportBuffers> = Box::default();
            let transport = EmbassyTransport::new(
                stack,
                DnsResolver::new(stack),
                &clock,
                store.anchors(),
                rand_core::OsRng,
                &mut buffers,
                TransportOptions::default(),
            );
            let config = Config {
                secret: SECRET,
                ..Config::new(
                    &url,
                    CLIENT_ID,
                    ClientAuth::SecretPost(CLIENT_SECRET),
                    "https://gateway.example.com",
                )
            };
            let auth0 = Auth0::new(config, transport, &clock, MemoryCache::<2048>::new()).unwrap();
            let mut rng = rand_core::OsRng;
            // A session whose access token expired a minute ago, as a gateway's client sends
            // it: tokens from CIBA, sealed into the session cookie.
            let mut ciba_buf = vec![0u8; 32 * 1024];
            let opts = BackchannelOptions {
                login_hint_sub: "ivan",
                binding_message: "gateway",
                ..Default::default()
            };
            let t = auth0
                .get_token_by_backchannel_auth(&opts, &mut rng, &mut ciba_buf)
                .await
                .unwrap();
            let old_token = t.token_set.access_token.unwrap().to_string();
            let token_set = auth0_edge::session::TokenSet {
                expires_at: Some(now() - 60),
                ..t.token_set
            };
            let session = Session::new(t.id_token_claims, token_set, None, now());
            let mut seal_buf = vec![0u8; 16 * 1024];
            let sealed = session
                .seal(auth0.key(), &mut rng, now() + 3600, &mut seal_buf)
                .unwrap();
            let cookie = format!("__session={sealed}; other=1");

            // The gateway's request: the core reads the cookie, refreshes, and answers the
            // new cookie.
            let mut buf = vec![0u8; 32 * 1024];
            let token = auth0
                .get_access_token(&cookie, &Default::default(), &mut rng, &mut buf)
                .await
                .unwrap();
            let new_token = token.token.to_string();
            let set_cookies: Vec<String> = token
                .headers
                .headers()
                .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
                .map(|(_, v)| v.to_string())
                .collect();
            // The new cookie holds the new token.
            let value = set_cookies[0]
                .strip_prefix("__session=")
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let mut buf = vec![0u8; 32 * 1024];
            let after = auth0
                .get_session(&format!("__session={value}"), &mut buf)
                .await
                .unwrap()
                .unwrap();
            let session_after = after
                .token_set
                .access_token
                .map(|t| t.to_string())
                .unwrap_or_default();
            (old_token, new_token, set_cookies, session_after)
        })
        .unwrap();
    assert_ne!(old_token, new_token, "the expired token was refreshed");
    // The new session cookie, then the deletion of any chunks a larger session had left.
    assert!(
        set_cookies[1..]
            .iter()
            .all(|c| c.starts_with("__session__") && c.contains("; Max-Age=0;")),
        "{set_cookies:?}"
    );
    assert!(
        set_cookies[0].starts_with("__session=eyJ") && set_cookies[0].contains("HttpOnly"),
        "{}",
        set_cookies[0]
    );
    assert_eq!(session_after, new_token);
}
