//! The crypto provider seam, as rustls has one: every cryptographic operation of the core
//! (AES-256-GCM seal and open, ES256 sign and verify, RS256 verify, SHA-256, HMAC-SHA256) goes
//! through one [`CryptoProvider`].
//!
//! - [`rust_crypto::PROVIDER`]: RustCrypto (`aes-gcm`, `p256`, `sha2`, `hmac`) and the crate's
//!   own RSA. `no_std`, no allocation; the embassy build uses it.
//! - [`ring::PROVIDER`] (feature `ring`, on with `tokio`): *ring*, the same copy rustls
//!   uses. ES256 with precomputed tables, AES-GCM with AES-NI/CLMUL (or NEON) code.
//!
//! [`default_provider`] is *ring* when the feature `ring` is on, RustCrypto otherwise. Key
//! types carry the provider they were made with ([`jwe::Key`](crate::jose::jwe::Key),
//! [`EcKeyPair`](crate::jose::jwk::EcKeyPair)); verification with a public key takes one
//! explicitly ([`jws::verify_with`](crate::jose::jws::verify_with)) or uses the default.
//!
//! No allocation: a provider keeps its prepared keys (an AES key schedule, an ECDSA key pair)
//! inside [`AeadKey`] and [`EcSigningKey`], whose variants are the providers this crate
//! ships. Another provider (aws-lc-rs) adds a module with a `PROVIDER`, a variant to each of
//! those two types, and a feature.
//!
//! Constant time: tag checks (AES-GCM, HMAC) and ECDSA signing are constant time in both
//! providers; RSA and ECDSA *verification* handle public values only. RustCrypto wipes the AES
//! key schedule and the ECDSA scalar on drop; *ring* does not wipe its key schedules.

use crate::jose::RsaPublicKey;
use p256::ecdsa::{SigningKey, VerifyingKey};

#[cfg(feature = "ring")]
pub mod ring;
pub mod rust_crypto;

/// A cryptographic operation failed: a tag or signature did not verify, or a key was refused.
/// Deliberately says no more (as *ring*'s `Unspecified`); callers map it to their own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failed;

impl core::fmt::Display for Failed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("cryptographic operation failed")
    }
}

impl core::error::Error for Failed {}

/// One set of implementations of the core's cryptographic operations.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct CryptoProvider {
    /// A short name for logs and benches (`"rust-crypto"`, `"ring"`).
    pub name: &'static str,
    /// AES-256-GCM (JWE `A256GCM`: session, transaction and connection-token cookies).
    pub aead: &'static dyn Aes256Gcm,
    /// ECDSA P-256 with SHA-256 (ES256: DPoP proofs, `private_key_jwt`, ID tokens).
    pub ecdsa: &'static dyn EcdsaP256,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RS256 ID and logout tokens).
    pub rsa: &'static dyn RsaPkcs1Sha256,
    /// SHA-256 and HMAC-SHA256 (thumbprints, PKCE, `ath`, HS256).
    pub hash: &'static dyn Sha256Hash,
}

impl CryptoProvider {
    /// Builds a provider from its parts.
    pub const fn new(
        name: &'static str,
        aead: &'static dyn Aes256Gcm,
        ecdsa: &'static dyn EcdsaP256,
        rsa: &'static dyn RsaPkcs1Sha256,
        hash: &'static dyn Sha256Hash,
    ) -> CryptoProvider {
        CryptoProvider {
            name,
            aead,
            ecdsa,
            rsa,
            hash,
        }
    }
}

impl core::fmt::Debug for CryptoProvider {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CryptoProvider")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The default provider of this build: *ring* with the feature `ring` (on with `tokio`),
/// RustCrypto otherwise.
pub const fn default_provider() -> &'static CryptoProvider {
    #[cfg(feature = "ring")]
    {
        &ring::PROVIDER
    }
    #[cfg(not(feature = "ring"))]
    {
        &rust_crypto::PROVIDER
    }
}

/// Every provider compiled into this build, the default first (for tests and benches that run
/// against each).
pub fn all_providers() -> &'static [&'static CryptoProvider] {
    #[cfg(feature = "ring")]
    static ALL: [&CryptoProvider; 2] = [&ring::PROVIDER, &rust_crypto::PROVIDER];
    #[cfg(not(feature = "ring"))]
    static ALL: [&CryptoProvider; 1] = [&rust_crypto::PROVIDER];
    &ALL
}

