//! Stateful sessions (`SessionDataStore` in the SDK): the id cookie that points at a record of
//! a [`crate::runtime::SessionStore`].
//!
//! With a store, the `__session` cookie holds only `{"id":"<32 hex>"}` sealed like any session
//! (never chunked); the session document lives in the store. A fresh id is made at every login,
//! and the old record deleted, against session fixation.

use crate::Error;
use crate::codec::buf::Writer;
use crate::codec::json::{JsonStr, Object};
use crate::codec::time::UnixTime;
use core::fmt;
use rand_core::CryptoRngCore;

/// A session id: 16 random bytes as 32 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SessionId([u8; 32]);

impl SessionId {
    /// A fresh random id.
    pub fn generate(rng: &mut impl CryptoRngCore) -> SessionId {
        let mut raw = [0u8; 16];
        rng.fill_bytes(&mut raw);
        let mut hex = [0u8; 32];
        for (i, b) in raw.iter().enumerate() {
            hex[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
            hex[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
        }
        SessionId(hex)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Writes the id cookie's payload, `{"id":"…","exp":N}`.
pub fn write_id_payload(w: &mut Writer<'_>, id: &str, exp: UnixTime) -> Result<(), Error> {
    let mut o = crate::codec::json::ObjectWriter::begin(w)?;
    o.str("id", id)?;
    o.i64("exp", exp)?;
    o.end()
}

/// Reads the id from a decrypted id cookie payload.
pub fn read_id<'a>(payload: &Object<'a>) -> Option<JsonStr<'a>> {
    payload.get_str("id").filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex() {
        let a = SessionId::generate(&mut rand_core::OsRng);
        let b = SessionId::generate(&mut rand_core::OsRng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(
            a.as_str()
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf, "t");
        write_id_payload(&mut w, a.as_str(), 5).unwrap();
        let o = Object::parse(w.as_str()).unwrap();
        assert_eq!(read_id(&o).unwrap(), a.as_str());
    }
}
