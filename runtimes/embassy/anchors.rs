//! Trust anchors: the roots a server's chain must lead to. Either Mozilla's roots from
//! webpki-roots (feature `embassy-webpki-roots`), or certificates the application passes as DER
//! or PEM, parsed without allocation into an [`AnchorStore`] of fixed capacity.

use core::fmt;
use rustls_pki_types::{CertificateDer, Der, TrustAnchor};

/// The trust anchors a [`ServerVerifier`](super::ServerVerifier) checks chains against: a
/// borrowed list, cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct TrustAnchors<'a> {
    anchors: &'a [TrustAnchor<'a>],
}

impl<'a> TrustAnchors<'a> {
    /// Anchors already in rustls-pki-types' form (from webpki-roots, or made by
    /// `rustls_webpki::anchor_from_trusted_cert`).
    pub const fn new(anchors: &'a [TrustAnchor<'a>]) -> Self {
        TrustAnchors { anchors }
    }

    /// Mozilla's root certificates as published by webpki-roots (about 150 roots, in flash).
    #[cfg(feature = "embassy-webpki-roots")]
    pub const fn webpki_roots() -> TrustAnchors<'static> {
        TrustAnchors {
            anchors: webpki_roots::TLS_SERVER_ROOTS,
        }
    }

    /// The anchors.
    pub fn as_slice(&self) -> &'a [TrustAnchor<'a>] {
        self.anchors
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none (then every server is refused with
    /// [`CertificateError::UnknownIssuer`](crate::runtime::CertificateError::UnknownIssuer)).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

/// Why a trust anchor could not be added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnchorError {
    /// The store holds as many anchors as its capacity.
    Full {
        /// The capacity.
        capacity: usize,
    },
    /// A PEM block is malformed, is not a `CERTIFICATE`, or does not fit the scratch buffer.
    Pem,
    /// No `CERTIFICATE` block in the PEM text.
    NoCertificate,
    /// A certificate is not valid DER X.509.
    BadCertificate,
}

impl fmt::Display for AnchorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorError::Full { capacity } => write!(
                f,
                "the trust anchor store is full ({capacity} anchors): give it a larger capacity"
            ),
            AnchorError::Pem => f.write_str(
                "a trust anchor PEM block is malformed, not a CERTIFICATE, or larger than the scratch buffer",
            ),
            AnchorError::NoCertificate => {
                f.write_str("no CERTIFICATE block in the trust anchor PEM text")
            }
            AnchorError::BadCertificate => {
                f.write_str("a trust anchor is not a valid DER X.509 certificate")
            }
        }
    }
}

impl core::error::Error for AnchorError {}

/// Up to `N` trust anchors parsed from certificates the application passes (its own CA, a
/// provider's root), borrowing their DER bytes.
///
/// ```
/// use auth0_edge::embassy::{AnchorError, AnchorStore};
/// # let key = rcgen::KeyPair::generate().unwrap();
/// # let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
/// # ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
/// # let ca_pem = ca.self_signed(&key).unwrap().pem();
/// // `ca_pem`: your CA's certificate, PEM (for example `include_str!("ca.pem")`).
/// let mut scratch = [0u8; 2048];
/// let store = AnchorStore::<4>::from_pem(&ca_pem, &mut scratch)?;
/// assert_eq!(store.anchors().len(), 1);
/// // Malformed PEM is an error value.
/// let mut scratch = [0u8; 2048];
/// let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
/// assert_eq!(AnchorStore::<4>::from_pem(bad, &mut scratch).err(), Some(AnchorError::BadCertificate));
/// # Ok::<(), AnchorError>(())
/// ```
#[derive(Clone, Debug)]
pub struct AnchorStore<'a, const N: usize> {
    anchors: heapless::Vec<TrustAnchor<'a>, N>,
}

impl<const N: usize> Default for AnchorStore<'_, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a, const N: usize> AnchorStore<'a, N> {
    /// An empty store.
    pub const fn new() -> Self {
        AnchorStore {
            anchors: heapless::Vec::new(),
        }
    }

