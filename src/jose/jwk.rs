//! JSON Web Keys (RFC 7517): public EC P-256 and RSA keys, key sets with selection by
//! `kid`/`alg`/`use`, their compact form (the usable keys' members only, without `x5c`), RFC
//! 7638 thumbprints, and ES256 key pairs imported from PEM (PKCS#8 private, SPKI public; RFC
//! 7468) or from a JWK with `d`.

use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::json::{Array, JsonStr, Object, ObjectWriter};
use crate::crypto::{CryptoProvider, EcSigningKey, Failed, Sha256Context};
use crate::jose::RsaPublicKey;
use crate::jose::jws::{self, Algorithm};
use crate::{Error, JwkError};
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rand_core::CryptoRngCore;

/// A JWK viewed in place; members are read on demand.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Jwk<'a> {
    /// The JWK object.
    pub raw: Object<'a>,
}

impl<'a> Jwk<'a> {
    /// Reads a JWK from JSON text.
    pub fn parse(json: &'a str) -> Result<Jwk<'a>, Error> {
        Ok(Jwk {
            raw: Object::parse(json)?,
        })
    }

    /// `kty`.
    pub fn kty(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("kty")
    }

    /// `kid`.
    pub fn kid(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("kid")
    }

    /// `alg`.
    pub fn alg(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("alg")
    }

    /// `use`.
    pub fn key_use(&self) -> Option<JsonStr<'a>> {
        self.raw.get_str("use")
    }

    /// Whether this key may verify tokens signed with `alg`: its type fits `alg`, and its
    /// `alg` and `use` members, when present, are `alg` and `sig`.
    pub fn fits(&self, alg: Algorithm) -> bool {
        let kty = match alg {
            Algorithm::ES256 => "EC",
            Algorithm::RS256 => "RSA",
            Algorithm::HS256 => "oct",
        };
        self.kty().is_some_and(|k| k == kty)
            && self.alg().is_none_or(|a| a == alg.as_str())
            && self.key_use().is_none_or(|u| u == "sig")
            && (alg != Algorithm::ES256 || self.raw.get_str("crv").is_some_and(|c| c == "P-256"))
    }

    /// Whether this key may verify some token the core verifies (RS256 or ES256): an RSA key,
    /// or an EC key on P-256, whose `use` (when present) is `sig` and whose `alg` (when
    /// present) is its algorithm. [`Jwks::write_compact`] keeps these keys only.
    pub fn is_usable(&self) -> bool {
        self.fits(Algorithm::RS256) || self.fits(Algorithm::ES256)
    }

    fn param<const N: usize>(
        &self,
        name: &'static str,
        out: &'a mut [u8; N],
    ) -> Result<&'a [u8], JwkError> {
        let bad = JwkError::InvalidParameter { name };
        let v = self.raw.get_str(name).ok_or(bad)?;
        let v = v.as_str().ok_or(bad)?;
        base64url::decode(v, out).map(|s| &*s).map_err(|_| bad)
    }

    /// The public key.
    pub fn public_key(&self) -> Result<PublicKey, JwkError> {
        let kty = self.kty().ok_or(JwkError::UnsupportedKeyType)?;
        if kty == "EC" {
            if !self.raw.get_str("crv").is_some_and(|c| c == "P-256") {
                return Err(JwkError::UnsupportedCurve);
            }
            let (mut x, mut y) = ([0u8; 33], [0u8; 33]);
            let x = coordinate(self.param("x", &mut x)?, "x")?;
            let y = coordinate(self.param("y", &mut y)?, "y")?;
            let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
            let key =
                VerifyingKey::from_encoded_point(&point).map_err(|_| JwkError::InvalidPoint)?;
            Ok(PublicKey::Ec(key))
        } else if kty == "RSA" {
            let mut n = [0u8; 513];
            let mut e = [0u8; 16];
            let n = self.param("n", &mut n)?;
            let e = self.param("e", &mut e)?;
            Ok(PublicKey::Rsa(RsaPublicKey::from_components(n, e)?))
        } else {
            Err(JwkError::UnsupportedKeyType)
        }
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key.
    pub fn thumbprint(&self) -> Result<[u8; 32], JwkError> {
        Ok(self.public_key()?.thumbprint())
    }
}

