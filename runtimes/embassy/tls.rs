//! TLS 1.3 with verified certificates: embedded-tls for the protocol, rustls-webpki for the
//! certificate checks, the core's crypto for the signatures.
//!
//! embedded-tls leaves verification to its crypto provider and *skips* it when the provider
//! has no verifier; its own verifiers check too little for this use (no path constraints or
//! key usage, one CA, RSA only with `alloc`). So the provider here is private and always has a
//! [`ServerVerifier`], and [`connect`] is the only way to use it:
//!
//! 1. the chain (leaf, then the intermediates the server sent) must lead to one of the
//!    [`TrustAnchors`] through rustls-webpki's path building, with basic and name constraints,
//!    key usage and EKU `serverAuth` checked, and every signature of the path verified
//!    ([`super::signature`]; once the path is found, not during the search, so the search's
//!    frames and the signature's do not add up on the stack);
//! 2. the leaf must be valid for the host name (DNS SAN) or address (IP SAN) connected to;
//! 3. every certificate must be valid at the runtime clock's time (not the system's);
//! 4. the server's `CertificateVerify` must verify with the leaf's key over the transcript;
//! 5. every one of 1-4 must have run: embedded-tls would accept a `Finished` with no
//!    `CertificateVerify` before it, which a man in the middle can send.
//!
//! During the handshake the verifier only keeps what the server sent (its certificates and the
//! `CertificateVerify` signature, in a scratch buffer the caller lends) and checks the order of
//! the messages; 1-4 run in [`connect`] once embedded-tls is done, before [`connect`] returns
//! and so before any request is written. That way the checks' stack (path building and the
//! signatures) does not add up with embedded-tls's handshake frames: about 11 KB less at the
//! deepest point on the host.
//!
//! A message out of order, an unsupported handshake signature scheme or a chain too large for
//! the scratch buffer ends the handshake with an alert; a failed check after it ends the
//! connection unused. Either way [`connect`] returns a [`TransportError::Certificate`] naming
//! the check, or [`TransportError::Tls`].
//!
//! The stream is also guarded by [`RecordGuard`], which refuses encrypted records too short to
//! hold a content type (embedded-tls 0.19 panics on an empty one, and a man in the middle can
//! send one before the server is authenticated).
//!
//! That verification cannot be configured away is checked by the compiler: there is no
//! verifier-less constructor, and [`ServerVerifier`] does not implement embedded-tls's
//! `TlsVerifier`, so it cannot be put in a provider that skips the last check.
//!
//! ```compile_fail
//! // A ServerVerifier is no embedded_tls::TlsVerifier: it cannot go into a custom provider.
//! fn is_verifier<V: embedded_tls::TlsVerifier<embedded_tls::Aes128GcmSha256>>() {}
//! is_verifier::<auth0_edge::embassy::ServerVerifier<'static>>();
//! ```
//!
//! ```compile_fail
//! // No verifier without trust anchors.
//! let v = auth0_edge::embassy::ServerVerifier::new("localhost", 1_800_000_000);
//! ```
//!
//! ```
//! // With them (here: none, which refuses every server).
//! use auth0_edge::embassy::{ServerVerifier, TrustAnchors};
//! let v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 1_800_000_000).unwrap();
//! ```

use super::TrustAnchors;
use super::frame::{OwnFrame, fill};
use super::path;
use super::signature;
use crate::UnixTime;
use crate::runtime::{CertificateError, TransportError};
use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use embedded_tls::alert::{AlertDescription, AlertLevel};
use embedded_tls::{
    Aes128GcmSha256, CertificateEntryRef, CertificateRef, CertificateVerifyRef, CryptoProvider,
    SignatureScheme, TlsConfig, TlsConnection, TlsContext, TlsError, TlsVerifier,
};
use rand_core::CryptoRngCore;
use rustls_pki_types::{CertificateDer, ServerName, SignatureVerificationAlgorithm};
use sha2::{Digest, Sha256};

/// The cipher suite: `TLS_AES_128_GCM_SHA256`, which every TLS 1.3 server supports (RFC 8446
/// §9.1).
pub type CipherSuite = Aes128GcmSha256;

