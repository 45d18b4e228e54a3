//! Single-flight refresh: concurrent refreshes of one refresh token make one request to the
//! provider, and a request that still carries the old token after the refresh finished gets
//! the new token set (the memo) instead of spending the rotated-out token.
//!
//! Refreshes are keyed by the SHA-256 of the refresh token (the token itself is never kept).
//! In one process, a lock per key serializes them, and the memo maps old keys to the refreshed
//! session for a short window. Across servers, Redis does the same ([`RedisCoordination`]): a
//! lock (`SET <prefix>refresh:lock:<key> <owner> NX PX`, released by its owner only, waited
//! for a bounded time) and the memo (`<prefix>refresh:memo:<key>`, the session sealed with the
//! session key as a JWE, expiring with the window). When Redis fails, refreshes fall back to
//! the process's own coordination, with a warning.

use std::prelude::rust_2024::*;

use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// How long the memo answers a request that carries a refreshed-away token: about a minute,
/// what Auth0's rotation overlap period covers on the provider's side.
pub const DEFAULT_MEMO_WINDOW: Duration = Duration::from_secs(60);
/// How many refreshed sessions the memo keeps at most (the oldest go first).
pub const DEFAULT_MEMO_ENTRIES: usize = 10_000;

/// The SHA-256 of a refresh token.
pub(crate) type Key = [u8; 32];

pub(crate) fn key_of(refresh_token: &str) -> Key {
    Sha256::digest(refresh_token.as_bytes()).into()
}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
fn hex(key: &Key) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// Options of the single-flight refresh (see [`super::Builder::refresh_memo`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct MemoOptions {
    pub(crate) window: Duration,
    pub(crate) max_entries: usize,
}

impl Default for MemoOptions {
    fn default() -> Self {
        MemoOptions {
            window: DEFAULT_MEMO_WINDOW,
            max_entries: DEFAULT_MEMO_ENTRIES,
        }
    }
}

#[derive(Default)]
struct Memo {
    /// Old key → (when, the refreshed session's JSON).
    entries: HashMap<Key, (Instant, Zeroizing<String>)>,
    /// Keys in the order they were remembered, to drop the oldest.
    order: VecDeque<(Instant, Key)>,
}

/// The coordination of a client's refreshes.
pub(crate) struct Coordinator {
    locks: Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>,
    memo: Mutex<Memo>,
    options: MemoOptions,
    redis: Option<RedisCoordination>,
}

/// A held refresh lock: the process's, and Redis's when it coordinates.
pub(crate) struct Flight<'c> {
    _local: tokio::sync::OwnedMutexGuard<()>,
    remote: Option<(&'c RedisCoordination, String)>,
    key: Key,
}

impl Flight<'_> {
    /// Releases the locks (Redis's by its owner only).
    pub(crate) async fn release(self) {
        if let Some((redis, owner)) = &self.remote {
            redis.unlock(&self.key, owner).await;
        }
    }
}

/// What waiting for a refresh's lock found.
pub(crate) enum Waited<'c> {
    /// The lock: this request refreshes.
    Locked(Flight<'c>),
    /// Another server refreshed meanwhile: its session (from the Redis memo).
    Refreshed(Zeroizing<String>),
}

impl Coordinator {
    pub(crate) fn new(options: MemoOptions, redis: Option<RedisCoordination>) -> Self {
        Coordinator {
            locks: Mutex::default(),
            memo: Mutex::default(),
            options,
            redis,
        }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session a refresh of `key` made, within the window: this process's memo, then
    /// (with `remote`) Redis's.
    pub(crate) async fn newer(
        &self,
        key: &Key,
        remote: bool,
        keys: &crate::flow::Keys,
    ) -> Option<Zeroizing<String>> {
        if let Some(json) = self.local(key) {
            return Some(json);
        }
        let redis = self.redis.as_ref().filter(|_| remote)?;
        let json = redis.memo(key, keys).await?;
        self.remember_local(*key, &json);
        Some(json)
    }

    fn local(&self, key: &Key) -> Option<Zeroizing<String>> {
        let now = Instant::now();
        let memo = self.memo();
        memo.entries
            .get(key)
            .filter(|(at, _)| now.duration_since(*at) < self.options.window)
            .map(|(_, json)| json.clone())
    }

    fn remember_local(&self, key: Key, json: &str) {
        let now = Instant::now();
        let mut memo = self.memo();
        // Expired entries go first, then the oldest while full.
        while let Some(&(at, k)) = memo.order.front() {
            let expired = now.duration_since(at) >= self.options.window;
            if !expired && memo.order.len() < self.options.max_entries.max(1) {
                break;
            }
            memo.order.pop_front();
            if memo.entries.get(&k).is_some_and(|(t, _)| *t == at) {
                memo.entries.remove(&k);
            }
        }
        memo.order.push_back((now, key));
        memo.entries
            .insert(key, (now, Zeroizing::new(json.to_string())));
    }

    /// Remembers that the refresh of `key` made the session `json`: here, and in Redis.
    pub(crate) async fn remember(&self, key: &Key, json: &str, keys: &crate::flow::Keys) {
        self.remember_local(*key, json);
        if let Some(redis) = &self.redis {
            redis.remember(key, json, self.options.window, keys).await;
        }
    }

    /// Waits for the right to refresh `key`: this process's lock, then Redis's (bounded: past
    /// the wait, or when Redis fails, the process's lock is enough). While waiting on Redis, a
    /// refresh that another server finishes ends the wait with its session.
    pub(crate) async fn lock(&self, key: &Key, keys: &crate::flow::Keys) -> Waited<'_> {
        let mutex = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.retain(|_, w| w.strong_count() > 0);
            match locks.get(key).and_then(Weak::upgrade) {
                Some(m) => m,
                None => {
                    let m = Arc::new(tokio::sync::Mutex::new(()));
                    locks.insert(*key, Arc::downgrade(&m));
                    m
                }
            }
        };
        let local = mutex.lock_owned().await;
        let remote = match &self.redis {
            None => None,
            Some(redis) => match redis.lock(key, keys).await {
                RemoteLock::Held(owner) => Some((redis, owner)),
                RemoteLock::Refreshed(json) => {
                    self.remember_local(*key, &json);
                    return Waited::Refreshed(json);
                }
                RemoteLock::Unavailable => None,
            },
        };
        Waited::Locked(Flight {
            _local: local,
            remote,
            key: *key,
        })
    }
}

