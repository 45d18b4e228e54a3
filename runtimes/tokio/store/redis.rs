//! A Redis session store (feature `redis`): records under `<prefix><id>` with a TTL equal to
//! the session's expiry, and sets `<prefix>sid:<sid>` and `<prefix>sub:<sub>` of record ids so
//! back-channel logout can delete by either.

use std::prelude::rust_2024::*;

use super::super::clock::SystemClock;
use crate::runtime::{Clock, RecordInfo, SessionStore, StoreError};
use redis::aio::ConnectionManager;

/// Sessions in Redis. Record lifetimes are Redis TTLs counted from the store's [`Clock`].
#[derive(Clone)]
pub struct RedisStore<C = SystemClock> {
    conn: ConnectionManager,
    prefix: String,
    clock: C,
}

impl<C> std::fmt::Debug for RedisStore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(_: redis::RedisError) -> StoreError {
    StoreError::Unavailable
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379/`); keys start with `prefix` (e.g.
    /// `auth0-edge:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Self::connect_with_clock(url, prefix, SystemClock).await
    }
}

impl<C: Clock> RedisStore<C> {
    /// Like [`RedisStore::connect`], with TTLs counted from `clock`.
    pub async fn connect_with_clock(
        url: &str,
        prefix: &str,
        clock: C,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            clock,
        })
    }

    /// Seconds until `expires_at`, at least 1 (Redis refuses a TTL of 0).
    fn ttl(&self, expires_at: i64) -> u64 {
        expires_at.saturating_sub(self.clock.now()).max(1) as u64
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    fn index(&self, kind: &str, value: &str) -> String {
        format!("{}{kind}:{value}", self.prefix)
    }

    async fn index_record(&self, id: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let secs = self.ttl(info.expires_at) as i64;
        let mut pipe = redis::pipe();
        for (kind, value) in [("sid", info.sid), ("sub", info.sub)] {
            if let Some(v) = value {
                let k = self.index(kind, v);
                pipe.sadd(&k, id).ignore().expire(&k, secs).ignore();
            }
        }
        pipe.query_async::<()>(&mut conn).await.map_err(unavailable)
    }
}

impl<C: Clock> SessionStore for RedisStore<C> {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        let mut conn = self.conn.clone();
        let value: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.key(id))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        match value {
            None => Ok(None),
            Some(v) => {
                let dst = buf.get_mut(..v.len()).ok_or(StoreError::TooLarge)?;
                dst.copy_from_slice(&v);
                Ok(Some(dst))
            }
        }
    }

    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.key(id))
            .arg(json)
            .arg("EX")
            .arg(self.ttl(info.expires_at))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)?;
        self.index_record(id, info).await
    }

    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        // SET … XX only replaces an existing record, atomically.
        let done: Option<String> = redis::cmd("SET")
            .arg(self.key(id))
            .arg(json)
            .arg("XX")
            .arg("EX")
            .arg(self.ttl(info.expires_at))
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if done.is_some() {
            self.index_record(id, info).await?;
        }
        Ok(done.is_some())
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("DEL")
            .arg(self.key(id))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn delete_by_logout_token(
        &self,
        sid: Option<&str>,
        sub: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        for (kind, value) in [("sid", sid), ("sub", sub)] {
            let Some(v) = value else { continue };
            let index = self.index(kind, v);
            let ids: Vec<String> = redis::cmd("SMEMBERS")
                .arg(&index)
                .query_async(&mut conn)
                .await
                .map_err(unavailable)?;
            let mut pipe = redis::pipe();
            for id in &ids {
                pipe.del(self.key(id)).ignore();
            }
            pipe.del(&index).ignore();
            pipe.query_async::<()>(&mut conn)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }
}
