//! Server-side sessions (`SessionDataStore` in the SDK): the [`SessionStore`] trait a runtime
//! implements (memory, Redis, a database), and the id cookie that points at a record.
//!
//! With a store, the `__session` cookie holds only `{"id":"<32 hex>"}` sealed like any session
//! (never chunked); the session document lives in the store. A fresh id is made at every login,
//! and the old record deleted, against session fixation.

use crate::Error;
use crate::buf::Writer;
use crate::json::{JsonStr, Object};
use crate::time::UnixTime;
use core::fmt;
use rand_core::CryptoRngCore;

/// Why a store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or answered with an error.
    Unavailable,
    /// The record does not fit the buffer or the store's limits.
    TooLarge,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreError::Unavailable => "the session store is unavailable",
            StoreError::TooLarge => {
                "the session record is too large for the session store's buffer"
            }
        })
    }
}

impl core::error::Error for StoreError {}

/// What a store keeps beside the session JSON, for expiry and back-channel logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordInfo<'a> {
    /// When the record may be dropped (Unix seconds).
    pub expires_at: UnixTime,
    /// The session's `sid` (`internal.sid`), to delete by a logout token's `sid`.
    pub sid: Option<&'a str>,
    /// The user's `sub`, to delete by a logout token's `sub`.
    pub sub: Option<&'a str>,
}

/// Stores session documents by id. Implemented by the runtime; not `Send`-bound.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: the same flows run on embassy.
pub trait SessionStore {
    /// Reads the session JSON stored under `id` into `buf`; `None` if there is none.
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError>;
    /// Stores `json` under `id`.
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError>;
    /// Replaces the record under `id` only if it still exists; returns whether it did.
    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        let mut probe = [0u8; 1];
        // A record too large for the probe still exists.
        let exists = match self.get(id, &mut probe).await {
            Ok(found) => found.is_some(),
            Err(StoreError::TooLarge) => true,
            Err(e) => return Err(e),
        };
        if exists {
            self.set(id, json, info).await?;
        }
        Ok(exists)
    }
    /// Deletes the record under `id`.
    async fn delete(&self, id: &str) -> Result<(), StoreError>;
    /// Deletes every record matching a back-channel logout token: by `sid` when given, else
    /// by `sub` (and by both when both are given).
    async fn delete_by_logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Result<(), StoreError>;
}

/// The store of a stateless configuration: sessions live in cookies only.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoStore;

impl SessionStore for NoStore {
    async fn get<'b>(&self, _id: &str, _buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        Ok(None)
    }
    async fn set(&self, _id: &str, _json: &str, _info: &RecordInfo<'_>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable)
    }
    async fn delete(&self, _id: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn delete_by_logout_token(
        &self,
        _sid: Option<&str>,
        _sub: Option<&str>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Unavailable)
    }
}

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
    let mut o = crate::json::ObjectWriter::begin(w)?;
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
