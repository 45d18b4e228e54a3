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
//!    key usage and EKU `serverAuth` checked, and every signature verified ([`super::signature`]);
//! 2. the leaf must be valid for the host name (DNS SAN) or address (IP SAN) connected to;
//! 3. every certificate must be valid at the runtime clock's time (not the system's);
//! 4. the server's `CertificateVerify` must verify with the leaf's key over the transcript;
//! 5. after the handshake, [`connect`] checks that 1-4 all ran: embedded-tls would accept a
//!    `Finished` with no `CertificateVerify` before it, which a man in the middle can send.
//!
//! Any failure ends the handshake with an alert and a
//! [`TransportError::Certificate`] naming the check, or [`TransportError::Tls`].
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
/// The largest leaf `SubjectPublicKeyInfo` kept for `CertificateVerify` (RSA-4096 is 550).
const MAX_SPKI: usize = 640;
/// The most certificates a chain may have (embedded-tls reads at most 16).
const MAX_CHAIN: usize = 16;

/// Checks a TLS server's certificate chain, name, validity and handshake signature (see the
/// [module docs](self)). Made for one handshake.
#[derive(Debug)]
pub struct ServerVerifier<'a> {
    checks: Checks<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// No certificate yet.
    Start,
    /// The chain and name are verified; the handshake signature is next.
    Certificate,
    /// The handshake signature is verified too.
    Done,
}

#[derive(Debug)]
struct Checks<'a> {
    anchors: TrustAnchors<'a>,
    name: heapless::String<MAX_NAME>,
    now: UnixTime,
    spki: heapless::Vec<u8, MAX_SPKI>,
    transcript: Option<Sha256>,
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
            checks: Checks {
                anchors,
                name,
                now,
                spki: heapless::Vec::new(),
                transcript: None,
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
pub async fn connect<'b, S, R>(
    socket: S,
    read_buf: &'b mut [u8],
    write_buf: &'b mut [u8],
    rng: &mut R,
    verifier: &mut ServerVerifier<'_>,
) -> Result<TlsStream<'b, S>, TransportError>
where
    S: Read + Write + 'b,
    R: CryptoRngCore,
{
    let mut conn = TlsConnection::new(RecordGuard::new(socket), read_buf, write_buf);
    let checks = &mut verifier.checks;
    let name = checks.name.clone();
    let is_dns = matches!(
        ServerName::try_from(name.as_str()),
        Ok(ServerName::DnsName(_))
    );
    let config = TlsConfig::new().enable_rsa_signatures();
    // RFC 6066 §3: no address literal in SNI.
    let config = if is_dns {
        config.with_server_name(&name)
    } else {
        config
    };
    let provider = Provider { rng, checks };
    // Pinned where it is built: the handshake's state is never a stack temporary.
    let opened = core::pin::pin!(conn.open(TlsContext::new(&config, provider))).await;
    verifier.checks.outcome(opened)?;
    Ok(conn)
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
    checks: &'v mut Checks<'a>,
}

impl<R: CryptoRngCore> CryptoProvider for Provider<'_, '_, R> {
    type CipherSuite = CipherSuite;
    type Signature = p256::ecdsa::DerSignature;

    fn rng(&mut self) -> impl CryptoRngCore {
        &mut *self.rng
    }

    fn verifier(&mut self) -> Result<&mut impl TlsVerifier<CipherSuite>, TlsError> {
        Ok(&mut *self.checks)
    }
}

impl Checks<'_> {
    /// The handshake's result once embedded-tls is done: a failed check first, then the
    /// protocol's error, then whether every check ran.
    fn outcome(&self, opened: Result<(), TlsError>) -> Result<(), TransportError> {
        if let Some(failure) = self.failure {
            return Err(TransportError::Certificate(failure));
        }
        opened.map_err(tls_error)?;
        match self.step {
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
            CertificateError::BadSignature if self.step == Step::Certificate => {
                AlertDescription::DecryptError
            }
            _ => AlertDescription::BadCertificate,
        };
        TlsError::AbortHandshake(AlertLevel::Fatal, description)
    }

    fn check_chain(&mut self, cert: &CertificateRef<'_>) -> Result<(), CertificateError> {
        let mut ders: heapless::Vec<CertificateDer<'_>, MAX_CHAIN> = heapless::Vec::new();
        for entry in &cert.entries {
            let CertificateEntryRef::X509(der) = entry else {
                return Err(CertificateError::BadEncoding);
            };
            ders.push(CertificateDer::from_slice(der))
                .map_err(|_| CertificateError::UnknownIssuer)?;
        }
        let (leaf, intermediates) = ders.split_first().ok_or(CertificateError::BadEncoding)?;
        let ee = webpki::EndEntityCert::try_from(leaf).map_err(|e| webpki_error(&e))?;
        let now = rustls_pki_types::UnixTime::since_unix_epoch(core::time::Duration::from_secs(
            u64::try_from(self.now).unwrap_or(0),
        ));
        verify_path(&ee, self.anchors.as_slice(), intermediates, now)?;
        verify_name(&ee, self.name.as_str())?;
        let spki = leaf_spki(leaf.as_ref()).ok_or(CertificateError::BadEncoding)?;
        self.spki.clear();
        self.spki
            .extend_from_slice(spki)
            .map_err(|_| CertificateError::UnsupportedSignatureAlgorithm)?;
        Ok(())
    }

    fn check_signature(&self, verify: &CertificateVerifyRef<'_>) -> Result<(), CertificateError> {
        let alg: &dyn SignatureVerificationAlgorithm = match verify.signature_scheme {
            SignatureScheme::EcdsaSecp256r1Sha256 => signature::ECDSA_P256_SHA256,
            SignatureScheme::EcdsaSecp384r1Sha384 => signature::ECDSA_P384_SHA384,
            SignatureScheme::RsaPssRsaeSha256 => signature::RSA_PSS_SHA256,
            SignatureScheme::RsaPssRsaeSha384 => signature::RSA_PSS_SHA384,
            SignatureScheme::RsaPssRsaeSha512 => signature::RSA_PSS_SHA512,
            // PKCS#1 v1.5 is not allowed in TLS 1.3 handshakes (RFC 8446 §4.2.3); EdDSA and
            // the rest are not supported.
            _ => return Err(CertificateError::UnsupportedSignatureAlgorithm),
        };
        let transcript = self
            .transcript
            .clone()
            .ok_or(CertificateError::BadSignature)?;
        // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
        let mut message = [0x20u8; 64 + 34 + 32];
        message[64..98].copy_from_slice(b"TLS 1.3, server CertificateVerify\x00");
        message[98..].copy_from_slice(&transcript.finalize());
        let (alg_id, key) = spki_parts(&self.spki).ok_or(CertificateError::BadEncoding)?;
        if alg.public_key_alg_id().as_ref() != alg_id {
            return Err(CertificateError::UnsupportedSignatureAlgorithm);
        }
        alg.verify_signature(key, &message, verify.signature)
            .map_err(|_| CertificateError::BadSignature)
    }
}

