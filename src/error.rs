//! The core's error type: one `#[non_exhaustive]` enum with a nested category enum per area.
//!
//! Every message says what went wrong and, where a person can act, what to do about it.

use core::fmt;

/// Any error of the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A caller-provided buffer is too small for the output; nothing was truncated.
    BufferTooSmall {
        /// Which buffer (for example `"session plaintext"`).
        what: &'static str,
        /// How many bytes it has.
        capacity: usize,
    },
    /// Invalid configuration (a secret too short, a bad option).
    Config(ConfigError),
    /// Malformed JSON.
    Json(JsonError),
    /// A JWE could not be opened or sealed.
    Jwe(JweError),
    /// A JWS could not be verified or signed.
    Jws(JwsError),
    /// A JWK, JWKS or PEM key could not be used.
    Jwk(JwkError),
    /// A JWT's claims failed validation.
    Jwt(JwtError),
    /// A cookie could not be read or written.
    Cookie(CookieError),
    /// A session or transaction document is not in the expected shape.
    Session(SessionError),
}

/// Invalid configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `AUTH0_SECRET` has fewer than 32 characters.
    SecretTooShort {
        /// How many characters it has.
        len: usize,
    },
    /// An option has a value that cannot be used.
    Invalid {
        /// The option or environment variable.
        option: &'static str,
        /// What is wrong and what to do.
        reason: &'static str,
    },
}

/// Malformed JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is not valid JSON; `offset` is the byte where parsing stopped.
    Syntax {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The text is not valid UTF-8.
    Utf8,
    /// Arrays and objects nest deeper than [`crate::codec::json::MAX_DEPTH`].
    TooDeep,
    /// A member has the wrong JSON type.
    WrongType {
        /// The member's name.
        field: &'static str,
        /// The type it must have.
        expected: &'static str,
    },
    /// A required member is missing.
    Missing {
        /// The member's name.
        field: &'static str,
    },
}

/// A JWE could not be opened or sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JweError {
    /// Not five base64url segments separated by dots.
    Malformed,
    /// A segment is not valid base64url (no padding).
    Base64,
    /// The protected header is not a JSON object.
    Header,
    /// The header's `alg` is not `dir`.
    UnsupportedAlg,
    /// The header's `enc` is not `A256GCM`.
    UnsupportedEnc,
    /// The header carries `crit`, which this implementation does not understand.
    Crit,
    /// The encrypted-key segment is not empty, as `dir` requires.
    EncryptedKeyNotEmpty,
    /// The IV is not 12 bytes.
    IvLength,
    /// The authentication tag is not 16 bytes.
    TagLength,
    /// Decryption failed: the value was tampered with or sealed with another secret.
    Decryption,
    /// The payload's `exp` is past (beyond the tolerance).
    Expired,
    /// The payload's `nbf` is in the future (beyond the tolerance).
    NotYetValid,
    /// The payload is not a JSON object with a numeric `exp` where one is required.
    Payload,
}

/// A JWS could not be verified or signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwsError {
    /// Not three base64url segments separated by dots.
    Malformed,
    /// A segment is not valid base64url (no padding).
    Base64,
    /// The protected header is not a JSON object with a string `alg`.
    Header,
    /// The header's `alg` is `none`.
    AlgNone,
    /// The header's `alg` is not one this implementation knows.
    UnknownAlg,
    /// The header's `alg` is not among the algorithms the caller allows.
    AlgNotAllowed,
    /// The key does not fit the header's `alg` (for example RS256 with an EC key).
    KeyMismatch,
    /// The header carries `crit`, which this implementation does not understand.
    Crit,
    /// The signature does not verify.
    BadSignature,
    /// No key in the key set matches the token's `kid`/`alg`.
    NoMatchingKey,
}

/// A JWK, JWKS or PEM key could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwkError {
    /// `kty` is missing or not `EC` / `RSA` / `oct`.
    UnsupportedKeyType,
    /// `crv` is not `P-256`.
    UnsupportedCurve,
    /// A coordinate, modulus or exponent is missing or not valid base64url.
    InvalidParameter {
        /// The JWK member (`x`, `y`, `d`, `n`, `e`).
        name: &'static str,
    },
    /// The EC point is not on P-256.
    InvalidPoint,
    /// An RSA modulus outside 2048-4096 bits, even, or an unusable exponent.
    RsaKeySize {
        /// The modulus length in bits.
        bits: usize,
    },
    /// The JWKS has no `keys` array.
    NotAKeySet,
    /// The PEM text is not valid (armor, base64 or label).
    Pem,
    /// The DER inside the PEM is not a P-256 PKCS#8 private key or SPKI public key.
    Der,
    /// The private and public key do not belong together.
    KeyPairMismatch,
}