fn coordinate(b: &[u8], name: &'static str) -> Result<[u8; 32], JwkError> {
    b.try_into()
        .map_err(|_| JwkError::InvalidParameter { name })
}

/// A public key usable for verification.
#[derive(Clone, Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // No heap to box the RSA key in; keys are few and long-lived.
pub enum PublicKey {
    /// A P-256 key (ES256).
    Ec(VerifyingKey),
    /// An RSA key (RS256).
    Rsa(RsaPublicKey),
}

/// Feeds `fmt::Write` output into SHA-256.
struct HashWriter(Sha256Context);

impl core::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// Displays bytes as base64url.
struct B64<'a>(&'a [u8]);

impl core::fmt::Display for B64<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut buf = [0u8; 96];
        for chunk in self.0.chunks(72) {
            let s = base64url::encode(chunk, &mut buf).map_err(|_| core::fmt::Error)?;
            f.write_str(s)?;
        }
        Ok(())
    }
}

impl PublicKey {
    /// The key as a [`jws::Key`] for verification.
    pub fn as_jws_key(&self) -> jws::Key<'_> {
        match self {
            PublicKey::Ec(k) => jws::Key::Es256(k),
            PublicKey::Rsa(k) => jws::Key::Rs256(k),
        }
    }

    /// The algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            PublicKey::Ec(_) => Algorithm::ES256,
            PublicKey::Rsa(_) => Algorithm::RS256,
        }
    }

    fn write_members(&self, f: &mut dyn core::fmt::Write, canonical: bool) -> core::fmt::Result {
        match self {
            PublicKey::Ec(k) => {
                let p = k.to_encoded_point(false);
                let (x, y) = (
                    p.x().map_or(&[][..], |x| &x[..]),
                    p.y().map_or(&[][..], |y| &y[..]),
                );
                if canonical {
                    write!(
                        f,
                        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                        B64(x),
                        B64(y)
                    )
                } else {
                    write!(
                        f,
                        r#"{{"kty":"EC","x":"{}","y":"{}","crv":"P-256"}}"#,
                        B64(x),
                        B64(y)
                    )
                }
            }
            PublicKey::Rsa(k) => {
                let mut n = [0u8; 512];
                let n = k.write_modulus(&mut n).unwrap_or(&[]);
                let e = k.exponent().to_be_bytes();
                let e = &e[e.iter().position(|&b| b != 0).unwrap_or(7)..];
                if canonical {
                    write!(f, r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, B64(e), B64(n))
                } else {
                    write!(f, r#"{{"kty":"RSA","n":"{}","e":"{}"}}"#, B64(n), B64(e))
                }
            }
        }
    }

    /// The RFC 7638 SHA-256 thumbprint: the hash of the required members in lexicographic
    /// order with no whitespace.
    pub fn thumbprint(&self) -> [u8; 32] {
        let mut h = HashWriter(crate::crypto::default_provider().hash.sha256_context());
        let _ = self.write_members(&mut h, true);
        h.0.finish()
    }

    /// Writes the public JWK (`kty`, `x`, `y`, `crv` for EC, as the DPoP header carries it).
    pub fn write_jwk(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        self.write_members(w, false).map_err(|_| w.overflow())
    }
}

/// A JSON Web Key Set viewed in place.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Jwks<'a> {
    keys: Array<'a>,
}