/// A TLS connection opened by [`connect`], over a socket `S`.
pub type TlsStream<'b, S> = TlsConnection<'b, RecordGuard<S>, CipherSuite>;

/// The longest host name (RFC 1035).
const MAX_NAME: usize = 253;
/// The most certificates a chain may have (embedded-tls reads at most 16).
const MAX_CHAIN: usize = 16;

/// Checks a TLS server's certificate chain, name, validity and handshake signature (see the
/// [module docs](self)). Made for one handshake.
#[derive(Debug)]
pub struct ServerVerifier<'a> {
    name: heapless::String<MAX_NAME>,
    checks: Checks<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// No certificate yet.
    Start,
    /// The chain is held; the handshake signature is next.
    Certificate,
    /// The handshake signature is held too: everything is checked once the handshake is done.
    Signature,
    /// The chain, the name, the validity and the handshake signature are verified.
    Done,
}

/// What the checks need of the handshake, and how far they got. The certificates and the
/// handshake signature themselves are held in the caller's scratch buffer (see [`connect`]).
#[derive(Debug)]
struct Checks<'a> {
    anchors: TrustAnchors<'a>,
    now: UnixTime,
    /// The transcript hash up to the server's `Certificate`, for its `CertificateVerify`.
    transcript: Option<Sha256>,
    /// Where each certificate the server sent lies in the scratch buffer, leaf first.
    chain: heapless::Vec<(u16, u16), MAX_CHAIN>,
    /// The `CertificateVerify`'s scheme and where its signature lies in the scratch buffer.
    signature: Option<(SignatureScheme, u16, u16)>,
    step: Step,
    failure: Option<CertificateError>,
}

impl<'a> ServerVerifier<'a> {
    /// A verifier for the server `server_name` (a DNS name, or an IPv4 or IPv6 address
    /// literal without brackets) trusting `anchors`, checking validity at `now` (Unix seconds,
    /// from the runtime clock).
    ///
    /// A name that is neither is [`CertificateError::NotValidForName`].
    pub fn new(
        anchors: TrustAnchors<'a>,
        server_name: &str,
        now: UnixTime,
    ) -> Result<Self, TransportError> {
        let bad = TransportError::Certificate(CertificateError::NotValidForName);
        ServerName::try_from(server_name).map_err(|_| bad)?;
        let name = heapless::String::try_from(server_name).map_err(|_| bad)?;
        Ok(ServerVerifier {
            name,
            checks: Checks {
                anchors,
                now,
                transcript: None,
                chain: heapless::Vec::new(),
                signature: None,
                step: Step::Start,
                failure: None,
            },
        })
    }

    /// The check that failed, if one did.
    pub fn failure(&self) -> Option<CertificateError> {
        self.checks.failure
    }

    /// Whether the chain, the name and the handshake signature were all verified.
    pub fn is_verified(&self) -> bool {
        self.checks.step == Step::Done && self.checks.failure.is_none()
    }
}

/// Opens TLS 1.3 over `socket` to the server `verifier` was made for (sending its name as SNI
/// unless it is an address), with embedded-tls record buffers `read_buf` (16 640 bytes holds
/// any record) and `write_buf`, randomness from `rng`, and every check of the
/// [module docs](self).
///
/// `scratch` holds the server's certificates and handshake signature while the handshake
/// runs; they are checked once it is done, before anything is sent. The checks (path building
/// and the signatures, 10-12 KB of stack) then run here instead of under embedded-tls's
/// handshake frames (another 11 KB), so the deepest stack is the larger of the two rather than
/// their sum. Any buffer that is free until the connection is open will do: the transport
/// lends the response buffer. A chain longer than `scratch` is
/// [`CertificateError::ChainTooLarge`].
pub async fn connect<'b, S, R>(
    socket: S,
    read_buf: &'b mut [u8],
    write_buf: &'b mut [u8],
    scratch: &mut [u8],
    rng: &mut R,
    verifier: &mut ServerVerifier<'_>,
) -> Result<TlsStream<'b, S>, TransportError>
where
    S: Read + Write + 'b,
    R: CryptoRngCore,
{
    let mut slot = None;
    connect_into(
        &mut slot, socket, read_buf, write_buf, scratch, rng, verifier,
    )
    .await?;
    slot.ok_or(TransportError::Tls)
}

