//! Compact JWS (RFC 7515) with the algorithms of RFC 7518 that OpenID providers use:
//! ES256 (sign and verify, raw `r || s` signatures), RS256 and HS256 (verify).
//!
//! The caller always states which algorithms it accepts. `none` is refused outright, and a key
//! that does not fit the header's `alg` (RS256 with an EC key, HS256 with a public key) is
//! [`JwsError::KeyMismatch`], so the classic algorithm-confusion attacks cannot happen.

use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object};
use crate::crypto::CryptoProvider;
use crate::jose::RsaPublicKey;
use crate::jose::jwk::EcKeyPair;
use crate::{Error, JwsError};
use p256::ecdsa::{SigningKey, VerifyingKey};

/// A JWS algorithm this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// HMAC with SHA-256.
    HS256,
}

impl Algorithm {
    /// Parses an `alg` value; `none` is [`JwsError::AlgNone`], others [`JwsError::UnknownAlg`].
    pub fn parse(alg: &str) -> Result<Algorithm, JwsError> {
        match alg {
            "ES256" => Ok(Algorithm::ES256),
            "RS256" => Ok(Algorithm::RS256),
            "HS256" => Ok(Algorithm::HS256),
            a if a.eq_ignore_ascii_case("none") => Err(JwsError::AlgNone),
            _ => Err(JwsError::UnknownAlg),
        }
    }

    /// The `alg` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::ES256 => "ES256",
            Algorithm::RS256 => "RS256",
            Algorithm::HS256 => "HS256",
        }
    }
}

impl core::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key to verify with.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Key<'k> {
    /// A P-256 public key, for ES256.
    Es256(&'k VerifyingKey),
    /// An RSA public key, for RS256.
    Rs256(&'k RsaPublicKey),
    /// An HMAC secret, for HS256.
    Hs256(&'k [u8]),
}

impl Key<'_> {
    fn algorithm(&self) -> Algorithm {
        match self {
            Key::Es256(_) => Algorithm::ES256,
            Key::Rs256(_) => Algorithm::RS256,
            Key::Hs256(_) => Algorithm::HS256,
        }
    }
}

/// The protected header of a JWS, viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Header<'a> {
    /// `alg`.
    pub alg: Algorithm,
    /// `kid`, if present.
    pub kid: Option<JsonStr<'a>>,
    /// `typ`, if present.
    pub typ: Option<JsonStr<'a>>,
    /// The whole header object.
    pub raw: Object<'a>,
}

impl<'a> Header<'a> {
    /// Reads a header; refuses `crit`, `none` and unknown algorithms.
    pub fn parse(json: &'a [u8]) -> Result<Header<'a>, JwsError> {
        let raw = Object::parse_bytes(json).map_err(|_| JwsError::Header)?;
        if raw.get("crit").is_some() {
            return Err(JwsError::Crit);
        }
        let alg = raw.get_str("alg").ok_or(JwsError::Header)?;
        let alg = Algorithm::parse(alg.as_str().ok_or(JwsError::UnknownAlg)?)?;
        Ok(Header {
            alg,
            kid: raw.get_str("kid"),
            typ: raw.get_str("typ"),
            raw,
        })
    }
}

/// The three segments of a compact JWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compact<'a> {
    /// The base64url header.
    pub header: &'a str,
    /// The base64url payload.
    pub payload: &'a str,
    /// The base64url signature.
    pub signature: &'a str,
    /// `header.payload`: the bytes that are signed.
    pub signing_input: &'a str,
}

impl<'a> Compact<'a> {
    /// Splits a compact JWS at its two dots.
    pub fn split(token: &'a str) -> Result<Compact<'a>, JwsError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
        let (header, payload) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
        if payload.contains('.') || header.is_empty() {
            return Err(JwsError::Malformed);
        }
        Ok(Compact {
            header,
            payload,
            signature,
            signing_input,
        })
    }
}

/// A verified JWS: its header and payload, decoded into the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Verified<'b> {
    /// The header.
    pub header: Header<'b>,
    /// The payload bytes.
    pub payload: &'b [u8],
}

/// Decodes a token's header into `buf` without verifying anything (to pick a key by `kid`).
pub fn decode_header<'b>(token: &str, buf: &'b mut [u8]) -> Result<Header<'b>, Error> {
    let c = Compact::split(token)?;
    let capacity = buf.len();
    let raw: &'b [u8] = base64url::decode(c.header, buf).map_err(|e| b64_err(e, capacity))?;
    Ok(Header::parse(raw)?)
}

fn b64_err(e: base64url::Base64Error, capacity: usize) -> Error {
    match e {
        base64url::Base64Error::BufferTooSmall => Error::BufferTooSmall {
            what: "JWS",
            capacity,
        },
        _ => JwsError::Base64.into(),
    }
}