impl<'a> Jwks<'a> {
    /// Reads a JWKS: an object with a `keys` array.
    pub fn parse(json: &'a str) -> Result<Jwks<'a>, Error> {
        let o = Object::parse(json)?;
        let keys = o
            .get("keys")
            .and_then(|k| k.as_array())
            .ok_or(JwkError::NotAKeySet)?;
        Ok(Jwks { keys })
    }

    /// All keys that are objects.
    pub fn keys(&self) -> impl Iterator<Item = Jwk<'a>> + use<'a> {
        self.keys
            .iter()
            .filter_map(|v| v.as_object())
            .map(|raw| Jwk { raw })
    }

    /// Writes the compact form of the set, `{"keys":[…]}` with the [usable](Jwk::is_usable)
    /// keys only and, of each, only the members verification reads (`kty`, `kid`, `use`,
    /// `alg`, then `n` and `e`, or `crv`, `x` and `y`): no `x5c`, `x5t` or other members. It
    /// selects and verifies as the whole set does, in a fraction of its size (an Auth0 JWKS of
    /// two RSA keys and their certificates: about 3 KB, compact about 800 bytes). Returns how
    /// many keys it kept.
    ///
    /// ```
    /// use auth0_edge::jose::jwk::Jwks;
    /// let set = Jwks::parse(r#"{"keys":[
    ///   {"kty":"RSA","use":"sig","n":"AQAB","e":"AQAB","kid":"k1","x5t":"Zm9v","x5c":["MIIC…"],"alg":"RS256"},
    ///   {"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","kid":"k2"},
    ///   {"kty":"OKP","crv":"Ed25519","x":"AA","kid":"k3"}]}"#)?;
    /// let mut buf = [0u8; 256];
    /// let mut w = auth0_edge::codec::buf::Writer::new(&mut buf, "JWKS");
    /// assert_eq!(set.write_compact(&mut w)?, 1);
    /// assert_eq!(w.as_str(), r#"{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"AQAB","e":"AQAB"}]}"#);
    /// # Ok::<(), auth0_edge::Error>(())
    /// ```
    pub fn write_compact(&self, w: &mut Writer<'_>) -> Result<usize, Error> {
        const RSA: [&str; 6] = ["kty", "kid", "use", "alg", "n", "e"];
        const EC: [&str; 7] = ["kty", "kid", "use", "alg", "crv", "x", "y"];
        w.push_str(r#"{"keys":["#)?;
        let mut kept = 0;
        for key in self.keys().filter(Jwk::is_usable) {
            if kept > 0 {
                w.push_ascii(b',')?;
            }
            let members: &[&str] = if key.kty().is_some_and(|k| k == "RSA") {
                &RSA
            } else {
                &EC
            };
            let mut o = ObjectWriter::begin(w)?;
            for name in members {
                if let Some(v) = key.raw.get(name) {
                    o.member(JsonStr::new(name), v)?;
                }
            }
            o.end()?;
            kept += 1;
        }
        w.push_str("]}")?;
        Ok(kept)
    }

    /// The keys that may verify a token with this `alg` and `kid`: keys of the right type whose
    /// `alg`/`use` allow it and, when the token names a `kid`, with that `kid`.
    pub fn candidates<'k>(
        &self,
        kid: Option<JsonStr<'k>>,
        alg: Algorithm,
    ) -> impl Iterator<Item = Jwk<'a>> + use<'a, 'k> {
        self.keys().filter(move |k| {
            k.fits(alg)
                && match kid {
                    Some(kid) => k.kid().is_some_and(|k| k == kid),
                    None => true,
                }
        })
    }
}

/// An ES256 key pair: what DPoP and `private_key_jwt` sign with, prepared for the
/// [`CryptoProvider`] that signs with it (the [default](crate::crypto::default_provider)
/// unless made with [`EcKeyPair::with_provider`]).
pub struct EcKeyPair {
    provider: &'static CryptoProvider,
    key: EcSigningKey,
}

impl Clone for EcKeyPair {
    fn clone(&self) -> EcKeyPair {
        EcKeyPair::prepare(self.provider, &self.key.secret)
    }
}

