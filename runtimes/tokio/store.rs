//! Session stores: in memory (expiring entries) and, with the `redis` feature, Redis.

use std::prelude::rust_2024::*;

use crate::store::{NoStore, RecordInfo, SessionStore, StoreError};
use crate::time::UnixTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Record {
    json: String,
    expires_at: UnixTime,
    sid: Option<String>,
    sub: Option<String>,
}

/// Sessions in memory, dropped when they expire. For one process (development, tests, a
/// single server).
#[derive(Clone, Default)]
pub struct MemoryStore {
    records: Arc<Mutex<HashMap<String, Record>>>,
}

fn now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many live sessions it holds.
    pub fn len(&self) -> usize {
        let now = now();
        self.lock().values().filter(|r| r.expires_at > now).count()
    }

    /// Whether it holds no live session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionStore for MemoryStore {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        let now = now();
        let mut records = self.lock();
        records.retain(|_, r| r.expires_at > now);
        match records.get(id) {
            None => Ok(None),
            Some(r) => {
                let dst = buf.get_mut(..r.json.len()).ok_or(StoreError::TooLarge)?;
                dst.copy_from_slice(r.json.as_bytes());
                Ok(Some(dst))
            }
        }
    }

    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        self.lock().insert(
            id.to_string(),
            Record {
                json: json.to_string(),
                expires_at: info.expires_at,
                sid: info.sid.map(String::from),
                sub: info.sub.map(String::from),
            },
        );
        Ok(())
    }

    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        let now = now();
        let mut records = self.lock();
        match records.get_mut(id) {
            Some(r) if r.expires_at > now => {
                r.json = json.to_string();
                r.expires_at = info.expires_at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.lock().remove(id);
        Ok(())
    }

    async fn delete_by_logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Result<(), StoreError> {
        self.lock().retain(|_, r| {
            let by_sid = sid.is_some() && r.sid.as_deref() == sid;
            let by_sub = sub.is_some() && r.sub.as_deref() == sub;
            !(by_sid || by_sub)
        });
        Ok(())
    }
}

/// The session store of a client: none (cookie sessions), memory, or Redis.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Store {
    /// Sessions live in cookies only (behaves as [`NoStore`]).
    #[default]
    None,
    /// [`MemoryStore`].
    Memory(MemoryStore),
    /// [`super::RedisStore`].
    #[cfg(feature = "redis")]
    Redis(super::RedisStore),
}

impl SessionStore for Store {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        match self {
            Store::None => NoStore.get(id, buf).await,
            Store::Memory(s) => s.get(id, buf).await,
            #[cfg(feature = "redis")]
            Store::Redis(s) => s.get(id, buf).await,
        }
    }
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        match self {
            Store::None => NoStore.set(id, json, info).await,
            Store::Memory(s) => s.set(id, json, info).await,
            #[cfg(feature = "redis")]
            Store::Redis(s) => s.set(id, json, info).await,
        }
    }
    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        match self {
            Store::None => NoStore.update(id, json, info).await,
            Store::Memory(s) => s.update(id, json, info).await,
            #[cfg(feature = "redis")]
            Store::Redis(s) => s.update(id, json, info).await,
        }
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        match self {
            Store::None => NoStore.delete(id).await,
            Store::Memory(s) => s.delete(id).await,
            #[cfg(feature = "redis")]
            Store::Redis(s) => s.delete(id).await,
        }
    }
    async fn delete_by_logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Result<(), StoreError> {
        match self {
            Store::None => NoStore.delete_by_logout_token(sid, sub).await,
            Store::Memory(s) => s.delete_by_logout_token(sid, sub).await,
            #[cfg(feature = "redis")]
            Store::Redis(s) => s.delete_by_logout_token(sid, sub).await,
        }
    }
}