/// Checks that `alg` is allowed and fits `key`.
fn check_alg(alg: Algorithm, key: &Key<'_>, allowed: &[Algorithm]) -> Result<(), JwsError> {
    if !allowed.contains(&alg) {
        return Err(JwsError::AlgNotAllowed);
    }
    if key.algorithm() != alg {
        return Err(JwsError::KeyMismatch);
    }
    Ok(())
}

/// Verifies the signature of a compact `token` made with `signing_input`/`signature` and
/// `alg` under `key`, with the default provider.
pub(crate) fn verify_signature(
    c: &Compact<'_>,
    alg: Algorithm,
    key: &Key<'_>,
) -> Result<(), Error> {
    verify_signature_with(crate::crypto::default_provider(), c, alg, key)
}

/// [`verify_signature`] with the given provider.
pub(crate) fn verify_signature_with(
    provider: &CryptoProvider,
    c: &Compact<'_>,
    alg: Algorithm,
    key: &Key<'_>,
) -> Result<(), Error> {
    let mut sig = [0u8; 512];
    let sig = base64url::decode(c.signature, &mut sig).map_err(|_| JwsError::BadSignature)?;
    let msg = c.signing_input.as_bytes();
    let verified = match (alg, key) {
        (Algorithm::ES256, Key::Es256(k)) => provider.ecdsa.verify(k, msg, sig),
        (Algorithm::RS256, Key::Rs256(k)) => provider.rsa.verify(k, msg, sig),
        (Algorithm::HS256, Key::Hs256(secret)) => {
            provider.hash.hmac_sha256_verify(secret, msg, sig)
        }
        _ => return Err(JwsError::KeyMismatch.into()),
    };
    verified.map_err(|_| JwsError::BadSignature.into())
}

/// Verifies a compact JWS under `key`, accepting only the `allowed` algorithms, and returns
/// its header and payload (decoded into `buf`).
///
/// ```
/// use auth0_edge::jose::jws::{self, Algorithm, Key};
/// // RFC 7515 appendix A.1 is HS256; its key and token:
/// let key = auth0_edge::codec::base64url::decode_secret(
///     "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
///     &mut [0u8; 64],
/// ).map(|k| k.to_vec()).unwrap();
/// let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// let mut buf = [0u8; 256];
/// let v = jws::verify(token, Key::Hs256(&key), &[Algorithm::HS256], &mut buf)?;
/// assert!(v.payload.starts_with(b"{\"iss\":\"joe\""));
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn verify<'b>(
    token: &str,
    key: Key<'_>,
    allowed: &[Algorithm],
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    verify_with(crate::crypto::default_provider(), token, key, allowed, buf)
}

/// [`verify`] with the given [`CryptoProvider`].
pub fn verify_with<'b>(
    provider: &CryptoProvider,
    token: &str,
    key: Key<'_>,
    allowed: &[Algorithm],
    buf: &'b mut [u8],
) -> Result<Verified<'b>, Error> {
    let c = Compact::split(token)?;
    decode(&c, buf, |header| {
        check_alg(header.alg, &key, allowed)?;
        verify_signature_with(provider, &c, header.alg, &key)
    })
}

/// Something that makes ES256 signatures (raw `r || s`): an [`EcKeyPair`] signs with the
/// provider it was made for, a bare `p256` [`SigningKey`] with RustCrypto (RFC 6979).
pub trait Es256Signer {
    /// Signs `message` (SHA-256 inside).
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], crate::crypto::Failed>;
}

impl Es256Signer for EcKeyPair {
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], crate::crypto::Failed> {
        self.sign(message)
    }
}

impl Es256Signer for SigningKey {
    fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], crate::crypto::Failed> {
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::Signature =
            self.try_sign(message).map_err(|_| crate::crypto::Failed)?;
        Ok(sig.to_bytes().into())
    }
}

/// Decodes the header and payload of `c` into `buf`, running `check` on the header before the
/// payload is decoded.
pub(crate) fn decode<'b>(
    c: &Compact<'_>,
    buf: &'b mut [u8],
    check: impl FnOnce(&Header<'_>) -> Result<(), Error>,
) -> Result<Verified<'b>, Error> {
    let capacity = buf.len();
    let (hbuf, pbuf) = buf.split_at_mut(base64url::decoded_len(c.header.len()).min(capacity));
    let header_raw: &'b [u8] =
        base64url::decode(c.header, hbuf).map_err(|e| b64_err(e, capacity))?;
    let header = Header::parse(header_raw)?;
    check(&header)?;
    let payload: &'b [u8] = base64url::decode(c.payload, pbuf).map_err(|e| b64_err(e, capacity))?;
    Ok(Verified { header, payload })
}

