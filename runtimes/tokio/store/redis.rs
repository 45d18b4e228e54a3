//! A Redis session store (feature `redis`): records are hashes under `<prefix><id>` (`json`,
//! and `v`, its [`Record::version_of`]) with a TTL equal to the session's expiry, and sets
//! `<prefix>sid:<sid>` and `<prefix>sub:<sub>` of record ids so back-channel logout can delete
//! by either. A conditional update is one Lua script (compare `v`, then write). Every command
//! has a deadline, and the connection comes back by itself after Redis restarts.

use std::prelude::rust_2024::*;

use super::super::clock::SystemClock;
use super::{Record, Store, Updated};
use crate::oauth::logout_token::ReplayKey;
use crate::runtime::{Clock, LogoutTarget, RecordInfo, StoreError};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::time::Duration;

/// Timeouts of a [`RedisStore`]. The defaults are short: a store that does not answer must
/// not hold requests (a plain page goes on without its session; logout still clears cookies).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RedisOptions {
    /// Time allowed to (re)connect, default 1 s.
    pub connection_timeout: Duration,
    /// Time allowed for an answer to a command, default 1 s.
    pub response_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            connection_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(1),
        }
    }
}

impl RedisOptions {
    /// These options with `connection_timeout` and `response_timeout`.
    pub fn with_timeouts(connection_timeout: Duration, response_timeout: Duration) -> Self {
        RedisOptions {
            connection_timeout,
            response_timeout,
        }
    }
}

/// Sessions in Redis. Record lifetimes are Redis TTLs counted from the store's [`Clock`].
#[derive(Clone)]
pub struct RedisStore<C = SystemClock> {
    conn: ConnectionManager,
    prefix: String,
    clock: C,
    /// The deadline of one store operation (connect and answer).
    deadline: Duration,
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
    /// Connects to `url` (`redis://127.0.0.1:6379/`) with the default [`RedisOptions`]; keys
    /// start with `prefix` (e.g. `auth0-edge:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Self::connect_with(url, prefix, RedisOptions::default(), SystemClock).await
    }
}

/// Replaces a record when it exists and, given a version, when its version is that one:
/// 0 missing, 1 written, 2 conflict.
const UPDATE: &str = r"
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return 0 end
if ARGV[4] ~= '' and v ~= ARGV[4] then return 2 end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'v', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
";

impl<C: Clock + Send + Sync + 'static> RedisStore<C> {
    /// Like [`RedisStore::connect`], with `options`, and TTLs counted from `clock`.
    pub async fn connect_with(
        url: &str,
        prefix: &str,
        options: RedisOptions,
        clock: C,
    ) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        // One quick reconnection attempt per failed command: the next request tries again.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(options.connection_timeout)
            .set_response_timeout(options.response_timeout)
            .set_number_of_retries(1)
            .set_max_delay(100);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_string(),
            clock,
            deadline: options.connection_timeout + options.response_timeout,
        })
    }

    /// The connection, key prefix and deadline, for the refresh coordination.
    pub(crate) fn link(&self) -> crate::tokio::refresh::RedisLink {
        crate::tokio::refresh::RedisLink::new(self.conn.clone(), &self.prefix, self.deadline)
    }

    /// Runs one store operation within the deadline.
    async fn within<T>(
        &self,
        op: impl std::future::Future<Output = Result<T, redis::RedisError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.deadline, op).await {
            Ok(r) => r.map_err(unavailable),
            Err(_) => Err(StoreError::Unavailable),
        }
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
        self.within(pipe.query_async::<()>(&mut conn)).await
    }
}

impl<C: Clock + Send + Sync + 'static> Store for RedisStore<C> {
    async fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let mut conn = self.conn.clone();
        let get = redis::cmd("HGET").arg(self.key(id)).arg("json").clone();
        let value: Option<String> = self.within(get.query_async(&mut conn)).await?;
        Ok(value.map(Record::new))
    }

    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let key = self.key(id);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .del(&key)
            .ignore()
            .hset_multiple(
                &key,
                &[("json", json), ("v", &Record::version_of(json).to_string())],
            )
            .ignore()
            .expire(&key, self.ttl(info.expires_at) as i64)
            .ignore();
        self.within(pipe.query_async::<()>(&mut conn)).await?;
        self.index_record(id, info).await
    }

    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
        expected: Option<u64>,
    ) -> Result<Updated, StoreError> {
        let mut conn = self.conn.clone();
        let script = redis::Script::new(UPDATE);
        let mut call = script.key(self.key(id));
        call.arg(json)
            .arg(Record::version_of(json).to_string())
            .arg(self.ttl(info.expires_at))
            .arg(expected.map(|v| v.to_string()).unwrap_or_default());
        let done: i64 = self.within(call.invoke_async(&mut conn)).await?;
        match done {
            1 => {
                self.index_record(id, info).await?;
                Ok(Updated::Written)
            }
            2 => Ok(Updated::Conflict),
            _ => Ok(Updated::Missing),
        }
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let del = redis::cmd("DEL").arg(self.key(id)).clone();
        self.within(del.query_async::<()>(&mut conn)).await
    }

    /// `SET <prefix>logout:<key> 1 NX EXAT <until>`: one answer for every server.
    async fn remember_logout_token(
        &self,
        key: &ReplayKey,
        until: crate::UnixTime,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let set = redis::cmd("SET")
            .arg(self.index("logout", &hex))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(self.ttl(until))
            .clone();
        let done: Option<String> = self.within(set.query_async(&mut conn)).await?;
        Ok(done.is_some())
    }

    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let index = match target {
            LogoutTarget::Session { sid, .. } => self.index("sid", sid),
            LogoutTarget::User { sub, .. } => self.index("sub", sub),
        };
        let members = redis::cmd("SMEMBERS").arg(&index).clone();
        let ids: Vec<String> = self.within(members.query_async(&mut conn)).await?;
        let mut pipe = redis::pipe();
        for id in &ids {
            pipe.del(self.key(id)).ignore();
        }
        pipe.del(&index).ignore();
        self.within(pipe.query_async::<()>(&mut conn)).await
    }
}