/// A connection to Redis for the coordination: the session store's, or its own.
#[cfg(feature = "redis")]
#[derive(Clone)]
pub(crate) struct RedisLink {
    conn: redis::aio::ConnectionManager,
    prefix: String,
    deadline: Duration,
}

#[cfg(feature = "redis")]
impl RedisLink {
    pub(crate) fn new(
        conn: redis::aio::ConnectionManager,
        prefix: &str,
        deadline: Duration,
    ) -> Self {
        RedisLink {
            conn,
            prefix: prefix.to_string(),
            deadline,
        }
    }
}

/// Refreshes coordinated across servers through Redis: give it to
/// [`super::Builder::coordinate_refreshes`] (a [`super::RedisStore`] given as the session
/// store coordinates through its own connection without it).
#[cfg(feature = "redis")]
#[derive(Clone)]
pub struct RedisCoordination {
    link: RedisLink,
    /// How long a lock is held at most (its `PX`).
    lock_ttl: Duration,
    /// How long a request waits for another server's refresh.
    wait: Duration,
}

#[cfg(feature = "redis")]
impl std::fmt::Debug for RedisCoordination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCoordination")
            .field("lock_ttl", &self.lock_ttl)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// Without the `redis` feature there is no coordination across servers: no value of this type.
#[cfg(not(feature = "redis"))]
pub(crate) enum RedisCoordination {}

#[cfg_attr(not(feature = "redis"), allow(dead_code))]
enum RemoteLock {
    Held(String),
    Refreshed(Zeroizing<String>),
    Unavailable,
}

#[cfg(not(feature = "redis"))]
impl RedisCoordination {
    async fn lock(&self, _: &Key, _: &crate::flow::Keys) -> RemoteLock {
        match *self {}
    }
    async fn unlock(&self, _: &Key, _: &str) {
        match *self {}
    }
    async fn memo(&self, _: &Key, _: &crate::flow::Keys) -> Option<Zeroizing<String>> {
        match *self {}
    }
    async fn remember(&self, _: &Key, _: &str, _: Duration, _: &crate::flow::Keys) {
        match *self {}
    }
}