/// A JWT's claims failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// The claims are not a JSON object.
    Claims,
    /// A required claim is missing.
    MissingClaim(&'static str),
    /// `iss` differs from the expected issuer.
    Issuer,
    /// `aud` does not contain the expected audience.
    Audience,
    /// `exp` is past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// A claim has the wrong JSON type.
    ClaimType(&'static str),
}

/// A cookie could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// No cookie of that name (nor any chunk of it) is in the request.
    NotFound,
    /// Chunks are present but not numbered contiguously from 0.
    MissingChunk {
        /// The first index that is missing.
        index: usize,
    },
    /// A chunk index is not a number or is absurdly large.
    BadChunkIndex,
    /// A cookie name contains characters not allowed by RFC 6265.
    InvalidName,
    /// A cookie value contains a malformed percent-escape.
    InvalidEncoding,
    /// The value would need more cookies than a browser keeps for one site.
    TooManyChunks,
}

/// A session or transaction document is not in the expected shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The document lacks a member the SDK always writes.
    MissingField(&'static str),
    /// A member has the wrong type.
    InvalidField(&'static str),
    /// More `accessTokens` entries than [`crate::session::MAX_ACCESS_TOKENS`].
    TooManyAccessTokens,
    /// More `connectionTokenSets` entries than [`crate::session::MAX_CONNECTION_TOKENS`].
    TooManyConnectionTokens,
    /// The session is too large for cookies; use a server-side session store.
    TooLarge {
        /// The sealed size in bytes.
        sealed_len: usize,
    },
    /// The IPSIE ceiling `internal.sessionExpiresAt` is reached.
    Expired,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // This level only; the category (`source()`) says what exactly. Print the whole chain
        // with [`Report`].
        match self {
            Error::BufferTooSmall { what, capacity } => write!(
                f,
                "the {what} buffer ({capacity} bytes) is too small: pass a larger buffer"
            ),
            Error::Config(_) => f.write_str("invalid configuration"),
            Error::Json(_) => f.write_str("malformed JSON"),
            Error::Jwe(_) => f.write_str("a JWE could not be opened or sealed"),
            Error::Jws(_) => f.write_str("a JWS could not be verified or signed"),
            Error::Jwk(_) => f.write_str("a key could not be used"),
            Error::Jwt(_) => f.write_str("a JWT's claims were refused"),
            Error::Cookie(_) => f.write_str("a cookie could not be read or written"),
            Error::Session(_) => f.write_str("a session document could not be used"),
        }
    }
}

/// Displays an error and its causes (`source()` chain), joined with `": "`: the one-line
/// report for logs and command-line tools.
///
/// ```
/// use auth0_edge::{Error, JweError, Report};
/// let e = Error::Jwe(JweError::Expired);
/// assert_eq!(e.to_string(), "a JWE could not be opened or sealed");
/// assert_eq!(
///     Report(&e).to_string(),
///     "a JWE could not be opened or sealed: expired (exp is past); the user must sign in again"
/// );
/// ```
#[derive(Clone, Copy)]
#[allow(clippy::exhaustive_structs)] // a newtype over the error
pub struct Report<'a>(pub &'a (dyn core::error::Error + 'a));

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::SecretTooShort { len } => write!(
                f,
                "AUTH0_SECRET has {len} characters but needs at least 32; generate one with `openssl rand -hex 32`"
            ),
            ConfigError::Invalid { option, reason } => write!(f, "{option}: {reason}"),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax { offset } => write!(f, "syntax error at byte {offset}"),
            JsonError::Utf8 => f.write_str("the text is not valid UTF-8"),
            JsonError::TooDeep => f.write_str("arrays and objects nest too deeply"),
            JsonError::WrongType { field, expected } => {
                write!(f, "member `{field}` must be {expected}")
            }
            JsonError::Missing { field } => write!(f, "member `{field}` is missing"),
        }
    }
}

impl fmt::Display for JweError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JweError::Malformed => "not a compact JWE (five dot-separated segments)",
            JweError::Base64 => "a segment is not valid unpadded base64url",
            JweError::Header => "the protected header is not a JSON object",
            JweError::UnsupportedAlg => "the header's alg is not `dir`",
            JweError::UnsupportedEnc => "the header's enc is not `A256GCM`",
            JweError::Crit => "the header has a `crit` member, which is not supported",
            JweError::EncryptedKeyNotEmpty => "the encrypted key must be empty with alg `dir`",
            JweError::IvLength => "the IV must be 12 bytes",
            JweError::TagLength => "the authentication tag must be 16 bytes",
            JweError::Decryption => {
                "decryption failed: the value was tampered with or sealed with another secret (check AUTH0_SECRET)"
            }
            JweError::Expired => "expired (exp is past); the user must sign in again",
            JweError::NotYetValid => "not yet valid (nbf is in the future); check the clock",
            JweError::Payload => "the payload is not a JSON object with a numeric exp",
        })
    }
}

