//! Session stores of the tokio runtime: [`MemoryStore`], [`RedisStore`] (feature `redis`), and
//! [`Store`], the choice of a client.

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::{DEFAULT_MAX_ENTRIES, MemoryStore};
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStore};

use crate::runtime::{NoStore, RecordInfo, SessionStore, StoreError};

/// The session store of a client: none (cookie sessions), memory, or Redis.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Store {
    /// Sessions live in cookies only (behaves as [`NoStore`]).
    #[default]
    None,
    /// [`MemoryStore`].
    Memory(MemoryStore),
    /// [`RedisStore`].
    #[cfg(feature = "redis")]
    Redis(RedisStore),
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
