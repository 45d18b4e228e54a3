//! PKCE (RFC 7636) and the other random values of a login: `state`, `nonce`, `jti`.
//!
//! Each value is 32 random bytes from the caller's [`CryptoRngCore`], base64url-encoded into 43
//! characters, as oauth4webapi makes them for the Next.js SDK. The challenge method is always
//! `S256`: `code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))`.

use crate::codec::base64url;
use rand_core::CryptoRngCore;

/// The length of every random value made here: 32 bytes in base64url.
pub const RANDOM_LEN: usize = 43;

/// A 43-character base64url string of 32 random bytes (a verifier, state, nonce or jti), or
/// an S256 challenge.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Token([u8; RANDOM_LEN]);

impl Token {
    /// 32 fresh random bytes, encoded.
    pub fn random(rng: &mut impl CryptoRngCore) -> Token {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Token::encode(&bytes)
    }

    fn encode(bytes: &[u8; 32]) -> Token {
        let mut out = [0u8; RANDOM_LEN];
        // 32 bytes always encode to exactly 43 characters.
        let _ = base64url::encode(bytes, &mut out);
        Token(out)
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl core::fmt::Debug for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Display for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The S256 `code_challenge` of a `code_verifier`.
///
/// ```
/// // RFC 7636, appendix B.
/// let c = auth0_edge::oauth::pkce::challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(c.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
pub fn challenge(verifier: &str) -> Token {
    Token::encode(&crate::crypto::sha256(verifier.as_bytes()))
}

/// A PKCE pair: a fresh `code_verifier` and its S256 `code_challenge`.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Pkce {
    /// The secret kept in the transaction cookie and sent to the token endpoint.
    pub code_verifier: Token,
    /// Sent to the authorization endpoint with `code_challenge_method=S256`.
    pub code_challenge: Token,
}

impl Pkce {
    /// A fresh pair.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Pkce {
        let code_verifier = Token::random(rng);
        Pkce {
            code_verifier,
            code_challenge: challenge(code_verifier.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        // The verifier of appendix B is the base64url of these 32 octets.
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let v = Token::encode(&octets);
        assert_eq!(v.as_str(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            challenge(v.as_str()).as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn generated_pairs_are_fresh_and_consistent() {
        let a = Pkce::generate(&mut rand_core::OsRng);
        let b = Pkce::generate(&mut rand_core::OsRng);
        assert_ne!(a.code_verifier, b.code_verifier);
        assert_eq!(a.code_verifier.as_str().len(), 43);
        assert_eq!(challenge(a.code_verifier.as_str()), a.code_challenge);
        assert!(
            a.code_verifier
                .as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