impl fmt::Display for JwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JwsError::Malformed => "not a compact JWS (three dot-separated segments)",
            JwsError::Base64 => "a segment is not valid unpadded base64url",
            JwsError::Header => "the protected header is not a JSON object with a string alg",
            JwsError::AlgNone => "alg `none` is refused",
            JwsError::UnknownAlg => "the alg is not supported (ES256, RS256 and HS256 are)",
            JwsError::AlgNotAllowed => "the alg is not among the allowed algorithms",
            JwsError::KeyMismatch => "the key type does not match the alg",
            JwsError::Crit => "the header has a `crit` member, which is not supported",
            JwsError::BadSignature => "the signature does not verify",
            JwsError::NoMatchingKey => {
                "no key in the JWKS matches the token's kid and alg; the provider may have rotated its keys"
            }
        })
    }
}

impl fmt::Display for JwkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwkError::UnsupportedKeyType => f.write_str("kty must be EC, RSA or oct"),
            JwkError::UnsupportedCurve => f.write_str("crv must be P-256"),
            JwkError::InvalidParameter { name } => {
                write!(f, "member `{name}` is missing or not valid base64url")
            }
            JwkError::InvalidPoint => f.write_str("the point is not on P-256"),
            JwkError::RsaKeySize { bits } => write!(
                f,
                "RSA modulus of {bits} bits: RS256 keys must be 2048 to 4096 bits with an odd modulus and exponent"
            ),
            JwkError::NotAKeySet => f.write_str("a JWKS must be an object with a `keys` array"),
            JwkError::Pem => f.write_str("not a valid PEM document"),
            JwkError::Der => f.write_str(
                "not a P-256 key (expected PKCS#8 `PRIVATE KEY` or SPKI `PUBLIC KEY`); generate one with `auth0-edge dpop keygen`",
            ),
            JwkError::KeyPairMismatch => f.write_str("the private and public keys do not match"),
        }
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::Claims => f.write_str("the claims are not a JSON object"),
            JwtError::MissingClaim(c) => write!(f, "required claim `{c}` is missing"),
            JwtError::Issuer => f.write_str("`iss` does not match the expected issuer"),
            JwtError::Audience => f.write_str("`aud` does not contain the expected audience"),
            JwtError::Expired => f.write_str("the token has expired (`exp`)"),
            JwtError::NotYetValid => f.write_str("the token is not valid yet (`nbf`)"),
            JwtError::IssuedInFuture => {
                f.write_str("the token was issued in the future (`iat`); check the clock")
            }
            JwtError::ClaimType(c) => write!(f, "claim `{c}` has the wrong type"),
        }
    }
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieError::NotFound => f.write_str("not present in the request"),
            CookieError::MissingChunk { index } => write!(
                f,
                "chunk {index} is missing, so the chunks cannot be joined; the user must sign in again"
            ),
            CookieError::BadChunkIndex => f.write_str("a chunk index is not a small number"),
            CookieError::InvalidName => f.write_str("the name has characters RFC 6265 forbids"),
            CookieError::InvalidEncoding => f.write_str("the value has a malformed %-escape"),
            CookieError::TooManyChunks => f.write_str(
                "the value needs more chunks than browsers keep; use a server-side session store",
            ),
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::MissingField(n) => write!(f, "member `{n}` is missing"),
            SessionError::InvalidField(n) => write!(f, "member `{n}` has the wrong type"),
            SessionError::TooManyAccessTokens => f.write_str(
                "too many `accessTokens` entries for this build; raise MAX_ACCESS_TOKENS",
            ),
            SessionError::TooManyConnectionTokens => f.write_str(
                "too many `connectionTokenSets` entries for this build; raise MAX_CONNECTION_TOKENS",
            ),
            SessionError::TooLarge { sealed_len } => write!(
                f,
                "the sealed session is {sealed_len} bytes, too large for cookies; configure a SessionStore"
            ),
            SessionError::Expired => {
                f.write_str("the session has expired; the user must sign in again")
            }
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::BufferTooSmall { .. } => None,
            Error::Config(e) => Some(e),
            Error::Json(e) => Some(e),
            Error::Jwe(e) => Some(e),
            Error::Jws(e) => Some(e),
            Error::Jwk(e) => Some(e),
            Error::Jwt(e) => Some(e),
            Error::Cookie(e) => Some(e),
            Error::Session(e) => Some(e),
        }
    }
}

macro_rules! category {
    ($($t:ident => $v:ident),* $(,)?) => {$(
        impl core::error::Error for $t {}
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::$v(e)
            }
        }
    )*};
}

category! {
    ConfigError => Config,
    JsonError => Json,
    JweError => Jwe,
    JwsError => Jws,
    JwkError => Jwk,
    JwtError => Jwt,
    CookieError => Cookie,
    SessionError => Session,
}