impl TlsVerifier<CipherSuite> for Checks<'_> {
    fn set_hostname_verification(&mut self, hostname: &str) -> Result<(), TlsError> {
        // The SNI name `connect` set is the verifier's own; anything else is refused.
        if hostname.eq_ignore_ascii_case(&self.name) {
            Ok(())
        } else {
            Err(self.fail(CertificateError::NotValidForName))
        }
    }

    fn verify_certificate(
        &mut self,
        transcript: &Sha256,
        cert: CertificateRef<'_>,
    ) -> Result<(), TlsError> {
        if self.step != Step::Start {
            return Err(TlsError::InvalidHandshake);
        }
        self.check_chain(&cert).map_err(|e| self.fail(e))?;
        self.transcript = Some(transcript.clone());
        self.step = Step::Certificate;
        Ok(())
    }

    fn verify_signature(&mut self, verify: CertificateVerifyRef<'_>) -> Result<(), TlsError> {
        if self.step != Step::Certificate {
            return Err(TlsError::InvalidHandshake);
        }
        self.check_signature(&verify).map_err(|e| self.fail(e))?;
        self.step = Step::Done;
        Ok(())
    }
}

/// The chain of `ee` to one of `anchors` through `intermediates`, valid at `now`, for server
/// authentication. A frame of its own, never inlined: the path check and the name check run
/// one after the other, so their frames share the stack instead of adding up.
#[inline(never)]
fn verify_path(
    ee: &webpki::EndEntityCert<'_>,
    anchors: &[rustls_pki_types::TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    now: rustls_pki_types::UnixTime,
) -> Result<(), CertificateError> {
    ee.verify_for_usage(
        signature::ALL,
        anchors,
        intermediates,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| webpki_error(&e))
}

/// Whether `ee` is valid for the host `name` (a DNS name or an IP address). Never inlined (see
/// [`verify_path`]).
#[inline(never)]
fn verify_name(ee: &webpki::EndEntityCert<'_>, name: &str) -> Result<(), CertificateError> {
    let name = ServerName::try_from(name).map_err(|_| CertificateError::NotValidForName)?;
    ee.verify_is_valid_for_subject_name(&name)
        .map_err(|e| webpki_error(&e))
}

/// The category of a rustls-webpki error.
fn webpki_error(e: &webpki::Error) -> CertificateError {
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

    #[test]
    fn the_signature_step_needs_the_certificate_step() {
        let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
        let sig = CertificateVerifyRef {
            signature_scheme: SignatureScheme::EcdsaSecp256r1Sha256,
            signature: &[],
        };
        assert!(matches!(
            v.checks.verify_signature(sig),
            Err(TlsError::InvalidHandshake)
        ));
        assert!(!v.is_verified());
        // An empty chain, and a chain to no anchor.
        let empty = CertificateRef::with_context(&[]);
        assert!(v.checks.verify_certificate(&Sha256::new(), empty).is_err());
        assert_eq!(v.failure(), Some(CertificateError::BadEncoding));
    }

    #[test]
    fn a_handshake_that_skipped_a_check_is_refused() {
        let mut v = ServerVerifier::new(TrustAnchors::new(&[]), "localhost", 0).unwrap();
        let c = &mut v.checks;
        // embedded-tls reported success, but no certificate came: refused.
        assert_eq!(c.outcome(Ok(())), Err(TransportError::Tls));
        // A certificate but no CertificateVerify before Finished (a man in the middle
        // replaying the server's chain): refused.
        c.step = Step::Certificate;
        assert_eq!(
            c.outcome(Ok(())),
            Err(TransportError::Certificate(CertificateError::BadSignature))
        );
        c.step = Step::Done;
        assert_eq!(c.outcome(Ok(())), Ok(()));
        assert_eq!(
            c.outcome(Err(TlsError::InvalidSignature)),
            Err(TransportError::Tls)
        );
        assert_eq!(
            c.outcome(Err(TlsError::ConnectionClosed)),
            Err(TransportError::Io)
        );
        // A failed check wins over what embedded-tls says.
        c.failure = Some(CertificateError::Expired);
        assert_eq!(
            c.outcome(Ok(())),
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