/// [`connect`] into a slot the caller owns: the connection is built there (by a frame of its
/// own) and never moved, so no frame on the way holds a copy of it. The slot holds a
/// connection only when every check passed; it is emptied on any failure.
pub(super) async fn connect_into<'b, S, R>(
    slot: &mut Option<TlsStream<'b, S>>,
    socket: S,
    read_buf: &'b mut [u8],
    write_buf: &'b mut [u8],
    scratch: &mut [u8],
    rng: &mut R,
    verifier: &mut ServerVerifier<'_>,
) -> Result<(), TransportError>
where
    S: Read + Write + 'b,
    R: CryptoRngCore,
{
    let conn = fill(slot, || {
        TlsConnection::new(RecordGuard::new(socket), read_buf, write_buf)
    });
    let ServerVerifier { name, checks } = verifier;
    let is_dns = matches!(
        ServerName::try_from(name.as_str()),
        Ok(ServerName::DnsName(_))
    );
    let config = TlsConfig::new().enable_rsa_signatures();
    // RFC 6066 §3: no address literal in SNI.
    let config = if is_dns {
        config.with_server_name(name)
    } else {
        config
    };
    let provider = Provider {
        rng,
        held: Held {
            name,
            checks: &mut *checks,
            scratch: &mut *scratch,
        },
    };
    // Pinned where it is built: the handshake's state is never a stack temporary. Polled in a
    // frame of its own: embedded-tls's handshake locals (8 KB on the host) are not laid out in
    // the frame the checks below run from.
    let opened = OwnFrame(core::pin::pin!(
        conn.open(TlsContext::new(&config, provider))
    ))
    .await;
    let outcome = checks.outcome(opened, name, scratch);
    if outcome.is_err() {
        *slot = None;
    }
    outcome
}

/// A TLS error that is not a certificate check: the socket's, or the protocol's.
pub(super) fn tls_error(e: TlsError) -> TransportError {
    match e {
        TlsError::Io(_) | TlsError::ConnectionClosed | TlsError::IoError => TransportError::Io,
        _ => TransportError::Tls,
    }
}

/// The private provider: the caller's randomness and the checks, always.
struct Provider<'v, 'a, R> {
    rng: &'v mut R,
    held: Held<'v, 'a>,
}

impl<R: CryptoRngCore> CryptoProvider for Provider<'_, '_, R> {
    type CipherSuite = CipherSuite;
    type Signature = p256::ecdsa::DerSignature;

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<CipherSuite>, TlsError> {
        Ok(&mut self.held)
    }
}

/// The verifier embedded-tls calls during the handshake: it keeps the server's certificates
/// and handshake signature in `scratch` for [`Checks::outcome`], and checks only what is
/// cheap (the order of the messages, the scheme, the sizes).
struct Held<'v, 'a> {
    name: &'v str,
    checks: &'v mut Checks<'a>,
    scratch: &'v mut [u8],
}

impl Held<'_, '_> {
    /// Copies `bytes` into the scratch buffer after `at`: where they now lie.
    fn keep(&mut self, at: usize, bytes: &[u8]) -> Result<(u16, u16), CertificateError> {
        let end = at
            .checked_add(bytes.len())
            .filter(|&end| end <= self.scratch.len() && end <= usize::from(u16::MAX))
            .ok_or(CertificateError::ChainTooLarge)?;
        self.scratch[at..end].copy_from_slice(bytes);
        // Both fit `u16`: checked above.
        Ok((at as u16, end as u16))
    }

