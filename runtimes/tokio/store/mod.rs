//! Session stores of the tokio runtime: the [`Store`] trait (implement it for your database),
//! and two implementations, [`MemoryStore`] and [`RedisStore`] (feature `redis`).

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::{DEFAULT_MAX_ENTRIES, MemoryStore};
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStore};

use std::prelude::rust_2024::*;

use crate::oauth::logout_token::{ReplayCache, ReplayKey};
use crate::runtime::{LogoutTarget, RecordInfo, SessionStore, StoreError};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

/// A stored session: its JSON and its version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The session document.
    pub json: String,
    /// Its version: [`Record::version_of`] the JSON.
    pub version: u64,
}

impl Record {
    /// A record of `json`, versioned by its content.
    pub fn new(json: String) -> Self {
        let version = Record::version_of(&json);
        Record { json, version }
    }

    /// The version of a record holding `json`: a 64-bit hash of it (SipHash), so any store
    /// can version its records without a counter.
    pub fn version_of(json: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        json.hash(&mut h);
        h.finish()
    }
}

/// What a conditional [`Store::update`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Updated {
    /// The record was replaced.
    Written,
    /// There is no such record (it expired, or the user logged out): nothing was written.
    Missing,
    /// The record changed since it was read (its version is not the one expected): nothing was
    /// written.
    Conflict,
}

/// A session store: records of session JSON under ids, with an expiry and the `sid`/`sub`
/// that back-channel logout deletes by.
///
/// A store keeps session documents (JSON) under record ids; the cookie only holds the sealed
/// id. Each record has a version ([`Record::version`], a hash of its JSON): a write that must not
/// undo a concurrent one (the rolling touch of a request that read the record before a refresh
/// saved new tokens) is conditional on the version it read ([`Store::update`]).
///
/// A store in a few lines (here a map; a database is the same with its queries):
///
/// ```
/// use auth0_edge::runtime::{LogoutTarget, RecordInfo, StoreError};
/// use auth0_edge::tokio::{Record, Store};
/// use std::{collections::HashMap, sync::Mutex};
///
/// #[derive(Default)]
/// struct MyStore(Mutex<HashMap<String, (String, Option<String>, Option<String>)>>);
///
/// impl Store for MyStore {
///     async fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
///         Ok(self.0.lock().unwrap().get(id).map(|(json, ..)| Record::new(json.clone())))
///     }
///     async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
///         let row = (json.to_string(), info.sid.map(String::from), info.sub.map(String::from));
///         self.0.lock().unwrap().insert(id.to_string(), row);
///         Ok(())
///     }
///     async fn delete(&self, id: &str) -> Result<(), StoreError> {
///         self.0.lock().unwrap().remove(id);
///         Ok(())
///     }
///     async fn delete_by_logout_token(&self, t: &LogoutTarget<'_>) -> Result<(), StoreError> {
///         let ends = |s: &Option<String>, u: &Option<String>| match t {
///             LogoutTarget::Session { sid, .. } => s.as_deref() == Some(*sid),
///             LogoutTarget::User { sub, .. } => u.as_deref() == Some(*sub),
///             _ => false,
///         };
///         self.0.lock().unwrap().retain(|_, (_, s, u)| !ends(s, u));
///         Ok(())
///     }
/// }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let config = auth0_edge::config::Config {
/// #     secret: "a-test-secret-that-is-at-least-32-characters-long!",
/// #     ..auth0_edge::config::Config::new("tenant.example.com", "cid", auth0_edge::config::ClientAuth::SecretPost("s"), "http://localhost:3000")
/// # };
/// let client = auth0_edge::tokio::Auth0Client::builder(&config).store(MyStore::default()).build()?;
/// # Ok(()) }
/// ```
///
/// `update` has a default (read, compare the version, write) that is right for one process; a
/// store shared by several servers should make it one atomic operation (a conditional `UPDATE …
/// WHERE version = $1`, a Lua script), as [`RedisStore`] does. Errors are
/// [`StoreError::Unavailable`] for a store that is down or too slow: the flows then follow the
/// core's policy (a page goes on without its session, logout still clears the cookies) and log
/// it.
pub trait Store: Send + Sync + 'static {
    /// The record `id`, or `None` when there is none (or it expired).
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;

    /// Creates or replaces the record `id`, to expire at `info.expires_at`, findable by
    /// `info.sid` and `info.sub`.
    fn set(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the record `id` if it exists and, when `expected` is given, if its version is
    /// still `expected`. The default reads, compares and writes (atomic only within one
    /// process's view); override it with one atomic operation for a shared store.
    fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<Updated, StoreError>> + Send {
        async move {
            match self.get(id).await? {
                None => Ok(Updated::Missing),
                Some(r) if expected.is_some_and(|v| v != r.version) => Ok(Updated::Conflict),
                Some(_) => {
                    self.set(id, json, info).await?;
                    Ok(Updated::Written)
                }
            }
        }
    }

    /// Deletes the record `id` (nothing when there is none).
    fn delete(&self, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes the records a back-channel logout ends ([`LogoutTarget`]: every record of a
    /// `sid`, or of a `sub`). The default is [`StoreError::Unsupported`] (the SDK's optional
    /// `deleteByLogoutToken`): the back-channel logout route then answers 500 saying so.
    fn delete_by_logout_token(
        &self,
        target: &LogoutTarget<'_>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let _ = target;
        std::future::ready(Err(StoreError::Unsupported))
    }

    /// Remembers an accepted logout token (`key`: its issuer and `jti`) until `until`;
    /// `Ok(false)` when it was remembered already (a replay, refused). The default is
    /// [`StoreError::Unsupported`]: the client then remembers logout tokens in its own process
    /// (bounded), which refuses replays to this server; a store shared by servers should do it
    /// atomically for all of them, as [`RedisStore`] does (`SET … NX`).
    fn remember_logout_token(
        &self,
        key: &ReplayKey,
        until: crate::UnixTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let _ = (key, until);
        std::future::ready(Err(StoreError::Unsupported))
    }
}

type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// [`Store`] behind a pointer: what a client holds.
pub(crate) trait DynStore: Send + Sync {
    fn get<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>>;
    fn set<'a>(
        &'a self,
        id: &'a str,
        json: &'a str,
        info: &'a RecordInfo<'a>,
    ) -> StoreFuture<'a, ()>;
    fn update<'a>(
        &'a self,
        id: &'a str,
        json: &'a str,
        info: &'a RecordInfo<'a>,
        expected: Option<u64>,
    ) -> StoreFuture<'a, Updated>;
    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;
    fn delete_by_logout_token<'a>(&'a self, target: &'a LogoutTarget<'a>) -> StoreFuture<'a, ()>;
    fn remember_logout_token<'a>(
        &'a self,
        key: &'a ReplayKey,
        until: crate::UnixTime,
    ) -> StoreFuture<'a, bool>;
}

