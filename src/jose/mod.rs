//! JOSE (RFC 7515-7519): compact JWE `dir` + `A256GCM` for cookies, JWS signatures, JWK and
//! JWKS keys with RFC 7638 thumbprints, JWT claim checks, and RS256 verification without
//! allocation.

pub mod jwe;
pub mod jwk;
pub mod jws;
pub mod jwt;
pub(crate) mod rsa;

pub use rsa::RsaPublicKey;