    fn hold_chain(&mut self, cert: &CertificateRef<'_>) -> Result<(), CertificateError> {
        self.checks.chain.clear();
        let mut at = 0;
        for entry in &cert.entries {
            let CertificateEntryRef::X509(der) = entry else {
                return Err(CertificateError::BadEncoding);
            };
            let place = self.keep(at, der)?;
            at = usize::from(place.1);
            self.checks
                .chain
                .push(place)
                .map_err(|_| CertificateError::UnknownIssuer)?;
        }
        if self.checks.chain.is_empty() {
            return Err(CertificateError::BadEncoding);
        }
        Ok(())
    }

    fn hold_signature(
        &mut self,
        verify: &CertificateVerifyRef<'_>,
    ) -> Result<(), CertificateError> {
        scheme_algorithm(verify.signature_scheme)?;
        let at = self
            .checks
            .chain
            .last()
            .map_or(0, |&(_, end)| usize::from(end));
        let (start, end) = self.keep(at, verify.signature)?;
        self.checks.signature = Some((verify.signature_scheme, start, end));
        Ok(())
    }
}

impl TlsVerifier<CipherSuite> for Held<'_, '_> {
    fn set_hostname_verification(&mut self, hostname: &str) -> Result<(), TlsError> {
        // The SNI name `connect` set is the verifier's own; anything else is refused.
        if hostname.eq_ignore_ascii_case(self.name) {
            Ok(())
        } else {
            Err(self.checks.fail(CertificateError::NotValidForName))
        }
    }

    fn verify_certificate(
        &mut self,
        transcript: &Sha256,
        cert: CertificateRef<'_>,
    ) -> Result<(), TlsError> {
        if self.checks.step != Step::Start {
            return Err(TlsError::InvalidHandshake);
        }
        self.hold_chain(&cert).map_err(|e| self.checks.fail(e))?;
        self.checks.transcript = Some(transcript.clone());
        self.checks.step = Step::Certificate;
        Ok(())
    }

    fn verify_signature(&mut self, verify: CertificateVerifyRef<'_>) -> Result<(), TlsError> {
        if self.checks.step != Step::Certificate {
            return Err(TlsError::InvalidHandshake);
        }
        self.hold_signature(&verify)
            .map_err(|e| self.checks.fail(e))?;
        self.checks.step = Step::Signature;
        Ok(())
    }
}

/// The verification algorithm of a TLS 1.3 `CertificateVerify` scheme.
fn scheme_algorithm(
    scheme: SignatureScheme,
) -> Result<&'static dyn SignatureVerificationAlgorithm, CertificateError> {
    Ok(match scheme {
        SignatureScheme::EcdsaSecp256r1Sha256 => signature::ECDSA_P256_SHA256,
        SignatureScheme::EcdsaSecp384r1Sha384 => signature::ECDSA_P384_SHA384,
        SignatureScheme::RsaPssRsaeSha256 => signature::RSA_PSS_SHA256,
        SignatureScheme::RsaPssRsaeSha384 => signature::RSA_PSS_SHA384,
        SignatureScheme::RsaPssRsaeSha512 => signature::RSA_PSS_SHA512,
        // PKCS#1 v1.5 is not allowed in TLS 1.3 handshakes (RFC 8446 §4.2.3); EdDSA and
        // the rest are not supported.
        _ => return Err(CertificateError::UnsupportedSignatureAlgorithm),
    })
}