impl core::fmt::Debug for EcKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EcKeyPair")
            .field("provider", &self.provider.name)
            .field("public", self.key.secret.verifying_key())
            .finish_non_exhaustive()
    }
}

/// Decodes a PEM document into `buf`, checks its label, and returns the DER.
fn pem_der<'b>(
    pem: &str,
    labels: &[&'static str],
    buf: &'b mut [u8],
) -> Result<(&'static str, &'b [u8]), JwkError> {
    let (label, der) =
        pem_rfc7468::decode(pem.trim().as_bytes(), buf).map_err(|_| JwkError::Pem)?;
    let label = labels.iter().find(|l| **l == label).ok_or(JwkError::Der)?;
    Ok((label, der))
}

impl EcKeyPair {
    /// The key prepared for `provider`; RustCrypto if the provider refuses it (no provider
    /// refuses a valid P-256 scalar).
    fn prepare(provider: &'static CryptoProvider, signing: &SigningKey) -> EcKeyPair {
        match provider.ecdsa.signing_key(signing) {
            Ok(key) => EcKeyPair { provider, key },
            Err(_) => EcKeyPair::from_signing_key(signing.clone()),
        }
    }

    /// The pair of a RustCrypto signing key, signing with the RustCrypto provider.
    fn from_signing_key(secret: SigningKey) -> EcKeyPair {
        EcKeyPair {
            provider: &crate::crypto::rust_crypto::PROVIDER,
            key: EcSigningKey {
                secret,
                inner: crate::crypto::EcSigningInner::RustCrypto,
            },
        }
    }

    /// The same key pair, signing with `provider`.
    pub fn with_provider(&self, provider: &'static CryptoProvider) -> EcKeyPair {
        EcKeyPair::prepare(provider, &self.key.secret)
    }

