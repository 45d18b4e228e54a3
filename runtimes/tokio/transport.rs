//! The HTTP client: hyper 1 with a pooled connector, rustls with the webpki roots (no
//! OpenSSL), connect and request timeouts, and a cap on response size.

use std::prelude::rust_2024::*;

use crate::http::{OutgoingRequest, ResponseHead};
use crate::runtime::{Transport, TransportError};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::time::Duration;

/// The default time allowed for a whole request (the SDK's `httpTimeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest response body read (the SDK caps bodies at 1 MiB).
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// Options of [`HyperTransport`].
#[derive(Clone, Debug)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct TransportOptions {
    /// Time allowed to connect (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, response body included.
    pub timeout: Duration,
    /// Extra trusted root certificates, PEM (for a test provider with its own CA).
    pub extra_roots_pem: Option<String>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: DEFAULT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            extra_roots_pem: None,
        }
    }
}

/// A [`Transport`] on hyper and rustls, with pooled connections.
#[derive(Clone, Debug)]
pub struct HyperTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl HyperTransport {
    /// A transport trusting the webpki roots, with the default timeouts.
    pub fn new() -> Result<Self, rustls::Error> {
        Self::with_options(TransportOptions::default())
    }

    /// A transport with `options`.
    pub fn with_options(options: TransportOptions) -> Result<Self, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &options.extra_roots_pem {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|_| {
                    rustls::Error::General("extra_roots_pem is not valid PEM".into())
                })?;
                roots.add(cert)?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(HyperTransport {
            client,
            timeout: options.timeout,
        })
    }
}

/// Whether `e`, or an error it wraps (through `source` or nested `io::Error`s), is a TLS error.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && is_tls(inner)
    {
        return true;
    }
    e.source().is_some_and(is_tls)
}

fn classify(e: &hyper_util::client::legacy::Error) -> TransportError {
    if is_tls(e) {
        TransportError::Tls
    } else if e.is_connect() {
        TransportError::Connect
    } else {
        TransportError::Io
    }
}

impl Transport for HyperTransport {
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError> {
        let mut builder = http::Request::builder()
            .method(req.method)
            .uri(req.url)
            .header(
                "User-Agent",
                concat!("auth0-edge/", env!("CARGO_PKG_VERSION")),
            );
        for (k, v) in req.headers {
            builder = builder.header(*k, *v);
        }
        let request = builder
            .body(Full::new(Bytes::copy_from_slice(req.body)))
            .map_err(|_| TransportError::Io)?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| classify(&e))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_RESPONSE)
                .collect()
                .await
                .map_err(|e| {
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some()
                    {
                        TransportError::ResponseTooLarge
                    } else {
                        TransportError::Io
                    }
                })?
                .to_bytes();
            Ok::<_, TransportError>((parts, body))
        };
        let (parts, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| TransportError::Timeout)??;
        let mut n = 0;
        for (name, value) in &parts.headers {
            let Ok(value) = value.to_str() else { continue };
            let line = [name.as_str().as_bytes(), b": ", value.as_bytes(), b"\r\n"];
            for piece in line {
                let dst = buf
                    .get_mut(n..n + piece.len())
                    .ok_or(TransportError::ResponseTooLarge)?;
                dst.copy_from_slice(piece);
                n += piece.len();
            }
        }
        let dst = buf
            .get_mut(n..n + body.len())
            .ok_or(TransportError::ResponseTooLarge)?;
        dst.copy_from_slice(&body);
        Ok(ResponseHead {
            status: parts.status.as_u16(),
            headers_len: n,
            body_len: body.len(),
        })
    }
}