impl Checks<'_> {
    /// The handshake's result once embedded-tls is done: a failed check first, then the
    /// protocol's error, then the checks of what the server sent (its certificates and
    /// handshake signature, held in `scratch`), which must all have been received.
    fn outcome(
        &mut self,
        opened: Result<(), TlsError>,
        name: &str,
        scratch: &[u8],
    ) -> Result<(), TransportError> {
        if let Some(failure) = self.failure {
            return Err(TransportError::Certificate(failure));
        }
        opened.map_err(tls_error)?;
        match self.step {
            Step::Signature => {
                if let Err(e) = self.verify_held(name, scratch) {
                    self.failure = Some(e);
                    return Err(TransportError::Certificate(e));
                }
                self.step = Step::Done;
                Ok(())
            }
            Step::Done => Ok(()),
            // The server finished the handshake without proving it holds the leaf's key.
            Step::Certificate => Err(TransportError::Certificate(CertificateError::BadSignature)),
            // Or without any certificate.
            Step::Start => Err(TransportError::Tls),
        }
    }

    /// Records `e` and ends the handshake with the matching alert.
    fn fail(&mut self, e: CertificateError) -> TlsError {
        self.failure = Some(e);
        let description = match e {
            CertificateError::UnknownIssuer => AlertDescription::UnknownCa,
            CertificateError::Expired | CertificateError::NotYetValid => {
                AlertDescription::CertificateExpired
            }
            CertificateError::UnsupportedSignatureAlgorithm => {
                AlertDescription::UnsupportedCertificate
            }
            _ => AlertDescription::BadCertificate,
        };
        TlsError::AbortHandshake(AlertLevel::Fatal, description)
    }

    /// The held chain to the anchors, the leaf's name, and the handshake signature with the
    /// leaf's key over the transcript. Never inlined: it runs in its own frame above
    /// [`connect`]'s, not in the caller's poll frame.
    #[inline(never)]
    fn verify_held(&self, name: &str, scratch: &[u8]) -> Result<(), CertificateError> {
        let mut ders: heapless::Vec<CertificateDer<'_>, MAX_CHAIN> = heapless::Vec::new();
        for &(start, end) in &self.chain {
            let der = scratch
                .get(usize::from(start)..usize::from(end))
                .ok_or(CertificateError::BadEncoding)?;
            ders.push(CertificateDer::from_slice(der))
                .map_err(|_| CertificateError::UnknownIssuer)?;
        }
        let (leaf, intermediates) = ders.split_first().ok_or(CertificateError::BadEncoding)?;
        let ee = webpki::EndEntityCert::try_from(leaf).map_err(|e| webpki_error(&e))?;
        let now = rustls_pki_types::UnixTime::since_unix_epoch(core::time::Duration::from_secs(
            u64::try_from(self.now).unwrap_or(0),
        ));
        path::verify(&ee, self.anchors.as_slice(), intermediates, scratch, now)?;
        verify_name(&ee, name)?;
        let spki = leaf_spki(leaf.as_ref()).ok_or(CertificateError::BadEncoding)?;
        let (scheme, start, end) = self.signature.ok_or(CertificateError::BadSignature)?;
        let signature = scratch
            .get(usize::from(start)..usize::from(end))
            .ok_or(CertificateError::BadSignature)?;
        self.check_signature(spki, scheme, signature)
    }

    /// The handshake signature `signature` of `scheme`, with the key of the leaf's `spki`.
    fn check_signature(
        &self,
        spki: &[u8],
        scheme: SignatureScheme,
        signature: &[u8],
    ) -> Result<(), CertificateError> {
        let alg = scheme_algorithm(scheme)?;
        let transcript = self
            .transcript
            .clone()
            .ok_or(CertificateError::BadSignature)?;
        // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
        let mut message = [0x20u8; 64 + 34 + 32];
        message[64..98].copy_from_slice(b"TLS 1.3, server CertificateVerify\x00");
        message[98..].copy_from_slice(&transcript.finalize());
        let (alg_id, key) = spki_parts(spki).ok_or(CertificateError::BadEncoding)?;
        if alg.public_key_alg_id().as_ref() != alg_id {
            return Err(CertificateError::UnsupportedSignatureAlgorithm);
        }
        alg.verify_signature(key, &message, signature)
            .map_err(|_| CertificateError::BadSignature)
    }
}

/// Whether `ee` is valid for the host `name` (a DNS name or an IP address). Never inlined: the
/// path check and the name check run one after the other, so their frames share the stack.
#[inline(never)]
fn verify_name(ee: &webpki::EndEntityCert<'_>, name: &str) -> Result<(), CertificateError> {
    let name = ServerName::try_from(name).map_err(|_| CertificateError::NotValidForName)?;
    ee.verify_is_valid_for_subject_name(&name)
        .map_err(|e| webpki_error(&e))
}

