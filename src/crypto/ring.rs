//! The *ring* provider (feature `ring`, on with `tokio`): the copy of *ring* that rustls
//! already brings in. ES256 with precomputed tables (signing about 4× and verification about
//! 2× faster than `p256` 0.13), AES-GCM with AES-NI and carry-less multiplication (or the ARM
//! equivalents), SHA-256 with SHA-NI where the CPU has it.
//!
//! RS256 goes to the crate's own RSA verification (as in [`rust_crypto`](super::rust_crypto)):
//! *ring*'s RSA builds the modulus' Montgomery constants on the heap for every signature, and
//! the crate's keeps them with the key and allocates nothing.
//!
//! ECDSA signing draws its nonce from *ring*'s `SystemRandom` (the operating system's RNG)
//! mixed with the key, as *ring* does; the signatures verify as RFC 6979 ones do.

use super::{
    AeadKey, AeadKeyInner, Aes256Gcm, CryptoProvider, EcSigningInner, EcSigningKey, EcdsaP256,
    Failed, RsaPkcs1Sha256, Sha256Context, Sha256Hash, Sha256Inner,
};
use crate::jose::RsaPublicKey;
use ::ring::{aead, digest, hmac, rand, signature};
use p256::ecdsa::{SigningKey, VerifyingKey};

/// The *ring* provider.
pub static PROVIDER: CryptoProvider = CryptoProvider::new("ring", &Ring, &Ring, &Ring, &Ring);

/// The *ring* implementations (one value implements every trait).
#[derive(Clone, Copy, Debug)]
struct Ring;

impl Aes256Gcm for Ring {
    fn key(&self, bytes: &[u8; 32]) -> AeadKey {
        // AES-256-GCM takes any 32-byte key: `new` fails only on a wrong length.
        match aead::UnboundKey::new(&aead::AES_256_GCM, bytes) {
            Ok(k) => AeadKey(AeadKeyInner::Ring(aead::LessSafeKey::new(k))),
            Err(_) => super::rust_crypto::PROVIDER.aead.key(bytes),
        }
    }

    fn seal_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; 16], Failed> {
        let AeadKeyInner::Ring(k) = &key.0 else {
            return super::rust_crypto::PROVIDER
                .aead
                .seal_in_place(key, iv, aad, data);
        };
        let tag = k
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(*iv),
                aead::Aad::from(aad),
                data,
            )
            .map_err(|_| Failed)?;
        let mut out = [0u8; 16];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    fn open_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), Failed> {
        let AeadKeyInner::Ring(k) = &key.0 else {
            return super::rust_crypto::PROVIDER
                .aead
                .open_in_place(key, iv, aad, data, tag);
        };
        let tag = aead::Tag::try_from(&tag[..]).map_err(|_| Failed)?;
        k.open_in_place_separate_tag(
            aead::Nonce::assume_unique_for_key(*iv),
            aead::Aad::from(aad),
            tag,
            data,
            0..,
        )
        .map(|_| ())
        .map_err(|_| Failed)
    }
}

impl EcdsaP256 for Ring {
    fn signing_key(&self, key: &SigningKey) -> Result<EcSigningKey, Failed> {
        let scalar = zeroize::Zeroizing::new(key.to_bytes());
        let public = key.verifying_key().to_encoded_point(false);
        let pair = signature::EcdsaKeyPair::from_private_key_and_public_key(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &scalar[..],
            public.as_bytes(),
            &rand::SystemRandom::new(),
        )
        .map_err(|_| Failed)?;
        Ok(EcSigningKey {
            secret: key.clone(),
            inner: EcSigningInner::Ring(pair),
        })
    }

    fn sign(&self, key: &EcSigningKey, message: &[u8]) -> Result<[u8; 64], Failed> {
        let EcSigningInner::Ring(pair) = &key.inner else {
            return super::rust_crypto::PROVIDER.ecdsa.sign(key, message);
        };
        let sig = pair
            .sign(&rand::SystemRandom::new(), message)
            .map_err(|_| Failed)?;
        sig.as_ref().try_into().map_err(|_| Failed)
    }

    fn verify(&self, key: &VerifyingKey, message: &[u8], sig: &[u8]) -> Result<(), Failed> {
        let point = key.to_encoded_point(false);
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point.as_bytes())
            .verify(message, sig)
            .map_err(|_| Failed)
    }
}

impl RsaPkcs1Sha256 for Ring {
    fn verify(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), Failed> {
        super::rust_crypto::PROVIDER
            .rsa
            .verify(key, message, signature)
    }
}

impl Sha256Hash for Ring {
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
        out
    }

    fn sha256_context(&self) -> Sha256Context {
        Sha256Context(Sha256Inner::Ring(digest::Context::new(&digest::SHA256)))
    }

    fn hmac_sha256_verify(&self, key: &[u8], message: &[u8], tag: &[u8]) -> Result<(), Failed> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, key);
        hmac::verify(&key, message, tag).map_err(|_| Failed)
    }
}
