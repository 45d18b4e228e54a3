//! A Redis session store (feature `redis`): records under `<prefix><id>` with a TTL equal to
//! the session's expiry, and sets `<prefix>sid:<sid>` and `<prefix>sub:<sub>` of record ids so
//! back-channel logout can delete by either.

use std::prelude::rust_2024::*;

use crate::store::{RecordInfo, SessionStore, StoreError};
use redis::aio::ConnectionManager;

/// Sessions in Redis.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn unavailable(_: redis::RedisError) -> StoreError {
    StoreError::Unavailable
}

fn ttl(expires_at: i64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    (expires_at - now).max(1) as u64
}

impl RedisStore {
    /// Connects to `url` (`redis://127.0.0.1:6379/`); keys start with `prefix` (e.g.
    /// `auth0-edge:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    fn index(&self, kind: &str, value: &str) -> String {
        format!("{}{kind}:{value}", self.prefix)
    }

    async fn index_record(&self, id: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let secs = ttl(info.expires_at) as i64;
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

impl SessionStore for RedisStore {
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
            .arg(ttl(info.expires_at))
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
            .arg(ttl(info.expires_at))
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
