//! RSASSA-PKCS1-v1_5 with SHA-256 verification (RFC 8017 §8.2.2) for RS256, without
//! allocation: the modulus lives in a fixed-width `crypto-bigint` integer of 2048, 3072 or
//! 4096 bits, with its Montgomery parameters computed once when the key is loaded.
//!
//! Verification handles only public values, so it need not run in constant time; the public
//! exponent is applied by plain square-and-multiply (17 products for 65537).

use crate::{JwkError, JwsError};
use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Limb, Uint};
use sha2::{Digest, Sha256};

/// The DER prefix of a SHA-256 `DigestInfo` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const MAX_BYTES: usize = 512;

#[derive(Clone, Debug)]
struct Modulus<const L: usize> {
    params: DynResidueParams<L>,
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // No heap: the modulus lives inline at its width.
enum Width {
    W2048(Modulus<{ 2048 / Limb::BITS }>),
    W3072(Modulus<{ 3072 / Limb::BITS }>),
    W4096(Modulus<{ 4096 / Limb::BITS }>),
}

/// An RSA public key of 2048 to 4096 bits, ready to verify RS256 signatures.
#[derive(Clone, Debug)]
pub struct RsaPublicKey {
    width: Width,
    /// The modulus length in bytes (`k` in RFC 8017).
    k: usize,
    bits: usize,
    e: u64,
}

fn uint_from_be<const L: usize>(bytes: &[u8]) -> Option<Uint<L>> {
    let size = L * Limb::BYTES;
    if bytes.len() > size || size > MAX_BYTES {
        return None;
    }
    let mut padded = [0u8; MAX_BYTES];
    padded[size - bytes.len()..size].copy_from_slice(bytes);
    Some(Uint::from_be_slice(&padded[..size]))
}

/// Writes `x` big-endian into `out` (which is `L * Limb::BYTES` long or shorter, keeping the
/// low-order bytes).
fn uint_to_be<const L: usize>(x: &Uint<L>, out: &mut [u8]) {
    let mut full = [0u8; MAX_BYTES];
    let size = L * Limb::BYTES;
    for (i, limb) in x.as_limbs().iter().rev().enumerate() {
        let b = limb.0.to_be_bytes();
        full[i * Limb::BYTES..(i + 1) * Limb::BYTES].copy_from_slice(&b);
    }
    let n = out.len().min(size);
    out[..n].copy_from_slice(&full[size - n..size]);
}

impl<const L: usize> Modulus<L> {
    fn new(n: &[u8]) -> Option<Self> {
        let n = uint_from_be::<L>(n)?;
        #[allow(deprecated)] // `new_checked` is the non-panicking constructor in 0.5.
        let params = Option::from(DynResidueParams::new_checked(&n))?;
        Some(Modulus { params })
    }

    /// `s^e mod n` as `k` big-endian bytes, or `None` if `s >= n`.
    fn exp(&self, s: &[u8], e: u64, out: &mut [u8]) -> Option<()> {
        let s = uint_from_be::<L>(s)?;
        if s >= *self.params.modulus() {
            return None;
        }
        let base = DynResidue::new(&s, self.params);
        let mut acc = base;
        let top = 63 - e.leading_zeros();
        for bit in (0..top).rev() {
            acc = acc.square();
            if (e >> bit) & 1 == 1 {
                acc = acc.mul(&base);
            }
        }
        uint_to_be(&acc.retrieve(), out);
        Some(())
    }

    fn modulus_be(&self, out: &mut [u8]) {
        uint_to_be(self.params.modulus(), out)
    }
}

impl RsaPublicKey {
    /// A key from its big-endian modulus `n` and exponent `e` (leading zero bytes allowed).
    ///
    /// The modulus must be odd and 2048 to 4096 bits; the exponent odd, at least 3 and at most
    /// 64 bits.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, JwkError> {
        let n = strip_zeros(n);
        let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        let e = strip_zeros(e);
        let bad = JwkError::RsaKeySize { bits };
        if !(2048..=4096).contains(&bits) || n.last().is_none_or(|b| b & 1 == 0) || e.len() > 8 {
            return Err(bad);
        }
        let mut e8 = [0u8; 8];
        e8[8 - e.len()..].copy_from_slice(e);
        let e = u64::from_be_bytes(e8);
        if e < 3 || e & 1 == 0 {
            return Err(bad);
        }
        let width = if bits <= 2048 {
            Width::W2048(Modulus::new(n).ok_or(bad)?)
        } else if bits <= 3072 {
            Width::W3072(Modulus::new(n).ok_or(bad)?)
        } else {
            Width::W4096(Modulus::new(n).ok_or(bad)?)
        };
        Ok(RsaPublicKey {
            width,
            k: n.len(),
            bits,
            e,
        })
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// The public exponent.
    pub fn exponent(&self) -> u64 {
        self.e
    }