    /// A store of the DER certificates `ders`.
    pub fn from_der(ders: &[&'a [u8]]) -> Result<Self, AnchorError> {
        let mut store = Self::new();
        for der in ders {
            store.add_der(der)?;
        }
        Ok(store)
    }

    /// A store of every `CERTIFICATE` block of `pem`, decoded into `scratch` (which must hold
    /// all of their DER bytes, about three quarters of the PEM text).
    pub fn from_pem(pem: &str, scratch: &'a mut [u8]) -> Result<Self, AnchorError> {
        let mut store = Self::new();
        let mut rest = scratch;
        let mut text = pem;
        while let Some(begin) = text.find("-----BEGIN ") {
            let after = &text[begin..];
            let end_marker = after.find("-----END ").ok_or(AnchorError::Pem)?;
            let close = after[end_marker + 9..]
                .find("-----")
                .ok_or(AnchorError::Pem)?;
            let block_len = end_marker + 9 + close + 5;
            let block = &after[..block_len];
            text = &after[block_len..];
            let (label, der_len) = {
                let (label, der) =
                    pem_rfc7468::decode(block.as_bytes(), rest).map_err(|_| AnchorError::Pem)?;
                (label, der.len())
            };
            if label != "CERTIFICATE" {
                return Err(AnchorError::Pem);
            }
            let (der, tail) = core::mem::take(&mut rest).split_at_mut(der_len);
            rest = tail;
            store.add_der(der)?;
        }
        if store.anchors.is_empty() {
            return Err(AnchorError::NoCertificate);
        }
        Ok(store)
    }

    /// Adds the DER certificate `der`.
    pub fn add_der(&mut self, der: &'a [u8]) -> Result<(), AnchorError> {
        if self.anchors.is_full() {
            return Err(AnchorError::Full { capacity: N });
        }
        let cert = CertificateDer::from_slice(der);
        let parsed =
            webpki::anchor_from_trusted_cert(&cert).map_err(|_| AnchorError::BadCertificate)?;
        // The parsed anchor borrows `cert` (a local); its parts are slices of `der`, so take
        // them again from `der` itself to keep them for `'a`.
        let part = |d: &Der<'_>| rebase(der, d.as_ref()).map(Der::from_slice);
        let anchor = TrustAnchor {
            subject: part(&parsed.subject).ok_or(AnchorError::BadCertificate)?,
            subject_public_key_info: part(&parsed.subject_public_key_info)
                .ok_or(AnchorError::BadCertificate)?,
            name_constraints: match &parsed.name_constraints {
                Some(nc) => Some(part(nc).ok_or(AnchorError::BadCertificate)?),
                None => None,
            },
        };
        self.anchors
            .push(anchor)
            .map_err(|_| AnchorError::Full { capacity: N })
    }

    /// The anchors, for a verifier or a transport.
    pub fn anchors(&self) -> TrustAnchors<'_> {
        TrustAnchors {
            anchors: &self.anchors,
        }
    }
}

/// `part` (a sub-slice of `base`, by address) as a slice of `base` with `base`'s lifetime.
fn rebase<'a>(base: &'a [u8], part: &[u8]) -> Option<&'a [u8]> {
    let offset = (part.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    base.get(offset..offset.checked_add(part.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebase_finds_sub_slices_only() {
        let base = [1u8, 2, 3, 4, 5];
        assert_eq!(rebase(&base, &base[1..3]), Some(&base[1..3]));
        assert_eq!(rebase(&base, &base[5..]), Some(&base[5..]));
        assert_eq!(rebase(&base[..2], &base[1..4]), None);
        assert_eq!(rebase(&base[2..], &base[..1]), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut scratch = [0u8; 64];
        assert_eq!(
            AnchorStore::<1>::from_pem("no pem here", &mut scratch).err(),
            Some(AnchorError::NoCertificate)
        );
        assert_eq!(
            AnchorStore::<1>::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n", &mut scratch).err(),
            Some(AnchorError::Pem)
        );
        assert_eq!(
            AnchorStore::<1>::from_pem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                &mut scratch
            )
            .err(),
            Some(AnchorError::BadCertificate)
        );
        assert_eq!(
            AnchorStore::<1>::from_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                &mut scratch
            )
            .err(),
            Some(AnchorError::Pem)
        );
        assert_eq!(
            AnchorStore::<1>::from_der(&[b"\x30\x00"]).err(),
            Some(AnchorError::BadCertificate)
        );
        assert_eq!(
            AnchorStore::<0>::from_der(&[b"\x30\x00"]).err(),
            Some(AnchorError::Full { capacity: 0 })
        );
    }
}
