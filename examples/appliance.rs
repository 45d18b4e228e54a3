//! An appliance: a device without a browser that signs its user in with CIBA (OpenID Connect
//! Client-Initiated Backchannel Authentication), then forces a refresh, then calls the
//! provider's userinfo endpoint with the access token, all on the embassy runtime: HTTP/1.1
//! over TLS 1.3 (certificates verified with rustls-webpki) over an embassy-net stack.
//!
//! On a host it runs through the host link (`auth0_edge::embassy::host`): the device's
//! embassy-net stack reaches the host's `127.0.0.1` only, so the provider must listen there
//! (`https://localhost:PORT` or `https://127.0.0.1:PORT`, e.g. the end-to-end tests' provider).
//! On a board the same code gets the board's stack, RNG and an SNTP- or RTC-set clock.
//!
//! ```text
//! AUTH0_DOMAIN=https://localhost:8443 AUTH0_CLIENT_ID=… AUTH0_CLIENT_SECRET=… \
//! AUTH0_CA_FILE=ca.pem APPLIANCE_LOGIN_HINT=alice \
//!   cargo run --no-default-features --features embassy-host --example appliance
//! ```
//!
//! Environment: `AUTH0_DOMAIN` (an `https://` URL), `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
//! `AUTH0_CA_FILE` (PEM trust anchors; default the webpki roots, with the feature
//! `embassy-webpki-roots`), `APPLIANCE_LOGIN_HINT` (the user's `sub`),
//! `APPLIANCE_BINDING_MESSAGE` (default `appliance`); with `AUTH0_DPOP_PRIVATE_KEY` and
//! `AUTH0_DPOP_PUBLIC_KEY` its requests use DPoP.
//!
//! It prints exactly three lines, `signed in: <sub>`, `refreshed: <expires_at>` and
//! `userinfo: <email>`, and exits 0; on any failure it prints one line (`tls: certificate not
//! trusted`, `tls: certificate not valid for localhost`, `ciba: access_denied`, …) and exits 1.

use auth0_edge::codec::json::Object;
use auth0_edge::config::OwnedConfig;
use auth0_edge::embassy::{
    AnchorStore, DnsResolver, EmbassyClock, EmbassyTransport, TransportBuffers, TransportOptions,
    TrustAnchors, host,
};
use auth0_edge::flow::{AccessTokenOptions, Auth0, AuthError, BackchannelOptions};
use auth0_edge::oauth::dpop_resource::{ResourceError, ResourceRequest};
use auth0_edge::runtime::{CertificateError, MemoryCache, TransportError};
use auth0_edge::session::Session;
use rand_core::OsRng;

/// The work buffer of each step. The tokens of one step are read by the next, so each has its
/// own (see EMBEDDED.md for what each flow needs).
const WORK: usize = 24 * 1024;

/// The provider cache: discovery metadata and the JWKS, in their compact forms, and the DPoP
/// nonce of the one origin the appliance talks to (its provider's token and userinfo
/// endpoints).
type Cache = MemoryCache<2048, 1>;