/// Signs `payload` with ES256 under the protected `header` JSON and writes the compact JWS
/// into `out`, the signature as raw `r || s`. `key` is an [`EcKeyPair`] (its provider) or a
/// bare `p256` [`SigningKey`] (RustCrypto, deterministic per RFC 6979).
///
/// ```
/// use auth0_edge::jose::jws;
/// use p256::ecdsa::SigningKey;
/// let key = SigningKey::random(&mut rand_core::OsRng);
/// let mut out = [0u8; 256];
/// let token = jws::sign_es256(&key, br#"{"alg":"ES256"}"#, br#"{"a":1}"#, &mut out)?;
/// let mut buf = [0u8; 128];
/// let v = jws::verify(token, jws::Key::Es256(key.verifying_key()), &[jws::Algorithm::ES256], &mut buf)?;
/// assert_eq!(v.payload, br#"{"a":1}"#);
/// # Ok::<(), auth0_edge::Error>(())
/// ```
pub fn sign_es256<'o>(
    key: &(impl Es256Signer + ?Sized),
    header: &[u8],
    payload: &[u8],
    out: &'o mut [u8],
) -> Result<&'o str, Error> {
    let mut w = Writer::new(out, "JWS");
    w.push_base64url(header)?;
    w.push_ascii(b'.')?;
    w.push_base64url(payload)?;
    let sig = key
        .sign_es256(w.as_bytes())
        .map_err(|_| JwsError::BadSignature)?;
    w.push_ascii(b'.')?;
    w.push_base64url(&sig)?;
    Ok(w.into_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alg_parsing() {
        assert_eq!(Algorithm::parse("none"), Err(JwsError::AlgNone));
        assert_eq!(Algorithm::parse("NONE"), Err(JwsError::AlgNone));
        assert_eq!(Algorithm::parse("PS256"), Err(JwsError::UnknownAlg));
        assert_eq!(Algorithm::parse("RS256"), Ok(Algorithm::RS256));
    }

    #[test]
    fn split_rules() {
        assert!(Compact::split("a.b.c").is_ok());
        assert!(Compact::split("a.b").is_err());
        assert!(Compact::split("a.b.c.d").is_err());
        assert!(Compact::split(".b.c").is_err());
    }

    #[test]
    fn es256_round_trip_and_confusion() {
        let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let mut out = [0u8; 256];
        let token = sign_es256(&key, br#"{"alg":"ES256"}"#, b"{}", &mut out).unwrap();
        let mut buf = [0u8; 128];
        let vk = *key.verifying_key();
        assert!(verify(token, Key::Es256(&vk), &[Algorithm::ES256], &mut buf).is_ok());
        assert_eq!(
            verify(token, Key::Es256(&vk), &[Algorithm::RS256], &mut buf),
            Err(JwsError::AlgNotAllowed.into())
        );
        assert_eq!(
            verify(
                token,
                Key::Hs256(b"secret"),
                &[Algorithm::ES256, Algorithm::HS256],
                &mut buf
            ),
            Err(JwsError::KeyMismatch.into())
        );
        // A HS256 header signed with the public key's bytes must not verify against an EC key.
        let mut out2 = [0u8; 256];
        let mut w = Writer::new(&mut out2, "t");
        w.push_base64url(br#"{"alg":"HS256"}"#).unwrap();
        w.push_str(".e30.AAAA").unwrap();
        assert_eq!(
            verify(w.as_str(), Key::Es256(&vk), &[Algorithm::HS256], &mut buf),
            Err(JwsError::KeyMismatch.into())
        );
        // Tampered payload.
        let mut t = [0u8; 256];
        t[..token.len()].copy_from_slice(token.as_bytes());
        let dot = token.find('.').unwrap();
        t[dot + 1] = b'f';
        let tampered = core::str::from_utf8(&t[..token.len()]).unwrap();
        assert!(verify(tampered, Key::Es256(&vk), &[Algorithm::ES256], &mut buf).is_err());
    }

    #[test]
    fn none_and_crit_are_refused() {
        let mut buf = [0u8; 128];
        // {"alg":"none"}.{}.
        let none = "eyJhbGciOiJub25lIn0.e30.";
        assert_eq!(decode_header(none, &mut buf), Err(JwsError::AlgNone.into()));
        assert!(verify(none, Key::Hs256(b"k"), &[Algorithm::HS256], &mut buf).is_err());
        // {"alg":"HS256","crit":["exp"]}
        let crit = "eyJhbGciOiJIUzI1NiIsImNyaXQiOlsiZXhwIl19.e30.AAAA";
        assert_eq!(
            verify(crit, Key::Hs256(b"k"), &[Algorithm::HS256], &mut buf),
            Err(JwsError::Crit.into())
        );
    }
}
