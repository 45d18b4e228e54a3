//! A server's certificate path: found and checked by rustls-webpki (the anchors, basic and
//! name constraints, validity, key usage and EKU), with its signatures checked once the path
//! is found rather than while it is searched.
//!
//! rustls-webpki checks the signatures of a candidate path from inside its search, which
//! recurses (several KB of stack per level, and more above it); a signature check needs
//! several KB of its own (P-256's tables, RSA's big integers). Checked there, the two add up
//! on the deepest stack of a connection. So the search is handed stand-ins for the
//! [`signature`](super::signature) algorithms, which only note where each key, message and
//! signature lies and let the search go on; once rustls-webpki has a path, each of its links
//! is checked with the real algorithm, in a frame of its own ([`verify`]).
//!
//! A link whose signature fails is marked, and the search runs again with the stand-ins
//! refusing that link, so rustls-webpki moves on to its next candidate as it would have had
//! the signature been checked in place: the same paths are accepted and refused (two anchors
//! of one name, one with the key that signed, is the case that needs it). After
//! [`MAX_REFUSED`] failed links the path is refused with
//! [`CertificateError::BadSignature`].
//!
//! Where a byte string lies is found by its address within the held chain or an anchor's key;
//! one that lies elsewhere cannot be checked later and is refused by the stand-in at once.

use super::signature;
use super::tls::webpki_error;
use crate::runtime::CertificateError;
use core::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    TrustAnchor, UnixTime,
};

/// The most links whose signatures may fail before a path is refused.
const MAX_REFUSED: usize = 4;

/// The signatures noted in one search: at least the longest path's links (rustls-webpki
/// allows six intermediates, so seven links). The search notes the links of the path it
/// returns last, so they are the last ones noted.
const NOTES: usize = 8;

/// Where a byte string lies: in the held chain (`within == 0`) or in the `within - 1`th
/// anchor's `subjectPublicKeyInfo`; its offset and length there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    within: u16,
    start: u16,
    len: u16,
}

impl Span {
    /// Whether `self` lies inside `outer`.
    fn inside(self, outer: Span) -> bool {
        self.within == outer.within
            && self.start >= outer.start
            && usize::from(self.start) + usize::from(self.len)
                <= usize::from(outer.start) + usize::from(outer.len)
    }
}

/// A link of a path: the issuer's key and the message it signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    key: Span,
    message: Span,
}

/// One signature the search asked for: the algorithm (its index in [`signature::ALL`]), the
/// key, the signed message and the signature.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Noted {
    alg: u16,
    key: Span,
    message: Span,
    signature: Span,
}

/// What the stand-ins share: where byte strings may lie, the refused links, and the notes.
/// Atomics because rustls-pki-types' algorithms are `Sync` and checked through `&self`
/// (loads and stores only, which every target has).
#[derive(Debug)]
struct Log<'a> {
    chain: &'a [u8],
    anchors: &'a [TrustAnchor<'a>],
    refused: &'a [Link],
    /// Each note as its ten numbers ([`Noted`]'s fields in order).
    notes: [[AtomicU16; 10]; NOTES],
    /// How many signatures were noted; the last is at `(count - 1) % NOTES`.
    count: AtomicUsize,
}

impl<'a> Log<'a> {
    fn new(chain: &'a [u8], anchors: &'a [TrustAnchor<'a>], refused: &'a [Link]) -> Self {
        Log {
            chain,
            anchors,
            refused,
            notes: Default::default(),
            count: AtomicUsize::new(0),
        }
    }

    /// The bytes a span names within.
    fn outer(&self, within: u16) -> Option<&'a [u8]> {
        match within {
            0 => Some(self.chain),
            n => Some(
                self.anchors
                    .get(usize::from(n) - 1)?
                    .subject_public_key_info
                    .as_ref(),
            ),
        }
    }

    /// Where `bytes` lies, if in the chain or an anchor's key.
    fn locate(&self, bytes: &[u8]) -> Option<Span> {
        (0..=self.anchors.len()).find_map(|n| {
            let within = u16::try_from(n).ok()?;
            let outer = self.outer(within)?;
            let start = (bytes.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
            (start.checked_add(bytes.len())? <= outer.len()).then_some(())?;
            Some(Span {
                within,
                start: u16::try_from(start).ok()?,
                len: u16::try_from(bytes.len()).ok()?,
            })
        })
    }

    /// The bytes of `span`.
    fn bytes(&self, span: Span) -> Option<&'a [u8]> {
        let start = usize::from(span.start);
        self.outer(span.within)?
            .get(start..start + usize::from(span.len))
    }

