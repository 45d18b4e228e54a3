//! The RustCrypto provider: `aes-gcm` 0.10, `p256` 0.13, `sha2` 0.10, `hmac` 0.12 and the
//! crate's own RSA verification. `no_std`, no allocation, the default of builds without
//! *ring* (the embassy runtime, the no_std core).

use super::{
    AeadKey, AeadKeyInner, Aes256Gcm, CryptoProvider, EcSigningInner, EcSigningKey, EcdsaP256,
    Failed, RsaPkcs1Sha256, Sha256Context, Sha256Hash, Sha256Inner,
};
use crate::jose::RsaPublicKey;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{KeyInit, Nonce, Tag};
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The RustCrypto provider.
pub static PROVIDER: CryptoProvider = CryptoProvider::new(
    "rust-crypto",
    &RustCrypto,
    &RustCrypto,
    &RustCrypto,
    &RustCrypto,
);

/// The RustCrypto implementations (one value implements every trait).
#[derive(Clone, Copy, Debug)]
struct RustCrypto;

impl Aes256Gcm for RustCrypto {
    fn key(&self, bytes: &[u8; 32]) -> AeadKey {
        AeadKey(AeadKeyInner::RustCrypto(aes_gcm::Aes256Gcm::new(
            bytes.into(),
        )))
    }

    fn seal_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; 16], Failed> {
        #[allow(irrefutable_let_patterns)] // Refutable with another provider compiled in.
        let AeadKeyInner::RustCrypto(cipher) = &key.0 else {
            return Err(Failed);
        };
        let tag = cipher
            .encrypt_in_place_detached(Nonce::from_slice(iv), aad, data)
            .map_err(|_| Failed)?;
        Ok(tag.into())
    }

    fn open_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), Failed> {
        #[allow(irrefutable_let_patterns)] // Refutable with another provider compiled in.
        let AeadKeyInner::RustCrypto(cipher) = &key.0 else {
            return Err(Failed);
        };
        cipher
            .decrypt_in_place_detached(Nonce::from_slice(iv), aad, data, Tag::from_slice(tag))
            .map_err(|_| Failed)
    }
}

impl EcdsaP256 for RustCrypto {
    fn signing_key(&self, key: &SigningKey) -> Result<EcSigningKey, Failed> {
        Ok(EcSigningKey {
            secret: key.clone(),
            inner: EcSigningInner::RustCrypto,
        })
    }

    fn sign(&self, key: &EcSigningKey, message: &[u8]) -> Result<[u8; 64], Failed> {
        let sig: Signature = key.secret.try_sign(message).map_err(|_| Failed)?;
        Ok(sig.to_bytes().into())
    }

    fn verify(&self, key: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), Failed> {
        let sig = Signature::from_slice(signature).map_err(|_| Failed)?;
        key.verify(message, &sig).map_err(|_| Failed)
    }
}

impl RsaPkcs1Sha256 for RustCrypto {
    fn verify(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), Failed> {
        key.verify_pkcs1v15_sha256(message, signature)
            .map_err(|_| Failed)
    }
}

impl Sha256Hash for RustCrypto {
    fn sha256(&self, data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    fn sha256_context(&self) -> Sha256Context {
        Sha256Context(Sha256Inner::RustCrypto(Sha256::new()))
    }

    fn hmac_sha256_verify(&self, key: &[u8], message: &[u8], tag: &[u8]) -> Result<(), Failed> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| Failed)?;
        mac.update(message);
        mac.verify_slice(tag).map_err(|_| Failed)
    }
}