/// AES-256-GCM with a 12-byte IV and a detached 16-byte tag.
pub trait Aes256Gcm: Send + Sync {
    /// Prepares a key (the key schedule) from 32 bytes.
    fn key(&self, bytes: &[u8; 32]) -> AeadKey;
    /// Encrypts `data` in place and returns the tag.
    fn seal_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; 16], Failed>;
    /// Checks `tag` (in constant time) and decrypts `data` in place. On failure `data` holds
    /// no plaintext.
    fn open_in_place(
        &self,
        key: &AeadKey,
        iv: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), Failed>;
}

/// ECDSA on P-256 with SHA-256, signatures as raw `r || s` (JWS ES256).
pub trait EcdsaP256: Send + Sync {
    /// Prepares a signing key for this provider from a RustCrypto key (which the key pair
    /// keeps for its public key and PEM export).
    fn signing_key(&self, key: &SigningKey) -> Result<EcSigningKey, Failed>;
    /// Signs `message` (SHA-256 inside). Deterministic (RFC 6979) with RustCrypto, randomized
    /// with *ring*; both verify the same way.
    fn sign(&self, key: &EcSigningKey, message: &[u8]) -> Result<[u8; 64], Failed>;
    /// Verifies a raw `r || s` signature of `message` under `key`.
    fn verify(&self, key: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), Failed>;
}

/// RSASSA-PKCS1-v1_5 verification with SHA-256 (JWS RS256).
pub trait RsaPkcs1Sha256: Send + Sync {
    /// Verifies `signature` of `message` under `key`.
    fn verify(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), Failed>;
}

/// SHA-256 and HMAC-SHA256.
pub trait Sha256Hash: Send + Sync {
    /// The SHA-256 digest of `data`.
    fn sha256(&self, data: &[u8]) -> [u8; 32];
    /// A SHA-256 context for data that comes in pieces.
    fn sha256_context(&self) -> Sha256Context;
    /// Checks an HMAC-SHA256 `tag` of `message` under `key`, in constant time.
    fn hmac_sha256_verify(&self, key: &[u8], message: &[u8], tag: &[u8]) -> Result<(), Failed>;
}

/// The SHA-256 digest of `data` with the [default provider](default_provider).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    default_provider().hash.sha256(data)
}

/// An AES-256-GCM key prepared by one provider.
#[derive(Clone)]
pub struct AeadKey(pub(crate) AeadKeyInner);

#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // No heap to box a key schedule in; keys are few.
pub(crate) enum AeadKeyInner {
    RustCrypto(aes_gcm::Aes256Gcm),
    #[cfg(feature = "ring")]
    Ring(::ring::aead::LessSafeKey),
}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AeadKey(..)")
    }
}

/// An ECDSA P-256 signing key prepared by one provider. It keeps the RustCrypto key too (the
/// public key, PEM export, and the RustCrypto provider's signing).
pub struct EcSigningKey {
    pub(crate) secret: SigningKey,
    #[cfg_attr(not(feature = "ring"), allow(dead_code))] // Read by the other providers.
    pub(crate) inner: EcSigningInner,
}

#[allow(clippy::large_enum_variant)] // No heap to box a key pair in; keys are few.
pub(crate) enum EcSigningInner {
    RustCrypto,
    #[cfg(feature = "ring")]
    Ring(::ring::signature::EcdsaKeyPair),
}

impl core::fmt::Debug for EcSigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EcSigningKey(..)")
    }
}

/// A running SHA-256 computation of one provider.
#[derive(Clone)]
pub struct Sha256Context(pub(crate) Sha256Inner);

#[derive(Clone)]
pub(crate) enum Sha256Inner {
    RustCrypto(sha2::Sha256),
    #[cfg(feature = "ring")]
    Ring(::ring::digest::Context),
}

impl Sha256Context {
    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Sha256Inner::RustCrypto(h) => sha2::Digest::update(h, data),
            #[cfg(feature = "ring")]
            Sha256Inner::Ring(h) => h.update(data),
        }
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        match self.0 {
            Sha256Inner::RustCrypto(h) => sha2::Digest::finalize(h).into(),
            #[cfg(feature = "ring")]
            Sha256Inner::Ring(h) => {
                let mut out = [0u8; 32];
                out.copy_from_slice(h.finish().as_ref());
                out
            }
        }
    }
}

impl core::fmt::Debug for Sha256Context {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sha256Context(..)")
    }
}