    fn note(&self, noted: Noted) {
        let n = self.count.load(Ordering::Relaxed);
        let numbers = [
            noted.alg,
            noted.key.within,
            noted.key.start,
            noted.key.len,
            noted.message.within,
            noted.message.start,
            noted.message.len,
            noted.signature.within,
            noted.signature.start,
            noted.signature.len,
        ];
        for (slot, v) in self.notes[n % NOTES].iter().zip(numbers) {
            slot.store(v, Ordering::Relaxed);
        }
        self.count.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    /// The notes still held, the latest first.
    fn latest(&self) -> impl Iterator<Item = Noted> + '_ {
        let count = self.count.load(Ordering::Relaxed);
        (0..count.min(NOTES)).map(move |back| {
            let v = self.notes[(count - 1 - back) % NOTES]
                .each_ref()
                .map(|a| a.load(Ordering::Relaxed));
            let span = |i: usize| Span {
                within: v[i],
                start: v[i + 1],
                len: v[i + 2],
            };
            Noted {
                alg: v[0],
                key: span(1),
                message: span(4),
                signature: span(7),
            }
        })
    }
}

/// A stand-in for `signature::ALL[alg]` during the search (see the module's docs).
#[derive(Debug)]
struct StandIn<'l> {
    alg: u16,
    log: &'l Log<'l>,
}

impl StandIn<'_> {
    fn real(&self) -> &'static dyn SignatureVerificationAlgorithm {
        signature::ALL[usize::from(self.alg)]
    }
}

impl SignatureVerificationAlgorithm for StandIn<'_> {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let log = self.log;
        let (Some(key), Some(message), Some(signature)) = (
            log.locate(public_key),
            log.locate(message),
            log.locate(signature),
        ) else {
            return Err(InvalidSignature);
        };
        if log.refused.contains(&Link { key, message }) {
            return Err(InvalidSignature);
        }
        log.note(Noted {
            alg: self.alg,
            key,
            message,
            signature,
        });
        Ok(())
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.real().public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.real().signature_alg_id()
    }
}

/// The links of a found path, leaf first: each certificate and its issuer (the next
/// certificate, or the anchor's key for the last).
type Links = heapless::Vec<(Span, Span), NOTES>;