fn main() {
    match run() {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
        }
        Err(line) => {
            println!("{line}");
            std::process::exit(1);
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn run() -> Result<[String; 3], String> {
    let domain = var("AUTH0_DOMAIN").ok_or("config: AUTH0_DOMAIN is not set")?;
    let url = auth0_edge::codec::url::Url::parse(&domain)
        .ok()
        .filter(|u| u.is_https())
        .ok_or("config: AUTH0_DOMAIN must be an https:// URL")?;
    let host = url.host.to_string();
    let port = url.effective_port();
    if !url.is_loopback() {
        return Err(format!(
            "config: on the host link the provider must be on 127.0.0.1 (localhost), not {host}"
        ));
    }
    let login_hint =
        var("APPLIANCE_LOGIN_HINT").ok_or("config: APPLIANCE_LOGIN_HINT is not set")?;
    let binding_message = var("APPLIANCE_BINDING_MESSAGE").unwrap_or_else(|| "appliance".into());
    let ca_pem = match var("AUTH0_CA_FILE") {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .map_err(|e| format!("config: AUTH0_CA_FILE: cannot read {path}: {e}"))?,
        ),
        None => None,
    };
    // No session cookie is made: the cookie secret and the base URL are not used.
    let placeholder = auth0_edge::oauth::pkce::Token::random(&mut OsRng).to_string();
    let config = OwnedConfig::from_lookup(|k| {
        var(k).or_else(|| match k {
            "AUTH0_SECRET" => Some(format!("{placeholder}{placeholder}")),
            "APP_BASE_URL" => Some("http://localhost".into()),
            _ => None,
        })
    })
    .map_err(|e| format!("config: {}", auth0_edge::Report(&e)))?;

    host::run(&[port], move |stack| async move {
        let mut scratch = vec![0u8; ca_pem.as_ref().map_or(0, String::len)];
        let store;
        let anchors = match &ca_pem {
            Some(pem) => {
                store = AnchorStore::<8>::from_pem(pem, &mut scratch)
                    .map_err(|e| format!("config: AUTH0_CA_FILE: {e}"))?;
                store.anchors()
            }
            None => default_anchors()?,
        };
        // A device sets its clock from SNTP or an RTC; the host's clock stands in for it.
        let clock = EmbassyClock::new();
        clock.set_unix_time(unix_now());
        let mut buffers: Box<TransportBuffers> = Box::default();
        let transport = EmbassyTransport::new(
            stack,
            DnsResolver::new(stack),
            &clock,
            anchors,
            OsRng,
            &mut buffers,
            TransportOptions::default(),
        );
        let auth0 = Auth0::new(config.as_config(), transport, &clock, Cache::new())
            .map_err(|e| format!("config: {}", auth0_edge::Report(&e)))?;
        let mut rng = OsRng;

        // 1. CIBA: the user approves on their phone.
        let mut ciba_buf = vec![0u8; WORK];
        let opts = BackchannelOptions {
            login_hint_sub: &login_hint,
            binding_message: &binding_message,
            ..Default::default()
        };
        let signed_in = auth0
            .get_token_by_backchannel_auth(&opts, &mut rng, &mut ciba_buf)
            .await
            .map_err(|e| line("ciba", &host, &e))?;
        let sub = text(&signed_in.id_token_claims, "sub").ok_or("ciba: no sub in the ID token")?;

        // 2. A forced refresh of the token set CIBA gave.
        let session = Session::new(
            signed_in.id_token_claims,
            signed_in.token_set,
            None,
            unix_now(),
        );
        let mut refresh_buf = vec![0u8; WORK];
        let refresh = AccessTokenOptions {
            refresh: true,
            ..AccessTokenOptions::default()
        };
        let refreshed = auth0
            .token_for(session, &refresh, &mut rng, &mut refresh_buf)
            .await
            .map_err(|e| line("refresh", &host, &e))?;
        let token = refreshed.token;

        // 3. The userinfo endpoint, with the new access token.
        let mut meta_buf = vec![0u8; 2048];
        let metadata = auth0
            .provider_metadata(&mut meta_buf)
            .await
            .map_err(|e| line("userinfo", &host, &e))?;
        let userinfo = metadata
            .userinfo_endpoint
            .ok_or("userinfo: the provider has no userinfo_endpoint")?;
        let req = ResourceRequest {
            method: "GET",
            url: userinfo,
            access_token: token.token,
            token_type: token.token_type,
            ..Default::default()
        };
        let mut user_buf = vec![0u8; 8 * 1024];
        let res = auth0
            .fetch_with_auth(auth0.transport(), &req, &mut rng, &mut user_buf)
            .await
            .map_err(|e| match &e {
                ResourceError::Transport(t) => transport_line("userinfo", &host, t),
                _ => format!("userinfo: {}", auth0_edge::Report(&e)),
            })?;
        if res.status != 200 {
            return Err(format!("userinfo: HTTP {}", res.status));
        }
        let claims = Object::parse_bytes(res.body)
            .map_err(|_| "userinfo: the answer is not a JSON object")?;
        let email = text(&claims, "email").ok_or("userinfo: no email")?;
        Ok([
            format!("signed in: {sub}"),
            format!("refreshed: {}", token.expires_at),
            format!("userinfo: {email}"),
        ])
    })
    .map_err(|e| format!("host link: {e}"))?
}

#[cfg(feature = "embassy-webpki-roots")]
fn default_anchors() -> Result<TrustAnchors<'static>, String> {
    Ok(TrustAnchors::webpki_roots())
}

#[cfg(not(feature = "embassy-webpki-roots"))]
fn default_anchors() -> Result<TrustAnchors<'static>, String> {
    Err("config: set AUTH0_CA_FILE, or build with the feature embassy-webpki-roots".into())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A string member of `o`, unescaped.
fn text(o: &Object<'_>, name: &str) -> Option<String> {
    o.get_str(name).map(|s| s.to_string())
}

/// The one line for a failed step: the TLS or connection failure when there is one, the
/// provider's error code for CIBA, else the flow's code and reason.
fn line(step: &str, host: &str, e: &AuthError) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<TransportError>() {
            return transport_line(step, host, t);
        }
        source = s.source();
    }
    match e {
        AuthError::Backchannel(f) => format!("ciba: {}", f.error_code()),
        _ => format!("{step}: {}: {}", e.code(), auth0_edge::Report(e)),
    }
}

fn transport_line(step: &str, host: &str, e: &TransportError) -> String {
    match e {
        TransportError::Certificate(c) => match c {
            CertificateError::UnknownIssuer => "tls: certificate not trusted".into(),
            CertificateError::NotValidForName => format!("tls: certificate not valid for {host}"),
            CertificateError::Expired => "tls: certificate expired".into(),
            CertificateError::NotYetValid => "tls: certificate not valid yet".into(),
            CertificateError::BadSignature => "tls: bad certificate signature".into(),
            CertificateError::InvalidPurpose => "tls: certificate not for TLS servers".into(),
            other => format!("tls: {other}"),
        },
        TransportError::Tls => "tls: handshake failed".into(),
        other => format!("{step}: {other}"),
    }
}