impl<S: Store> DynStore for S {
    fn get<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(Store::get(self, id))
    }
    fn set<'a>(
        &'a self,
        id: &'a str,
        json: &'a str,
        info: &'a RecordInfo<'a>,
    ) -> StoreFuture<'a, ()> {
        Box::pin(Store::set(self, id, json, info))
    }
    fn update<'a>(
        &'a self,
        id: &'a str,
        json: &'a str,
        info: &'a RecordInfo<'a>,
        expected: Option<u64>,
    ) -> StoreFuture<'a, Updated> {
        Box::pin(Store::update(self, id, json, info, expected))
    }
    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(Store::delete(self, id))
    }
    fn delete_by_logout_token<'a>(&'a self, target: &'a LogoutTarget<'a>) -> StoreFuture<'a, ()> {
        Box::pin(Store::delete_by_logout_token(self, target))
    }
    fn remember_logout_token<'a>(
        &'a self,
        key: &'a ReplayKey,
        until: crate::UnixTime,
    ) -> StoreFuture<'a, bool> {
        Box::pin(Store::remember_logout_token(self, key, until))
    }
}

/// A client's [`Store`] as one request's flows see it (the core's [`SessionStore`]): it
/// remembers the version of the record the request read, and makes the request's rolling write
/// conditional on it. Made by [`super::Auth0Client::core`].
pub struct CoreStore<'a> {
    store: &'a dyn DynStore,
    versions: Mutex<Versions>,
    /// Logout tokens seen by this process, for a store that keeps none.
    replay: &'a Mutex<LocalReplay>,
}

/// How many logout tokens a client remembers itself (for a store that keeps none).
pub(crate) type LocalReplay = ReplayCache<4096>;

#[derive(Default, Clone, Copy)]
struct Versions {
    /// The version of the record read or written last.
    seen: Option<u64>,
    /// The version the next update requires (`None`: unconditional).
    condition: Option<u64>,
}

impl<'a> CoreStore<'a> {
    pub(crate) fn new(store: &'a dyn DynStore, replay: &'a Mutex<LocalReplay>) -> Self {
        CoreStore {
            store,
            versions: Mutex::default(),
            replay,
        }
    }

    fn versions(&self) -> std::sync::MutexGuard<'_, Versions> {
        self.versions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The version of the record read or written last.
    pub(crate) fn seen(&self) -> Option<u64> {
        self.versions().seen
    }

    /// Makes the next update conditional on `version` (`None`: unconditional).
    pub(crate) fn require(&self, version: Option<u64>) {
        self.versions().condition = version;
    }
}

impl SessionStore for CoreStore<'_> {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        let Some(r) = self.store.get(id).await? else {
            return Ok(None);
        };
        self.versions().seen = Some(r.version);
        let dst = buf.get_mut(..r.json.len()).ok_or(StoreError::TooLarge)?;
        dst.copy_from_slice(r.json.as_bytes());
        Ok(Some(dst))
    }

    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        self.store.set(id, json, info).await?;
        self.versions().seen = Some(Record::version_of(json));
        Ok(())
    }

    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        let condition = self.versions().condition;
        match self.store.update(id, json, info, condition).await? {
            Updated::Written => {
                self.versions().seen = Some(Record::version_of(json));
                Ok(true)
            }
            Updated::Missing => Ok(false),
            Updated::Conflict => {
                event!(
                    debug,
                    "auth0-edge: the session record changed meanwhile; this request's roll is dropped"
                );
                Ok(false)
            }
        }
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete(id).await
    }

    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        self.store.delete_by_logout_token(target).await
    }

    async fn remember_logout_token(
        &self,
        key: &ReplayKey,
        until: crate::UnixTime,
    ) -> Result<bool, StoreError> {
        match self.store.remember_logout_token(key, until).await {
            Err(StoreError::Unsupported) => {
                let now = crate::runtime::Clock::now(&super::clock::SystemClock);
                let mut replay = self.replay.lock().unwrap_or_else(|p| p.into_inner());
                Ok(replay.check_and_remember(*key, until, now).is_ok())
            }
            other => other,
        }
    }
}