/// The category of a rustls-webpki error.
pub(super) fn webpki_error(e: &webpki::Error) -> CertificateError {
    use webpki::Error as E;
    #[allow(deprecated)] // the deprecated variants are still returned by some paths
    match e {
        E::UnknownIssuer | E::CertDistrusted | E::MaximumPathDepthExceeded => {
            CertificateError::UnknownIssuer
        }
        E::CertNotValidForName(_) => CertificateError::NotValidForName,
        E::CertExpired { .. } => CertificateError::Expired,
        E::CertNotValidYet { .. } => CertificateError::NotYetValid,
        E::InvalidSignatureForPublicKey => CertificateError::BadSignature,
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => CertificateError::UnsupportedSignatureAlgorithm,
        E::RequiredEkuNotFound
        | E::RequiredEkuNotFoundContext(_)
        | E::CaUsedAsEndEntity
        | E::EndEntityUsedAsCa
        | E::PathLenConstraintViolated
        | E::NameConstraintViolation
        | E::EmptyEkuExtension => CertificateError::InvalidPurpose,
        _ => CertificateError::BadEncoding,
    }
}

/// The content of a certificate's `subjectPublicKeyInfo` SEQUENCE (RFC 5280 §4.1): the
/// algorithm identifier and the key, both still DER.
fn leaf_spki(cert: &[u8]) -> Option<&[u8]> {
    use der::asn1::AnyRef;
    use der::{Decode, SliceReader, Tagged};
    // The first TLV of `bytes`, whatever follows it.
    let first = |bytes| {
        let mut r = SliceReader::new(bytes).ok()?;
        AnyRef::decode(&mut r).ok().map(|a| a.value())
    };
    let tbs = first(first(cert)?)?;
    // The certificate is already parsed and checked by rustls-webpki; read the TBS fields:
    // [0] version (optional), serial, signature, issuer, validity, subject, then the key.
    let mut r = SliceReader::new(tbs).ok()?;
    let first = AnyRef::decode(&mut r).ok()?;
    let skip = if first.tag().is_context_specific() {
        5
    } else {
        4
    };
    for _ in 0..skip {
        AnyRef::decode(&mut r).ok()?;
    }
    let spki = AnyRef::decode(&mut r).ok()?;
    (spki.tag() == der::Tag::Sequence).then(|| spki.value())
}

/// The algorithm identifier's content and the key bits of an SPKI's content.
fn spki_parts(spki: &[u8]) -> Option<(&[u8], &[u8])> {
    use der::asn1::AnyRef;
    use der::{Decode, Reader, SliceReader, Tagged};
    let mut r = SliceReader::new(spki).ok()?;
    let alg = AnyRef::decode(&mut r).ok()?;
    let key = AnyRef::decode(&mut r).ok()?;
    r.finish(()).ok()?;
    if alg.tag() != der::Tag::Sequence || key.tag() != der::Tag::BitString {
        return None;
    }
    let (unused, key) = key.value().split_first()?;
    (*unused == 0).then_some((alg.value(), key))
}

/// A socket that refuses TLS records embedded-tls cannot take: an encrypted record
/// (`application_data`) shorter than its 16-byte tag plus the content type.
#[derive(Debug)]
pub struct RecordGuard<S> {
    inner: S,
    header: [u8; 5],
    have: usize,
    remaining: usize,
}

impl<S> RecordGuard<S> {
    /// Guards `inner`.
    pub fn new(inner: S) -> Self {
        RecordGuard {
            inner,
            header: [0; 5],
            have: 0,
            remaining: 0,
        }
    }

    /// The socket.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The socket, unguarded.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn inspect(&mut self, mut bytes: &[u8]) -> Result<(), ErrorKind> {
        while !bytes.is_empty() {
            if self.remaining > 0 {
                let n = self.remaining.min(bytes.len());
                self.remaining -= n;
                bytes = &bytes[n..];
                continue;
            }
            self.header[self.have] = bytes[0];
            self.have += 1;
            bytes = &bytes[1..];
            if self.have == 5 {
                self.have = 0;
                let len = usize::from(u16::from_be_bytes([self.header[3], self.header[4]]));
                if self.header[0] == 23 && len < 17 {
                    return Err(ErrorKind::InvalidData);
                }
                self.remaining = len;
            }
        }
        Ok(())
    }
}

