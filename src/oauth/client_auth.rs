//! Client authentication at the token endpoint (RFC 6749 §2.3.1, RFC 7523): `client_secret_post`,
//! `client_secret_basic`, `private_key_jwt` with an ES256 assertion, or none.

use crate::codec::buf::Writer;
use crate::codec::form::FormWriter;
use crate::codec::json::ObjectWriter;
use crate::codec::time::UnixTime;
use crate::jose::jwk::EcKeyPair;
use crate::oauth::pkce::Token;
use crate::{Error, JsonError};
use rand_core::CryptoRngCore;

/// `client_assertion_type` for `private_key_jwt`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Client authentication at the token endpoint, resolved from the configuration.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ClientAuth<'a> {
    /// `client_secret_post`.
    SecretPost(&'a str),
    /// `client_secret_basic`.
    SecretBasic(&'a str),
    /// `private_key_jwt` with an ES256 key.
    PrivateKeyJwt(&'a EcKeyPair),
    /// No authentication (public client).
    None,
}

/// Appends the client authentication members of a form body (`client_id` and the secret or
/// assertion).
pub fn write_client_auth(
    f: &mut FormWriter<'_, '_>,
    client_id: &str,
    auth: &ClientAuth<'_>,
    issuer: &str,
    now: UnixTime,
    rng: &mut impl CryptoRngCore,
) -> Result<(), Error> {
    match auth {
        ClientAuth::SecretPost(secret) => {
            f.pair("client_id", client_id)?;
            f.pair("client_secret", secret)
        }
        ClientAuth::SecretBasic(_) => Ok(()),
        ClientAuth::PrivateKeyJwt(key) => {
            f.pair("client_id", client_id)?;
            f.pair("client_assertion_type", JWT_BEARER)?;
            let mut jwt = [0u8; 1024];
            let assertion =
                client_assertion(key, client_id, issuer, now, &Token::random(rng), &mut jwt)?;
            f.pair("client_assertion", assertion)
        }
        ClientAuth::None => f.pair("client_id", client_id),
    }
}

/// A `private_key_jwt` client assertion: `iss` = `sub` = client id, `aud` = issuer,
/// `iat` = `nbf` = now, `exp` = now + 60, a random `jti`, signed ES256.
pub fn client_assertion<'b>(
    key: &EcKeyPair,
    client_id: &str,
    issuer: &str,
    now: UnixTime,
    jti: &Token,
    buf: &'b mut [u8],
) -> Result<&'b str, Error> {
    let mut claims = [0u8; 512];
    let mut cw = Writer::new(&mut claims, "client assertion");
    let mut o = ObjectWriter::begin(&mut cw)?;
    o.str("iss", client_id)?;
    o.str("sub", client_id)?;
    o.str("aud", issuer)?;
    o.i64("iat", now)?;
    o.i64("nbf", now)?;
    o.i64("exp", now.saturating_add(60))?;
    o.str("jti", jti.as_str())?;
    o.end()?;
    crate::jose::jws::sign_es256(key, br#"{"alg":"ES256"}"#, cw.as_bytes(), buf)
}

/// `Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1), written into `buf`.
pub(crate) fn basic_auth<'b>(
    client_id: &str,
    secret: &str,
    buf: &'b mut [u8],
) -> Result<&'b str, Error> {
    let (raw, out) = buf.split_at_mut(buf.len() / 2);
    let mut w = Writer::new(raw, "client credentials");
    crate::codec::form::push_form(&mut w, client_id)?;
    w.push_ascii(b':')?;
    crate::codec::form::push_form(&mut w, secret)?;
    let n = w.len();
    let (prefix, rest) = out.split_at_mut(6.min(out.len()));
    if prefix.len() < 6 {
        return Err(Error::BufferTooSmall {
            what: "client credentials",
            capacity: n,
        });
    }
    prefix.copy_from_slice(b"Basic ");
    let encoded = {
        use base64ct::Encoding;
        base64ct::Base64::encode(&raw[..n], rest)
            .map_err(|_| Error::BufferTooSmall {
                what: "client credentials",
                capacity: n,
            })?
            .len()
    };
    // Wipe the plain credentials.
    raw[..n].iter_mut().for_each(|b| *b = 0);
    core::str::from_utf8(&out[..6 + encoded]).map_err(|_| JsonError::Utf8.into())
}