    /// The modulus length in bytes.
    pub fn modulus_len(&self) -> usize {
        self.k
    }

    /// Writes the modulus big-endian, without leading zeros, into `out` (at least
    /// [`RsaPublicKey::modulus_len`] bytes) and returns it.
    pub fn write_modulus<'o>(&self, out: &'o mut [u8]) -> Option<&'o [u8]> {
        let dst = out.get_mut(..self.k)?;
        match &self.width {
            Width::W2048(m) => m.modulus_be(dst),
            Width::W3072(m) => m.modulus_be(dst),
            Width::W4096(m) => m.modulus_be(dst),
        }
        Some(dst)
    }

    /// Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub fn verify_pkcs1v15_sha256(&self, message: &[u8], signature: &[u8]) -> Result<(), JwsError> {
        let k = self.k;
        if signature.len() != k {
            return Err(JwsError::BadSignature);
        }
        let mut em = [0u8; MAX_BYTES];
        let em = &mut em[..k];
        let ok = match &self.width {
            Width::W2048(m) => m.exp(signature, self.e, em),
            Width::W3072(m) => m.exp(signature, self.e, em),
            Width::W4096(m) => m.exp(signature, self.e, em),
        };
        ok.ok_or(JwsError::BadSignature)?;
        let mut expected = [0u8; MAX_BYTES];
        let expected = &mut expected[..k];
        encode_pkcs1v15_sha256(message, expected);
        if em == expected {
            Ok(())
        } else {
            Err(JwsError::BadSignature)
        }
    }
}

/// EMSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §9.2) of `message`, filling `em` (the modulus
/// length, at least 62 bytes): `0x00 || 0x01 || PS (0xff…) || 0x00 || DigestInfo || H`.
fn encode_pkcs1v15_sha256(message: &[u8], em: &mut [u8]) {
    let k = em.len();
    let t_len = SHA256_DIGEST_INFO.len() + 32;
    let ps_len = k - 3 - t_len;
    em.fill(0xff);
    em[0] = 0;
    em[1] = 1;
    em[2 + ps_len] = 0;
    em[3 + ps_len..3 + ps_len + SHA256_DIGEST_INFO.len()].copy_from_slice(&SHA256_DIGEST_INFO);
    em[k - 32..].copy_from_slice(&Sha256::digest(message));
}

/// Signs `message` RSASSA-PKCS1-v1_5 SHA-256 with a 2048-bit private key (`n`, `d`
/// big-endian) into `out` (256 bytes). For the test devices only: `pow` is constant-time in
/// the exponent's value but nothing else here is hardened.
#[cfg(feature = "testing")]
pub(crate) fn sign_pkcs1v15_sha256_2048(
    n: &[u8],
    d: &[u8],
    message: &[u8],
    out: &mut [u8; 256],
) -> Option<()> {
    const L: usize = 2048 / Limb::BITS;
    let m = Modulus::<L>::new(n)?;
    let d = uint_from_be::<L>(d)?;
    let mut em = [0u8; 256];
    encode_pkcs1v15_sha256(message, &mut em);
    let base = DynResidue::new(&uint_from_be::<L>(&em)?, m.params);
    uint_to_be(&base.pow(&d).retrieve(), out);
    Some(())
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_sizes() {
        let small = [0xffu8; 128];
        assert!(matches!(
            RsaPublicKey::from_components(&small, &[1, 0, 1]),
            Err(JwkError::RsaKeySize { bits: 1024 })
        ));
        let mut even = [0xffu8; 256];
        even[255] = 0xfe;
        assert!(RsaPublicKey::from_components(&even, &[1, 0, 1]).is_err());
        let big = [0xffu8; 513];
        assert!(RsaPublicKey::from_components(&big, &[1, 0, 1]).is_err());
        let ok = [0xffu8; 256];
        assert!(RsaPublicKey::from_components(&ok, &[2]).is_err());
        assert!(RsaPublicKey::from_components(&ok, &[1]).is_err());
        assert!(RsaPublicKey::from_components(&ok, &[1, 0, 0, 0, 0, 0, 0, 0, 1]).is_err());
        let key = RsaPublicKey::from_components(&ok, &[0, 1, 0, 1]).unwrap();
        assert_eq!((key.bits(), key.exponent()), (2048, 65537));
        // Signatures of the wrong length or not below n fail without panicking.
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0u8; 255]).is_err());
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0xffu8; 256]).is_err());
        assert!(key.verify_pkcs1v15_sha256(b"m", &[0x01u8; 256]).is_err());
    }
}