impl<S: ErrorType> ErrorType for RecordGuard<S> {
    type Error = ErrorKind;
}

impl<S: Read> Read for RecordGuard<S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        use embedded_io_async::Error as _;
        let n = self.inner.read(buf).await.map_err(|e| e.kind())?;
        self.inspect(&buf[..n])?;
        Ok(n)
    }
}

impl<S: Write> Write for RecordGuard<S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        use embedded_io_async::Error as _;
        self.inner.write(buf).await.map_err(|e| e.kind())
    }

    async fn flush(&mut self) -> Result<(), ErrorKind> {
        use embedded_io_async::Error as _;
        self.inner.flush().await.map_err(|e| e.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_refuses_empty_encrypted_records() {
        let mut g = RecordGuard::new(());
        // A handshake record of 4 bytes, then an application_data record of 17, split anyhow.
        assert!(g.inspect(&[22, 3, 3, 0, 4, 1, 2]).is_ok());
        assert!(g.inspect(&[3, 4, 23, 3]).is_ok());
        assert!(g.inspect(&[3, 0, 17]).is_ok());
        assert!(g.inspect(&[0u8; 17]).is_ok());
        assert_eq!(g.inspect(&[23, 3, 3, 0, 16]), Err(ErrorKind::InvalidData));
    }

    #[test]
    fn names_are_checked_when_the_verifier_is_made() {
        let anchors = TrustAnchors::new(&[]);
        assert!(ServerVerifier::new(anchors, "localhost", 0).is_ok());
        assert!(ServerVerifier::new(anchors, "127.0.0.1", 0).is_ok());
        for bad in ["", "a b", "exa\0mple.com", &"x".repeat(254)] {
            assert_eq!(
                ServerVerifier::new(anchors, bad, 0).err(),
                Some(TransportError::Certificate(
                    CertificateError::NotValidForName
                )),
                "{bad}"
            );
        }
    }

    /// The verifier embedded-tls would call, over `scratch`.
    fn held<'v, 'a>(v: &'v mut ServerVerifier<'a>, scratch: &'v mut [u8]) -> Held<'v, 'a> {
        Held {
            name: &v.name,
            checks: &mut v.checks,
            scratch,
        }
    }

    #[test]
    fn the_signature_step_needs_the_certificate_step() {
        let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
        let mut scratch = [0u8; 64];
        let mut h = held(&mut v, &mut scratch);
        let sig = CertificateVerifyRef {
            signature_scheme: SignatureScheme::EcdsaSecp256r1Sha256,
            signature: &[],
        };
        assert!(matches!(
            h.verify_signature(sig),
            Err(TlsError::InvalidHandshake)
        ));
        // An empty chain.
        let empty = CertificateRef::with_context(&[]);
        assert!(h.verify_certificate(&Sha256::new(), empty).is_err());
        assert!(!v.is_verified());
        assert_eq!(v.failure(), Some(CertificateError::BadEncoding));
    }

    #[test]
    fn the_chain_and_the_signature_are_held_in_the_scratch_buffer() {
        let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
        let mut scratch = [0u8; 10];
        let mut h = held(&mut v, &mut scratch);
        let mut chain = CertificateRef::with_context(&[]);
        chain.add(CertificateEntryRef::X509(b"leaf")).unwrap();
        chain.add(CertificateEntryRef::X509(b"ca")).unwrap();
        assert!(h.verify_certificate(&Sha256::new(), chain).is_ok());
        // A scheme TLS 1.3 does not allow is refused at once.
        let pkcs1 = CertificateVerifyRef {
            signature_scheme: SignatureScheme::RsaPkcs1Sha256,
            signature: b"s",
        };
        assert!(h.verify_signature(pkcs1).is_err());
        assert_eq!(
            h.checks.failure,
            Some(CertificateError::UnsupportedSignatureAlgorithm)
        );
        h.checks.failure = None;
        let sig = CertificateVerifyRef {
            signature_scheme: SignatureScheme::EcdsaSecp256r1Sha256,
            signature: b"sig",
        };
        assert!(h.verify_signature(sig).is_ok());
        assert_eq!(h.checks.chain.as_slice(), &[(0, 4), (4, 6)]);
        assert_eq!(
            h.checks.signature,
            Some((SignatureScheme::EcdsaSecp256r1Sha256, 6, 9))
        );
        assert_eq!(&scratch[..9], b"leafcasig");
        // Held, not verified: the checks run once the handshake is done, and these bytes are no
        // certificate.
        let c = &mut v.checks;
        assert_eq!(
            c.outcome(Ok(()), "localhost", &scratch),
            Err(TransportError::Certificate(CertificateError::BadEncoding))
        );
        assert!(!v.is_verified());
    }

    #[test]
    fn a_chain_larger_than_the_scratch_buffer_is_refused() {
        for (len, want) in [(5, true), (4, false), (0, false)] {
            let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
            let mut scratch = vec![0u8; len];
            let mut h = held(&mut v, &mut scratch);
            let mut chain = CertificateRef::with_context(&[]);
            chain.add(CertificateEntryRef::X509(b"leaf")).unwrap();
            chain.add(CertificateEntryRef::X509(b"c")).unwrap();
            assert_eq!(h.verify_certificate(&Sha256::new(), chain).is_ok(), want);
            if !want {
                assert_eq!(v.failure(), Some(CertificateError::ChainTooLarge), "{len}");
            }
            // The signature needs room after the chain too.
            if want {
                let mut h = held(&mut v, &mut scratch);
                let sig = CertificateVerifyRef {
                    signature_scheme: SignatureScheme::EcdsaSecp256r1Sha256,
                    signature: b"s",
                };
                assert!(h.verify_signature(sig).is_err());
                assert_eq!(v.failure(), Some(CertificateError::ChainTooLarge));
            }
        }
    }

    #[test]
    fn a_handshake_that_skipped_a_check_is_refused() {
        let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
        let c = &mut v.checks;
        // embedded-tls reported success, but no certificate came: refused.
        assert_eq!(
            c.outcome(Ok(()), "localhost", &[]),
            Err(TransportError::Tls)
        );
        // A certificate but no CertificateVerify before Finished (a man in the middle
        // replaying the server's chain): refused.
        c.step = Step::Certificate;
        assert_eq!(
            c.outcome(Ok(()), "localhost", &[]),
            Err(TransportError::Certificate(CertificateError::BadSignature))
        );
        c.step = Step::Done;
        assert_eq!(c.outcome(Ok(()), "localhost", &[]), Ok(()));
        assert_eq!(
            c.outcome(Err(TlsError::InvalidSignature), "localhost", &[]),
            Err(TransportError::Tls)
        );
        assert_eq!(
            c.outcome(Err(TlsError::ConnectionClosed), "localhost", &[]),
            Err(TransportError::Io)
        );
        // A failed check wins over what embedded-tls says.
        c.failure = Some(CertificateError::Expired);
        assert_eq!(
            c.outcome(Ok(()), "localhost", &[]),
            Err(TransportError::Certificate(CertificateError::Expired))
        );
    }

    #[test]
    fn spki_parts_are_read_strictly() {
        // SEQUENCE { OID }, BIT STRING { 0 unused, 0x04 }
        let spki = [0x30, 0x03, 0x06, 0x01, 0x2a, 0x03, 0x02, 0x00, 0x04];
        assert_eq!(
            spki_parts(&spki),
            Some((&[0x06, 0x01, 0x2a][..], &[0x04][..]))
        );
        let mut unused = spki;
        unused[7] = 1;
        assert_eq!(spki_parts(&unused), None);
        assert_eq!(spki_parts(&spki[..8]), None);
        assert_eq!(leaf_spki(b"\x30\x00"), None);
        assert_eq!(leaf_spki(b""), None);
    }
}