/// Checks the chain of `ee` to one of `anchors` through `intermediates` (all of them in
/// `chain`), valid at `now`, for server authentication, with every signature of the path.
pub(super) fn verify(
    ee: &webpki::EndEntityCert<'_>,
    anchors: &[TrustAnchor<'_>],
    intermediates: &[CertificateDer<'_>],
    chain: &[u8],
    now: UnixTime,
) -> Result<(), CertificateError> {
    let mut refused: heapless::Vec<Link, MAX_REFUSED> = heapless::Vec::new();
    loop {
        let log = Log::new(chain, anchors, &refused);
        let links = search(&log, ee, intermediates, now)?;
        match check(&log, &links) {
            Ok(()) => return Ok(()),
            Err(Some(link)) => refused
                .push(link)
                .map_err(|_| CertificateError::BadSignature)?,
            Err(None) => return Err(CertificateError::BadSignature),
        }
    }
}

/// rustls-webpki's search with the stand-ins: the path it found, as links. Never inlined:
/// the search's frames and the signature checks ([`check`]) share the stack.
#[inline(never)]
fn search(
    log: &Log<'_>,
    ee: &webpki::EndEntityCert<'_>,
    intermediates: &[CertificateDer<'_>],
    now: UnixTime,
) -> Result<Links, CertificateError> {
    let stand_ins: [StandIn<'_>; signature::ALL.len()] =
        core::array::from_fn(|i| StandIn { alg: i as u16, log });
    let algs: [&dyn SignatureVerificationAlgorithm; signature::ALL.len()] =
        core::array::from_fn(|i| &stand_ins[i] as &dyn SignatureVerificationAlgorithm);
    let path = ee
        .verify_for_usage(
            &algs,
            log.anchors,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| webpki_error(&e))?;
    let unplaced = CertificateError::BadSignature;
    let mut certs: heapless::Vec<Span, NOTES> = heapless::Vec::new();
    let ders = core::iter::once(path.end_entity().der())
        .chain(path.intermediate_certificates().map(|c| c.der()));
    for der in ders {
        let span = log.locate(der.as_ref()).ok_or(unplaced)?;
        certs.push(span).map_err(|_| unplaced)?;
    }
    let anchor = log
        .locate(path.anchor().subject_public_key_info.as_ref())
        .filter(|s| s.within != 0)
        .ok_or(unplaced)?;
    let mut links = Links::new();
    for (i, &cert) in certs.iter().enumerate() {
        let issuer = certs.get(i + 1).copied().unwrap_or(anchor);
        links.push((cert, issuer)).map_err(|_| unplaced)?;
    }
    Ok(links)
}

/// Each link's signature, with the real algorithm: `Err(Some(link))` for the first that
/// fails, `Err(None)` for a link the search noted no signature for (which it always does:
/// refused, not trusted). Never inlined (see [`search`]).
#[inline(never)]
fn check(log: &Log<'_>, links: &Links) -> Result<(), Option<Link>> {
    for &(cert, issuer) in links {
        let noted = log
            .latest()
            .find(|n| n.message.inside(cert) && n.signature.inside(cert) && n.key.inside(issuer))
            .ok_or(None)?;
        let (Some(key), Some(message), Some(signature)) = (
            log.bytes(noted.key),
            log.bytes(noted.message),
            log.bytes(noted.signature),
        ) else {
            return Err(None);
        };
        let alg = signature::ALL.get(usize::from(noted.alg)).ok_or(None)?;
        alg.verify_signature(key, message, signature).map_err(|_| {
            Some(Link {
                key: noted.key,
                message: noted.message,
            })
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_found_by_address_and_read_back() {
        let chain = [7u8; 64];
        let spki = [9u8; 16];
        let anchors = [TrustAnchor {
            subject: (&[][..]).into(),
            subject_public_key_info: (&spki[..]).into(),
            name_constraints: None,
        }];
        let log = Log::new(&chain, &anchors, &[]);
        let s = log.locate(&chain[10..20]).unwrap();
        assert_eq!(
            s,
            Span {
                within: 0,
                start: 10,
                len: 10
            }
        );
        assert_eq!(log.bytes(s), Some(&chain[10..20]));
        let k = log.locate(&spki[2..]).unwrap();
        assert_eq!((k.within, k.start, k.len), (1, 2, 14));
        assert!(s.inside(Span {
            within: 0,
            start: 0,
            len: 64
        }));
        assert!(!k.inside(Span {
            within: 0,
            start: 0,
            len: 64
        }));
        // Bytes elsewhere have no span, so a stand-in refuses them.
        let other = [1u8; 8];
        assert_eq!(log.locate(&other), None);
        let stand_in = StandIn { alg: 0, log: &log };
        assert!(stand_in.verify_signature(&other, &chain, &chain).is_err());
    }

    #[test]
    fn the_latest_notes_come_first_and_old_ones_are_dropped() {
        let chain = [0u8; 256];
        let log = Log::new(&chain, &[], &[]);
        let stand_in = StandIn { alg: 3, log: &log };
        for i in 0..(NOTES + 2) {
            stand_in
                .verify_signature(&chain[i..i + 1], &chain[100..110], &chain[200..201])
                .unwrap();
        }
        let starts: heapless::Vec<u16, NOTES> = log.latest().map(|n| n.key.start).collect();
        let expected: heapless::Vec<u16, NOTES> = (2..(NOTES as u16 + 2)).rev().collect();
        assert_eq!(starts, expected);
        assert!(log.latest().all(|n| n.alg == 3 && n.message.len == 10));
    }

    #[test]
    fn a_refused_link_is_refused_by_its_stand_in() {
        let chain = [0u8; 64];
        let key = Span {
            within: 0,
            start: 0,
            len: 4,
        };
        let message = Span {
            within: 0,
            start: 8,
            len: 8,
        };
        let refused = [Link { key, message }];
        let log = Log::new(&chain, &[], &refused);
        let stand_in = StandIn { alg: 0, log: &log };
        assert!(
            stand_in
                .verify_signature(&chain[0..4], &chain[8..16], &chain[20..30])
                .is_err()
        );
        assert!(
            stand_in
                .verify_signature(&chain[0..4], &chain[8..17], &chain[20..30])
                .is_ok()
        );
        assert_eq!(log.latest().count(), 1);
    }
}
