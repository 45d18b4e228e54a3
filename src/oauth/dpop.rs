//! DPoP proofs (RFC 9449), as oauth4webapi builds them for the Next.js SDK.
//!
//! Header, members in this order:
//! `{"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","x":…,"y":…,"crv":"P-256"}}`.
//! Claims, in this order: `iat`, `jti` (32 random bytes, base64url), `htm` (upper case),
//! `nonce` (when the server sent one), `htu` (origin and path, no query or fragment), `ath`
//! (base64url SHA-256 of the access token, on resource requests).
//!
//! [`Dpop`] encodes the header once per key, so a proof costs one ES256 signature and a few
//! hundred bytes of formatting.

use crate::Error;
use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::json::ObjectWriter;
use crate::codec::time::UnixTime;
use crate::jose::jwk::EcKeyPair;
use crate::oauth::pkce::Token;
use p256::ecdsa::Signature;
use p256::ecdsa::signature::Signer;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

const HEADER_B64_LEN: usize = 256;

/// A DPoP key pair with its encoded proof header and thumbprint.
#[derive(Clone, Debug)]
pub struct Dpop {
    key: EcKeyPair,
    header_b64: heapless::String<HEADER_B64_LEN>,
    jkt: [u8; 43],
}

/// What a proof is bound to.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // built by runtimes with a struct literal
pub struct Request<'a> {
    /// The HTTP method (upper-cased in the proof).
    pub htm: &'a str,
    /// The target URL; query and fragment are dropped.
    pub htu: &'a str,
    /// The server's last `DPoP-Nonce`, if any.
    pub nonce: Option<&'a str>,
    /// The access token, for requests to a resource server (adds `ath`).
    pub access_token: Option<&'a str>,
}

impl Dpop {
    /// Prepares proofs for `key`.
    pub fn new(key: EcKeyPair) -> Dpop {
        let mut header = [0u8; 192];
        let mut w = Writer::new(&mut header, "DPoP header");
        // 45 bytes of fixed text and two 43-character coordinates always fit in 192 bytes.
        let _ = write_header(&key, &mut w);
        let mut b64 = [0u8; HEADER_B64_LEN];
        let encoded = base64url::encode(w.as_bytes(), &mut b64).unwrap_or("");
        let mut header_b64 = heapless::String::new();
        let _ = header_b64.push_str(encoded);
        let mut jkt = [0u8; 43];
        let _ = base64url::encode(&key.public_key().thumbprint(), &mut jkt);
        Dpop {
            key,
            header_b64,
            jkt,
        }
    }

    /// The key pair.
    pub fn key(&self) -> &EcKeyPair {
        &self.key
    }

    /// The RFC 7638 thumbprint of the public key in base64url: the `dpop_jkt` authorization
    /// parameter.
    pub fn jkt(&self) -> &str {
        core::str::from_utf8(&self.jkt).unwrap_or("")
    }

    /// Writes a proof for `req` at `now` into `out`.
    ///
    /// ```
    /// use auth0_edge::{jose::jwk::EcKeyPair, oauth::dpop::{Dpop, Request}};
    /// let dpop = Dpop::new(EcKeyPair::generate(&mut rand_core::OsRng));
    /// let mut out = [0u8; 1024];
    /// let req = Request { htm: "post", htu: "https://tenant.auth0.com/oauth/token?x=1", ..Default::default() };
    /// let proof = dpop.proof(&req, 1_700_000_000, &mut rand_core::OsRng, &mut out)?;
    /// assert_eq!(proof.split('.').count(), 3);
    /// # Ok::<(), auth0_edge::Error>(())
    /// ```
    pub fn proof<'o>(
        &self,
        req: &Request<'_>,
        now: UnixTime,
        rng: &mut impl CryptoRngCore,
        out: &'o mut [u8],
    ) -> Result<&'o str, Error> {
        let mut claims = [0u8; 768];
        let mut cw = Writer::new(&mut claims, "DPoP claims");
        write_claims(req, now, &Token::random(rng), &mut cw)?;
        let mut w = Writer::new(out, "DPoP proof");
        w.push_str(&self.header_b64)?;
        w.push_ascii(b'.')?;
        w.push_base64url(cw.as_bytes())?;
        let sig: Signature = self.key.signing_key().sign(w.as_bytes());
        w.push_ascii(b'.')?;
        w.push_base64url(&sig.to_bytes())?;
        Ok(w.into_str())
    }
}

