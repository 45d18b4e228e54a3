//! Signature verification for certificates and the TLS 1.3 handshake, over the core's crypto:
//! rustls-pki-types' [`SignatureVerificationAlgorithm`] for ECDSA (p256 and p384, the
//! RustCrypto line the core uses) and RSA (the core's no-alloc
//! [`crate::jose::RsaPublicKey`]: PKCS#1 v1.5 and PSS).
//!
//! [`ALL`] is what [`ServerVerifier`](super::ServerVerifier) hands rustls-webpki for the
//! chain; the handshake signature picks one by its TLS `SignatureScheme`.

use crate::jose::RsaPublicKey;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rustls_pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};
use sha2::{Digest, Sha256, Sha384, Sha512};

#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The digest of `message` in `out`, and its length. Never inlined: the hash's state
    /// takes the stack only while it runs, not under the verification that follows.
    #[inline(never)]
    fn digest(self, message: &[u8], out: &mut [u8; 64]) -> usize {
        match self {
            Hash::Sha256 => {
                out[..32].copy_from_slice(&Sha256::digest(message));
                32
            }
            Hash::Sha384 => {
                out[..48].copy_from_slice(&Sha384::digest(message));
                48
            }
            Hash::Sha512 => {
                out.copy_from_slice(&Sha512::digest(message));
                64
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Curve {
    P256,
    P384,
}

/// ECDSA over P-256 or P-384 with a SHA-2 hash; signatures DER-encoded, keys SEC1 points.
#[derive(Debug)]
struct Ecdsa {
    curve: Curve,
    hash: Hash,
    signature_alg_id: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let mut digest = [0u8; 64];
        let n = self.hash.digest(message, &mut digest);
        let prehash = &digest[..n];
        let ok = match self.curve {
            Curve::P256 => verify_p256(public_key, prehash, signature),
            Curve::P384 => verify_p384(public_key, prehash, signature),
        };
        ok.then_some(()).ok_or(InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        match self.curve {
            Curve::P256 => alg_id::ECDSA_P256,
            Curve::P384 => alg_id::ECDSA_P384,
        }
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

/// An ECDSA P-256 signature (DER) of `prehash` with the SEC1 `public_key`. Each curve in a
/// frame of its own, never inlined, and the key parsed in another: the verification's frames
/// are the deepest of a TLS connection's (its certificate checks), and this way the two
/// curves' locals and the key's decoding share the stack instead of adding up.
#[inline(never)]
fn verify_p256(public_key: &[u8], prehash: &[u8], signature: &[u8]) -> bool {
    let Some(key) = p256_key(public_key) else {
        return false;
    };
    p256::ecdsa::Signature::from_der(signature)
        .is_ok_and(|sig| key.verify_prehash(prehash, &sig).is_ok())
}

/// The P-256 key of a SEC1 point (see [`verify_p256`]).
#[inline(never)]
fn p256_key(public_key: &[u8]) -> Option<p256::ecdsa::VerifyingKey> {
    p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok()
}

/// [`verify_p256`] for P-384.
#[inline(never)]
fn verify_p384(public_key: &[u8], prehash: &[u8], signature: &[u8]) -> bool {
    let Some(key) = p384_key(public_key) else {
        return false;
    };
    p384::ecdsa::Signature::from_der(signature)
        .is_ok_and(|sig| key.verify_prehash(prehash, &sig).is_ok())
}

/// The P-384 key of a SEC1 point (see [`verify_p256`]).
#[inline(never)]
fn p384_key(public_key: &[u8]) -> Option<p384::ecdsa::VerifyingKey> {
    p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok()
}

#[derive(Clone, Copy, Debug)]
enum Padding {
    Pkcs1v15,
    Pss,
}

/// RSA (`rsaEncryption` keys of 2048 to 4096 bits) with PKCS#1 v1.5 or PSS padding.
#[derive(Debug)]
struct Rsa {
    padding: Padding,
    hash: Hash,
    signature_alg_id: AlgorithmIdentifier,
}

/// The modulus and the exponent of an `RSAPublicKey` (RFC 8017 §A.1.1): `SEQUENCE { modulus
/// INTEGER, publicExponent INTEGER }`.
fn rsa_components(der_bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    use der::asn1::UintRef;
    use der::{Decode, Reader, SliceReader};
    let mut r = SliceReader::new(der_bytes).ok()?;
    let (n, e) = r
        .sequence(|r| Ok((UintRef::decode(r)?, UintRef::decode(r)?)))
        .ok()?;
    r.finish(()).ok()?;
    Some((n.as_bytes(), e.as_bytes()))
}

impl SignatureVerificationAlgorithm for Rsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let (n, e) = rsa_components(public_key).ok_or(InvalidSignature)?;
        // The key (up to 1 KB) is used where `from_components` put it: moving it out of its
        // `Result` would lay out a second copy in this frame, which is on the deepest stack of
        // a TLS connection (its certificate checks).
        let key = RsaPublicKey::from_components(n, e);
        let Ok(key) = &key else {
            return Err(InvalidSignature);
        };
        let verified = match (self.padding, self.hash) {
            (Padding::Pkcs1v15, Hash::Sha256) => key.verify_pkcs1v15_sha256(message, signature),
            (Padding::Pkcs1v15, Hash::Sha384) => key.verify_pkcs1v15_sha384(message, signature),
            (Padding::Pkcs1v15, Hash::Sha512) => key.verify_pkcs1v15_sha512(message, signature),
            (Padding::Pss, Hash::Sha256) => key.verify_pss_sha256(message, signature),
            (Padding::Pss, Hash::Sha384) => key.verify_pss_sha384(message, signature),
            (Padding::Pss, Hash::Sha512) => key.verify_pss_sha512(message, signature),
        };
        verified.map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg_id
    }
}

/// ECDSA P-256 with SHA-256.
pub static ECDSA_P256_SHA256: &dyn SignatureVerificationAlgorithm = &Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha256,
    signature_alg_id: alg_id::ECDSA_SHA256,
};
/// ECDSA P-256 with SHA-384.
pub static ECDSA_P256_SHA384: &dyn SignatureVerificationAlgorithm = &Ecdsa {
    curve: Curve::P256,
    hash: Hash::Sha384,
    signature_alg_id: alg_id::ECDSA_SHA384,
};
/// ECDSA P-384 with SHA-256.
pub static ECDSA_P384_SHA256: &dyn SignatureVerificationAlgorithm = &Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha256,
    signature_alg_id: alg_id::ECDSA_SHA256,
};
/// ECDSA P-384 with SHA-384 (the Let's Encrypt and Google Trust Services ECDSA roots).
pub static ECDSA_P384_SHA384: &dyn SignatureVerificationAlgorithm = &Ecdsa {
    curve: Curve::P384,
    hash: Hash::Sha384,
    signature_alg_id: alg_id::ECDSA_SHA384,
};
/// RSA PKCS#1 v1.5 with SHA-256, keys of 2048 to 4096 bits.
pub static RSA_PKCS1_SHA256: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pkcs1v15,
    hash: Hash::Sha256,
    signature_alg_id: alg_id::RSA_PKCS1_SHA256,
};
/// RSA PKCS#1 v1.5 with SHA-384, keys of 2048 to 4096 bits.
pub static RSA_PKCS1_SHA384: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pkcs1v15,
    hash: Hash::Sha384,
    signature_alg_id: alg_id::RSA_PKCS1_SHA384,
};
/// RSA PKCS#1 v1.5 with SHA-512, keys of 2048 to 4096 bits.
pub static RSA_PKCS1_SHA512: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pkcs1v15,
    hash: Hash::Sha512,
    signature_alg_id: alg_id::RSA_PKCS1_SHA512,
};
/// RSA-PSS with SHA-256 (MGF1-SHA-256, 32-byte salt) and an `rsaEncryption` key: TLS 1.3's
/// `rsa_pss_rsae_sha256`.
pub static RSA_PSS_SHA256: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pss,
    hash: Hash::Sha256,
    signature_alg_id: alg_id::RSA_PSS_SHA256,
};
/// RSA-PSS with SHA-384 and an `rsaEncryption` key: TLS 1.3's `rsa_pss_rsae_sha384`.
pub static RSA_PSS_SHA384: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pss,
    hash: Hash::Sha384,
    signature_alg_id: alg_id::RSA_PSS_SHA384,
};
/// RSA-PSS with SHA-512 and an `rsaEncryption` key: TLS 1.3's `rsa_pss_rsae_sha512`.
pub static RSA_PSS_SHA512: &dyn SignatureVerificationAlgorithm = &Rsa {
    padding: Padding::Pss,
    hash: Hash::Sha512,
    signature_alg_id: alg_id::RSA_PSS_SHA512,
};

