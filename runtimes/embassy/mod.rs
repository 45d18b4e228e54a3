//! The embassy runtime (feature `embassy`): `no_std`, no allocation.
//!
//! | item | what it does |
//! |---|---|
//! | [`EmbassyTransport`] | the [`Transport`](crate::runtime::Transport): HTTP/1.1 (the core's [`h1`](crate::http::h1)) over TLS 1.3 (embedded-tls) over embassy-net TCP, one connection per request, one embassy-time timeout per request |
//! | [`connect`], [`ServerVerifier`] | TLS with certificates really verified: the chain to [`TrustAnchors`] with rustls-webpki, the host name, validity at the runtime clock's time, EKU `serverAuth`, the handshake signature; usable on their own (MQTT, your own protocol) |
//! | [`signature`] | rustls-pki-types signature algorithms over the core's crypto: ECDSA P-256/P-384, RSA PKCS#1 v1.5 and PSS |
//! | [`TrustAnchors`], [`AnchorStore`] | the roots: webpki-roots (feature `embassy-webpki-roots`) or your DER/PEM certificates |
//! | [`EmbassyClock`] | the [`Clock`](crate::runtime::Clock): embassy-time's monotonic clock plus an offset you set |
//! | [`Resolver`], [`DnsResolver`], [`StaticResolver`] | names to addresses |
//! | `host` (feature `embassy-host`) | a host link: the std executor and time driver and a virtual network to the host's `127.0.0.1`, for tests and examples on Linux |
//!
//! ## Building a transport
//!
//! ```no_run
//! use auth0_edge::embassy::*;
//! # async fn run(stack: embassy_net::Stack<'static>, rng: rand_core::OsRng) {
//! static CLOCK: EmbassyClock = EmbassyClock::new();
//! // Your CA's certificate, PEM; or `TrustAnchors::webpki_roots()` for public servers.
//! const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n";
//! let scratch: &'static mut [u8; 2048] = Box::leak(Box::new([0; 2048]));
//! let store: &'static AnchorStore<'static, 2> =
//!     Box::leak(Box::new(AnchorStore::from_pem(CA_PEM, scratch).unwrap()));
//! CLOCK.set_unix_time(1_800_000_000); // from SNTP or an RTC, before the first request
//! let buffers: &'static mut TransportBuffers = Box::leak(Box::new(TransportBuffers::new()));
//! let transport = EmbassyTransport::new(
//!     stack,
//!     DnsResolver::new(stack),
//!     &CLOCK,
//!     store.anchors(),
//!     rng,
//!     buffers,
//!     TransportOptions::default(),
//! );
//! // `transport` goes to `auth0_edge::flow::Auth0` like any other Transport.
//! # }
//! ```
//!
//! ## Memory
//!
//! [`TransportBuffers`] (26 880 bytes by default: a 16 640-byte TLS record buffer, 4 KiB for
//! outgoing records, 4 KiB + 2 KiB of TCP windows) is the only large block; the transport
//! itself is 168 bytes on a 64-bit host. Certificate and signature verification run on the
//! stack of the task that polls the request, not in those buffers: ECDSA needs little, RSA
//! with 4096-bit keys several KiB (fixed-width big integers), so size that stack for the
//! largest key a server may send.
//!
//! ## Limits
//!
//! IPv4 only (an IPv6 literal in a URL is [`TransportError::Connect`](crate::runtime::TransportError::Connect));
//! one cipher suite (`TLS_AES_128_GCM_SHA256`) and one key exchange (P-256, embedded-tls's);
//! server keys ECDSA P-256/P-384 or RSA 2048-4096 (Ed25519 is offered by embedded-tls but not
//! verified here: such a server is refused); no revocation checks (no CRLs or OCSP).

pub mod anchors;
pub mod clock;
mod frame;
#[cfg(feature = "embassy-host")]
pub mod host;
mod path;
pub mod resolve;
pub mod signature;
pub mod tls;
pub mod transport;

pub use anchors::{AnchorError, AnchorStore, TrustAnchors};
pub use clock::EmbassyClock;
pub use resolve::{DnsResolver, Resolver, StaticResolver};
pub use tls::{CipherSuite, RecordGuard, ServerVerifier, TlsStream, connect};
pub use transport::{EmbassyTransport, TransportBuffers, TransportOptions, USER_AGENT};