    /// The provider this pair signs with.
    pub fn provider(&self) -> &'static CryptoProvider {
        self.provider
    }

    /// Signs `message` with ES256 (SHA-256 inside) and returns the raw `r || s` signature.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], Failed> {
        self.provider.ecdsa.sign(&self.key, message)
    }

    /// A fresh random key pair (the scalar drawn from `rng`).
    pub fn generate(rng: &mut impl CryptoRngCore) -> EcKeyPair {
        EcKeyPair::prepare(crate::crypto::default_provider(), &SigningKey::random(rng))
    }

    /// Imports a private key (PKCS#8 `PRIVATE KEY`, or SEC1 `EC PRIVATE KEY`) and checks it
    /// against the public key (SPKI `PUBLIC KEY`) when one is given, as the SDK does with
    /// `AUTH0_DPOP_PRIVATE_KEY` and `AUTH0_DPOP_PUBLIC_KEY`.
    pub fn from_pem(private_pem: &str, public_pem: Option<&str>) -> Result<EcKeyPair, JwkError> {
        // The DER of a private key is wiped when this returns, on every path.
        let mut buf = zeroize::Zeroizing::new([0u8; 512]);
        let (label, der) = pem_der(private_pem, &["PRIVATE KEY", "EC PRIVATE KEY"], &mut *buf)?;
        let signing = if label == "PRIVATE KEY" {
            SigningKey::from_pkcs8_der(der).map_err(|_| JwkError::Der)?
        } else {
            p256::SecretKey::from_sec1_der(der)
                .map_err(|_| JwkError::Der)?
                .into()
        };
        if let Some(public_pem) = public_pem {
            let mut buf = [0u8; 256];
            let (_, der) = pem_der(public_pem, &["PUBLIC KEY"], &mut buf)?;
            let public = VerifyingKey::from_public_key_der(der).map_err(|_| JwkError::Der)?;
            if public != *signing.verifying_key() {
                return Err(JwkError::KeyPairMismatch);
            }
        }
        Ok(EcKeyPair::prepare(
            crate::crypto::default_provider(),
            &signing,
        ))
    }

    /// Imports a private JWK (`kty` `EC`, `crv` `P-256`, `d`, and `x`/`y`, which must match).
    pub fn from_jwk(jwk: &Jwk<'_>) -> Result<EcKeyPair, JwkError> {
        let public = jwk.public_key()?;
        let PublicKey::Ec(public) = public else {
            return Err(JwkError::UnsupportedKeyType);
        };
        let bad = JwkError::InvalidParameter { name: "d" };
        let d = jwk.raw.get_str("d").and_then(|d| d.as_str()).ok_or(bad)?;
        let mut buf = zeroize::Zeroizing::new([0u8; 33]);
        let d = base64url::decode_secret(d, &mut *buf).map_err(|_| bad)?;
        let signing = SigningKey::from_slice(d).map_err(|_| bad)?;
        if *signing.verifying_key() != public {
            return Err(JwkError::KeyPairMismatch);
        }
        Ok(EcKeyPair::prepare(
            crate::crypto::default_provider(),
            &signing,
        ))
    }

    /// The RustCrypto signing key (signs with RustCrypto whatever the pair's provider; use
    /// [`EcKeyPair::sign`] or pass the pair to [`jws::sign_es256`] to sign with the provider).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key.secret
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::Ec(*self.key.secret.verifying_key())
    }

    /// The private key as PKCS#8 PEM.
    #[cfg(feature = "std")]
    pub fn private_pem(&self) -> std::string::String {
        use p256::pkcs8::EncodePrivateKey;
        self.key
            .secret
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .map(|s| s.as_str().into())
            .unwrap_or_default()
    }

    /// The public key as SPKI PEM.
    #[cfg(feature = "std")]
    pub fn public_pem(&self) -> std::string::String {
        use p256::pkcs8::EncodePublicKey;
        self.key
            .secret
            .verifying_key()
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1.
    const RFC7638_JWK: &str = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;

    #[test]
    fn rfc7638_thumbprint() {
        let t = Jwk::parse(RFC7638_JWK).unwrap().thumbprint().unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(
            base64url::encode(&t, &mut buf).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn jwks_selection() {
        let jwks = r#"{"keys":[
            {"kty":"EC","crv":"P-256","kid":"e1","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"RSA","kid":"r1","alg":"RS256","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":"r2","use":"enc","n":"AQAB","e":"AQAB"},
            "junk"
        ]}"#;
        let set = Jwks::parse(jwks).unwrap();
        assert_eq!(set.keys().count(), 3);
        let c: heapless::Vec<_, 4> = set.candidates(None, Algorithm::RS256).collect();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kid().unwrap(), "r1");
        assert_eq!(
            set.candidates(Some("e1".into()), Algorithm::ES256).count(),
            1
        );
        assert_eq!(
            set.candidates(Some("e1".into()), Algorithm::RS256).count(),
            0
        );
        assert_eq!(
            set.candidates(Some("zz".into()), Algorithm::ES256).count(),
            0
        );
        // The EC key of RFC 7515 A.3 parses; the tiny RSA modulus is refused.
        let e1 = set
            .candidates(Some("e1".into()), Algorithm::ES256)
            .next()
            .unwrap();
        assert!(matches!(e1.public_key(), Ok(PublicKey::Ec(_))));
        assert!(matches!(
            c[0].public_key(),
            Err(JwkError::RsaKeySize { .. })
        ));
        assert_eq!(Jwks::parse("{}").unwrap_err(), JwkError::NotAKeySet.into());
    }

    #[test]
    fn the_compact_set_selects_the_same_keys() {
        let jwks = r#"{"keys":[
            {"kty":"EC","crv":"P-256","kid":"e1","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","x5c":["AAAA"]},
            {"kty":"EC","crv":"P-384","kid":"e2","x":"AA","y":"AA"},
            {"kty":"RSA","kid":"r1","alg":"RS256","n":"AQAB","e":"AQAB","x5c":["MIIB","MIIC"],"x5t#S256":"x"},
            {"kty":"RSA","kid":"r2","use":"enc","n":"AQAB","e":"AQAB"},
            {"kty":"RSA","kid":"r3","alg":"PS256","n":"AQAB","e":"AQAB"},
            {"kty":"oct","kid":"o1","k":"c2VjcmV0"},
            "junk", 7, {"no":"kty"}
        ]}"#;
        let set = Jwks::parse(jwks).unwrap();
        let mut buf = [0u8; 1024];
        let mut w = Writer::new(&mut buf, "JWKS");
        assert_eq!(set.write_compact(&mut w).unwrap(), 2);
        let compact = Jwks::parse(w.as_str()).unwrap();
        assert!(!w.as_str().contains("x5c") && !w.as_str().contains("x5t"));
        for (kid, alg) in [
            ("e1", Algorithm::ES256),
            ("r1", Algorithm::RS256),
            ("e2", Algorithm::ES256),
            ("r2", Algorithm::RS256),
            ("r3", Algorithm::RS256),
        ] {
            let kid = Some(JsonStr::new(kid));
            assert_eq!(
                compact.candidates(kid, alg).count(),
                set.candidates(kid, alg).count(),
                "{kid:?}"
            );
        }
        // A symmetric key never verifies a provider's token (HS256 uses the client secret, and
        // an `oct` JWK has no public key): the compact set drops it.
        let o1 = Some(JsonStr::new("o1"));
        let oct = set.candidates(o1, Algorithm::HS256).next().unwrap();
        assert_eq!(oct.public_key().unwrap_err(), JwkError::UnsupportedKeyType);
        assert_eq!(compact.candidates(o1, Algorithm::HS256).count(), 0);
        let e1 = compact
            .candidates(Some("e1".into()), Algorithm::ES256)
            .next()
            .unwrap();
        assert!(matches!(e1.public_key(), Ok(PublicKey::Ec(_))));
        // An empty set, and too small a buffer.
        let mut w = Writer::new(&mut buf, "JWKS");
        assert_eq!(
            Jwks::parse(r#"{"keys":[]}"#)
                .unwrap()
                .write_compact(&mut w)
                .unwrap(),
            0
        );
        assert_eq!(w.as_str(), r#"{"keys":[]}"#);
        let mut small = [0u8; 32];
        let mut w = Writer::new(&mut small, "JWKS");
        assert!(matches!(
            set.write_compact(&mut w),
            Err(Error::BufferTooSmall { .. })
        ));
    }

    #[test]
    fn bad_jwks_members() {
        for (jwk, err) in [
            (r#"{"kty":"OKP"}"#, JwkError::UnsupportedKeyType),
            (
                r#"{"kty":"EC","crv":"P-384","x":"","y":""}"#,
                JwkError::UnsupportedCurve,
            ),
            (
                r#"{"kty":"EC","crv":"P-256","y":"AA"}"#,
                JwkError::InvalidParameter { name: "x" },
            ),
            (
                r#"{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#,
                JwkError::InvalidPoint,
            ),
        ] {
            assert_eq!(
                Jwk::parse(jwk).unwrap().public_key().unwrap_err(),
                err,
                "{jwk}"
            );
        }
    }

    #[test]
    fn key_pair_from_jwk_checks_the_public_part() {
        // RFC 7515 A.3 key.
        let jwk = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
        assert!(EcKeyPair::from_jwk(&Jwk::parse(jwk).unwrap()).is_ok());
        let wrong = jwk.replace("jpsQnn", "kpsQnn");
        assert_eq!(
            EcKeyPair::from_jwk(&Jwk::parse(&wrong).unwrap()).unwrap_err(),
            JwkError::KeyPairMismatch
        );
    }
}