#[cfg(feature = "redis")]
impl RedisCoordination {
    /// Coordinates through the Redis at `url` (`redis://127.0.0.1:6379/`), under keys starting
    /// with `prefix` (e.g. `auth0-edge:`), with the default [`super::RedisOptions`].
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        let store = super::RedisStore::connect(url, prefix).await?;
        Ok(Self::through(&store))
    }

    /// Coordinates through `store`'s connection and prefix.
    pub fn through<C: crate::runtime::Clock + Send + Sync + 'static>(
        store: &super::RedisStore<C>,
    ) -> Self {
        RedisCoordination {
            link: store.link(),
            lock_ttl: Duration::from_secs(10),
            wait: Duration::from_secs(5),
        }
    }

    /// Holds a lock at most `lock_ttl` (default 10 s: longer than a refresh's deadline) and
    /// waits for another server's refresh at most `wait` (default 5 s).
    pub fn with_times(mut self, lock_ttl: Duration, wait: Duration) -> Self {
        self.lock_ttl = lock_ttl;
        self.wait = wait;
        self
    }

    fn key(&self, kind: &str, key: &Key) -> String {
        format!("{}refresh:{kind}:{}", self.link.prefix, hex(key))
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        let mut conn = self.link.conn.clone();
        match tokio::time::timeout(self.link.deadline, cmd.query_async::<T>(&mut conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                event!(warn, error = %e, "auth0-edge: Redis refused a refresh coordination command; this server coordinates alone");
                None
            }
            Err(_) => {
                event!(
                    warn,
                    "auth0-edge: Redis did not answer in time; this server coordinates alone"
                );
                None
            }
        }
    }

    async fn lock(&self, key: &Key, keys: &crate::flow::Keys) -> RemoteLock {
        let owner = crate::oauth::pkce::Token::random(&mut super::ThreadRng).to_string();
        let lock = self.key("lock", key);
        let deadline = Instant::now() + self.wait;
        loop {
            let mut set = redis::cmd("SET");
            set.arg(&lock)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(self.lock_ttl.as_millis() as u64);
            match self.run::<Option<String>>(&set).await {
                None => return RemoteLock::Unavailable,
                Some(Some(_)) => return RemoteLock::Held(owner),
                Some(None) => {}
            }
            if let Some(json) = self.memo(key, keys).await {
                return RemoteLock::Refreshed(json);
            }
            if Instant::now() >= deadline {
                event!(
                    warn,
                    "auth0-edge: another server's refresh did not finish in time; refreshing without its lock"
                );
                return RemoteLock::Unavailable;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn unlock(&self, key: &Key, owner: &str) {
        const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(RELEASE)
            .arg(1)
            .arg(self.key("lock", key))
            .arg(owner);
        let _ = self.run::<i64>(&cmd).await;
    }

    async fn memo(&self, key: &Key, keys: &crate::flow::Keys) -> Option<Zeroizing<String>> {
        let mut get = redis::cmd("GET");
        get.arg(self.key("memo", key));
        let sealed: String = self.run::<Option<String>>(&get).await??;
        let mut buf = Zeroizing::new(vec![0u8; sealed.len()]);
        let plain = crate::jose::jwe::open(keys.key(), &sealed, &mut buf).ok()?;
        let json = std::str::from_utf8(plain).ok()?;
        Some(Zeroizing::new(json.to_string()))
    }

    async fn remember(&self, key: &Key, json: &str, window: Duration, keys: &crate::flow::Keys) {
        let mut plain = Zeroizing::new(json.as_bytes().to_vec());
        let mut buf = vec![0u8; crate::jose::jwe::sealed_len(json.len())];
        let Ok(sealed) =
            crate::jose::jwe::seal(keys.key(), &mut super::ThreadRng, &mut plain, &mut buf)
        else {
            return;
        };
        let mut set = redis::cmd("SET");
        set.arg(self.key("memo", key))
            .arg(sealed)
            .arg("PX")
            .arg(window.as_millis().max(1) as u64);
        let _ = self.run::<()>(&set).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> crate::flow::Keys {
        let config = crate::config::Config {
            secret: "a-test-secret-that-is-at-least-32-characters-long!",
            ..crate::config::Config::new(
                "tenant.example.com",
                "cid",
                crate::config::ClientAuth::SecretPost("s"),
                "http://localhost:3000",
            )
        };
        crate::flow::Keys::derive(&config).unwrap()
    }

    #[tokio::test]
    async fn the_memo_answers_within_its_window_and_stays_bounded() {
        let keys = keys();
        let c = Coordinator::new(
            MemoOptions {
                window: Duration::from_millis(200),
                max_entries: 2,
            },
            None,
        );
        let (a, b, d) = (key_of("rt-a"), key_of("rt-b"), key_of("rt-d"));
        c.remember(&a, "{\"a\":1}", &keys).await;
        assert_eq!(
            c.newer(&a, true, &keys)
                .await
                .as_deref()
                .map(|s| s.as_str()),
            Some("{\"a\":1}")
        );
        c.remember(&b, "{}", &keys).await;
        c.remember(&d, "{}", &keys).await;
        // Full: the oldest went.
        assert!(c.newer(&a, true, &keys).await.is_none());
        assert!(c.newer(&d, true, &keys).await.is_some());
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(c.newer(&d, true, &keys).await.is_none());
        assert!(c.memo().entries.len() <= 2);
    }

    #[tokio::test]
    async fn one_lock_per_refresh_token() {
        let keys = keys();
        let c = Arc::new(Coordinator::new(MemoOptions::default(), None));
        let k = key_of("rt");
        let Waited::Locked(held) = c.lock(&k, &keys).await else {
            unreachable!("no lock")
        };
        // Another token is not held up.
        let Waited::Locked(other) = c.lock(&key_of("rt2"), &keys).await else {
            unreachable!("no lock")
        };
        other.release().await;
        let c2 = c.clone();
        let waiter = tokio::spawn(async move {
            let keys = keys_owned();
            matches!(c2.lock(&k, &keys).await, Waited::Locked(_))
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiter.is_finished(),
            "the second refresh waits for the first"
        );
        held.release().await;
        assert!(waiter.await.unwrap());
        assert!(c.locks.lock().unwrap().len() <= 2);
    }

    fn keys_owned() -> crate::flow::Keys {
        keys()
    }
}
