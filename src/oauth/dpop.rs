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
//!
//! Nonces (RFC 9449 §8, §9): a server asks for one with a `use_dpop_nonce` error (400 from the
//! token endpoint, or a `WWW-Authenticate: DPoP error="use_dpop_nonce"` challenge) and sends it
//! in a `DPoP-Nonce` header, which any response may carry. [`is_valid_nonce`] checks one before
//! it is kept (by [`origin`], in the runtime's `ProviderCache`) or sent; [`is_nonce_error`] reads
//! a token endpoint's answer; [`retry_delay_ms`] is the SDK's wait before its one retry. The
//! resource-server side (the `Authorization` scheme, `WWW-Authenticate` challenges, the
//! fetcher's URLs) is in [`crate::oauth::dpop_resource`].

use crate::Error;
use crate::codec::base64url;
use crate::codec::buf::Writer;
use crate::codec::json::ObjectWriter;
use crate::codec::time::UnixTime;
use crate::jose::jwk::EcKeyPair;
use crate::oauth::pkce::Token;
use rand_core::CryptoRngCore;

const HEADER_B64_LEN: usize = 256;

/// The most bytes a proof's claims take (`iat`, `jti`, `htm`, `nonce`, `htu`, `ath`): room for
/// a nonce of [`MAX_NONCE_LEN`] and a URL of 900 bytes. A longer `htu` is
/// [`Error::BufferTooSmall`].
pub const MAX_CLAIMS_LEN: usize = 1280;

/// The longest `DPoP-Nonce` value kept and sent (RFC 9449 sets no limit; oidc-provider's are
/// 43 characters). A longer one is not used: the request goes on without it.
pub const MAX_NONCE_LEN: usize = 256;

/// The longest origin (`scheme://host:port`) a nonce is kept under.
pub const MAX_ORIGIN_LEN: usize = 256;

/// Whether `nonce` can be sent in a proof: RFC 9449 §8's `1*NQCHAR` (visible ASCII except `"`
/// and `\`), at most [`MAX_NONCE_LEN`] bytes.
///
/// ```
/// use auth0_edge::oauth::dpop::is_valid_nonce;
/// assert!(is_valid_nonce("eyJ7S_zG.9-x"));
/// assert!(!is_valid_nonce("") && !is_valid_nonce("a b") && !is_valid_nonce("a\"b"));
/// ```
pub fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_LEN
        && nonce
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The origin of an absolute `http(s)` URL, `scheme://host[:port]` as written: what nonces are
/// kept by (a server's nonce is good for its other endpoints too). `None` for anything else, or
/// an origin longer than [`MAX_ORIGIN_LEN`].
///
/// ```
/// use auth0_edge::oauth::dpop::origin;
/// assert_eq!(origin("https://tenant.auth0.com/oauth/token?x=1"), Some("https://tenant.auth0.com"));
/// assert_eq!(origin("http://127.0.0.1:4400"), Some("http://127.0.0.1:4400"));
/// assert_eq!(origin("/relative"), None);
/// ```
pub fn origin(url: &str) -> Option<&str> {
    let parsed = crate::codec::url::Url::parse(url).ok()?;
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let o = &url[..end];
    (o.len() <= MAX_ORIGIN_LEN && !parsed.host.is_empty()).then_some(o)
}

/// The wait before the one `use_dpop_nonce` retry, in milliseconds: `delay_ms`, or with
/// `jitter` `delay_ms × (0.5 + random × 0.5)` where `random` is `random_u32 / 2³²` (the SDK's
/// `Math.random()`), so between half the delay and the delay.
///
/// ```
/// use auth0_edge::oauth::dpop::retry_delay_ms;
/// assert_eq!(retry_delay_ms(100, false, u32::MAX), 100);
/// assert_eq!(retry_delay_ms(100, true, 0), 50);
/// assert_eq!(retry_delay_ms(100, true, u32::MAX), 99);
/// ```
pub fn retry_delay_ms(delay_ms: u64, jitter: bool, random_u32: u32) -> u64 {
    if !jitter {
        return delay_ms;
    }
    // delay × (2³² + r) / 2³³, in integers: exact for every delay.
    let scaled = (u128::from(delay_ms) * ((1u128 << 32) + u128::from(random_u32))) >> 33;
    u64::try_from(scaled).unwrap_or(delay_ms)
}

/// Whether a token endpoint's answer asks for a (new) nonce: a 400 whose JSON `error` is
/// `use_dpop_nonce`, or a `WWW-Authenticate` challenge with scheme `DPoP` and
/// `error="use_dpop_nonce"` (the two cases of the SDK's retry, after oauth4webapi's
/// `isDPoPNonceError`). `headers` are the response's header lines (`Name: value`, CRLF).
///
/// ```
/// use auth0_edge::oauth::dpop::is_nonce_error;
/// assert!(is_nonce_error(400, "DPoP-Nonce: n1", br#"{"error":"use_dpop_nonce"}"#));
/// assert!(is_nonce_error(401, "WWW-Authenticate: DPoP error=\"use_dpop_nonce\"", b""));
/// assert!(!is_nonce_error(400, "", br#"{"error":"invalid_grant"}"#));
/// ```
pub fn is_nonce_error(status: u16, headers: &str, body: &[u8]) -> bool {
    let in_body = status == 400
        && crate::codec::json::Object::parse_bytes(body)
            .ok()
            .and_then(|o| o.get_str("error"))
            .is_some_and(|e| e == "use_dpop_nonce");
    in_body || crate::oauth::dpop_resource::nonce_challenge(headers).is_some()
}

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
        let mut claims = [0u8; MAX_CLAIMS_LEN];
        let mut cw = Writer::new(&mut claims, "DPoP claims");
        write_claims(req, now, &Token::random(rng), &mut cw)?;
        let mut w = Writer::new(out, "DPoP proof");
        w.push_str(&self.header_b64)?;
        w.push_ascii(b'.')?;
        w.push_base64url(cw.as_bytes())?;
        let sig = self
            .key
            .sign(w.as_bytes())
            .map_err(|_| crate::JwsError::BadSignature)?;
        w.push_ascii(b'.')?;
        w.push_base64url(&sig)?;
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
        let ath = base64url::encode(&crate::crypto::sha256(at.as_bytes()), &mut ath).unwrap_or("");
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