fn write_header(key: &EcKeyPair, w: &mut Writer<'_>) -> Result<(), Error> {
    w.push_str(r#"{"alg":"ES256","typ":"dpop+jwt","jwk":"#)?;
    key.public_key().write_jwk(w)?;
    w.push_ascii(b'}')
}

fn write_claims(
    req: &Request<'_>,
    now: UnixTime,
    jti: &Token,
    w: &mut Writer<'_>,
) -> Result<(), Error> {
    let mut o = ObjectWriter::begin(w)?;
    o.i64("iat", now)?;
    o.str("jti", jti.as_str())?;
    let kw = o.key("htm")?;
    kw.push_ascii(b'"')?;
    for b in req.htm.bytes() {
        if !b.is_ascii_alphabetic() && b != b'-' {
            return Err(crate::ConfigError::Invalid {
                option: "htm",
                reason: "an HTTP method is letters only",
            }
            .into());
        }
        kw.push_ascii(b.to_ascii_uppercase())?;
    }
    kw.push_ascii(b'"')?;
    if let Some(nonce) = req.nonce {
        o.str("nonce", nonce)?;
    }
    let end = req.htu.find(['?', '#']).unwrap_or(req.htu.len());
    o.str("htu", &req.htu[..end])?;
    if let Some(at) = req.access_token {
        let mut ath = [0u8; 43];
        let ath = base64url::encode(&Sha256::digest(at.as_bytes()), &mut ath).unwrap_or("");
        o.str("ath", ath)?;
    }
    o.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::json::Object;
    use crate::jose::jws::{self, Algorithm};

    #[test]
    fn proof_shape() {
        let key = EcKeyPair::generate(&mut rand_core::OsRng);
        let dpop = Dpop::new(key.clone());
        let mut out = [0u8; 1024];
        let req = Request {
            htm: "get",
            htu: "https://api.example.com/data?q=1#f",
            nonce: Some("n-1"),
            access_token: Some("at"),
        };
        let proof = dpop
            .proof(&req, 1000, &mut rand_core::OsRng, &mut out)
            .unwrap();
        let vk = *key.signing_key().verifying_key();
        let mut buf = [0u8; 1024];
        let v = jws::verify(proof, jws::Key::Es256(&vk), &[Algorithm::ES256], &mut buf).unwrap();
        assert_eq!(v.header.typ.unwrap(), "dpop+jwt");
        let jwk = v.header.raw.get_object("jwk").unwrap();
        let keys: heapless::Vec<_, 4> = jwk.members().map(|(k, _)| k).collect();
        assert!(
            keys.iter()
                .map(|k| k.as_str().unwrap())
                .eq(["kty", "x", "y", "crv"])
        );
        let claims = Object::parse_bytes(v.payload).unwrap();
        let names: heapless::Vec<_, 8> =
            claims.members().map(|(k, _)| k.as_str().unwrap()).collect();
        assert_eq!(names, ["iat", "jti", "htm", "nonce", "htu", "ath"]);
        assert_eq!(claims.get_str("htm").unwrap(), "GET");
        assert_eq!(
            claims.get_str("htu").unwrap(),
            "https://api.example.com/data"
        );
        // ath = base64url(SHA-256("at"))
        assert_eq!(
            claims.get_str("ath").unwrap(),
            "sda5G2fCr6XjIpiNlGJjjTVN34oe9526mH-BXCK0uu4"
        );
        assert_eq!(claims.get_str("jti").unwrap().len(), 43);
        assert_eq!(dpop.jkt().len(), 43);
    }
}