/// Every algorithm here, for certificate chains.
pub static ALL: &[&dyn SignatureVerificationAlgorithm] = &[
    ECDSA_P256_SHA256,
    ECDSA_P256_SHA384,
    ECDSA_P384_SHA256,
    ECDSA_P384_SHA384,
    RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384,
    RSA_PKCS1_SHA512,
    RSA_PSS_SHA256,
    RSA_PSS_SHA384,
    RSA_PSS_SHA512,
];

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use p256::ecdsa::signature::Signer;

    #[test]
    fn ecdsa_p256_sha256_and_sha384() {
        let sk = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pk = sk.verifying_key().to_encoded_point(false);
        let sig: p256::ecdsa::Signature = sk.sign(b"hello");
        let der = sig.to_der();
        ECDSA_P256_SHA256
            .verify_signature(pk.as_bytes(), b"hello", der.as_bytes())
            .unwrap();
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(pk.as_bytes(), b"hellp", der.as_bytes())
                .is_err()
        );
        assert!(
            ECDSA_P256_SHA384
                .verify_signature(pk.as_bytes(), b"hello", der.as_bytes())
                .is_err()
        );
        // SHA-384, truncated to the curve's size (FIPS 186-5 §6.4.1).
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let sig: p256::ecdsa::Signature = sk.sign_prehash(&Sha384::digest(b"hello")).unwrap();
        ECDSA_P256_SHA384
            .verify_signature(pk.as_bytes(), b"hello", sig.to_der().as_bytes())
            .unwrap();
        // Not a point, not DER: refused, no panic.
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(b"\x04", b"hello", der.as_bytes())
                .is_err()
        );
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(pk.as_bytes(), b"hello", b"\x30\x00")
                .is_err()
        );
    }

    #[test]
    fn ecdsa_p384() {
        use p384::ecdsa::signature::Signer;
        let sk = p384::ecdsa::SigningKey::from_slice(&[9u8; 48]).unwrap();
        let pk = sk.verifying_key().to_encoded_point(false);
        let sig: p384::ecdsa::Signature = sk.sign(b"hello");
        ECDSA_P384_SHA384
            .verify_signature(pk.as_bytes(), b"hello", sig.to_der().as_bytes())
            .unwrap();
        assert!(
            ECDSA_P256_SHA256
                .verify_signature(pk.as_bytes(), b"hello", sig.to_der().as_bytes())
                .is_err()
        );
    }

    #[test]
    fn rsa_keys_are_parsed_strictly() {
        // SEQUENCE { INTEGER n (2048 bits, odd), INTEGER 65537 }, and with trailing data.
        let mut der = std::vec::Vec::from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00]);
        der.extend([0xffu8; 256]);
        der.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        let (n, e) = rsa_components(&der).unwrap();
        assert_eq!((n.len(), e), (256, &[1u8, 0, 1][..]));
        assert!(RsaPublicKey::from_components(n, e).is_ok());
        der.push(0);
        assert!(rsa_components(&der).is_none());
        assert!(rsa_components(b"").is_none());
        assert!(
            RSA_PSS_SHA256
                .verify_signature(b"\x30\x00", b"m", &[0u8; 256])
                .is_err()
        );
    }
}
