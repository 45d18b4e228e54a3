//! [`MemoryStore`]: sessions in a map, bounded, expiring on the store's clock.

use std::prelude::rust_2024::*;

use super::super::clock::SystemClock;
use super::{Record as Stored, Store, Updated};
use crate::UnixTime;
use crate::runtime::{Clock, LogoutTarget, RecordInfo, StoreError};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// How many sessions a [`MemoryStore`] keeps unless told otherwise.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

struct Record {
    json: String,
    version: u64,
    expires_at: UnixTime,
    sid: Option<String>,
    sub: Option<String>,
}

/// The records and their indexes: by expiry (so expired records go in order, without a scan),
/// and by `sid` and `sub` (for back-channel logout).
#[derive(Default)]
struct Records {
    by_id: HashMap<String, Record>,
    by_expiry: BTreeSet<(UnixTime, String)>,
    by_sid: HashMap<String, HashSet<String>>,
    by_sub: HashMap<String, HashSet<String>>,
}

fn unindex(index: &mut HashMap<String, HashSet<String>>, key: Option<&str>, id: &str) {
    if let Some(k) = key
        && let Some(ids) = index.get_mut(k)
    {
        ids.remove(id);
        if ids.is_empty() {
            index.remove(k);
        }
    }
}

impl Records {
    /// Drops the records that expired by `now`: each costs a log-time removal, and nothing is
    /// scanned that has not expired.
    fn expire(&mut self, now: UnixTime) {
        while let Some((at, id)) = self.by_expiry.first()
            && *at <= now
        {
            let id = id.clone();
            self.remove(&id);
        }
    }

    fn remove(&mut self, id: &str) -> Option<Record> {
        let r = self.by_id.remove(id)?;
        self.by_expiry.remove(&(r.expires_at, id.to_string()));
        unindex(&mut self.by_sid, r.sid.as_deref(), id);
        unindex(&mut self.by_sub, r.sub.as_deref(), id);
        Some(r)
    }

    fn insert(&mut self, id: &str, r: Record, max_entries: usize) {
        self.remove(id);
        // Full: the record closest to its expiry makes room.
        while self.by_id.len() >= max_entries.max(1)
            && let Some((_, oldest)) = self.by_expiry.first().cloned()
        {
            self.remove(&oldest);
        }
        self.by_expiry.insert((r.expires_at, id.to_string()));
        for (index, key) in [(&mut self.by_sid, &r.sid), (&mut self.by_sub, &r.sub)] {
            if let Some(k) = key {
                index.entry(k.clone()).or_default().insert(id.to_string());
            }
        }
        self.by_id.insert(id.to_string(), r);
    }

    fn ids_of(&self, target: &LogoutTarget<'_>) -> Vec<String> {
        let (index, key) = match target {
            LogoutTarget::Session { sid, .. } => (&self.by_sid, *sid),
            LogoutTarget::User { sub, .. } => (&self.by_sub, *sub),
        };
        index
            .get(key)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Sessions in memory, for one process (development, tests, a single server): at most
/// [`DEFAULT_MAX_ENTRIES`] by default (when full, the record closest to its expiry makes room),
/// dropped when they expire on the store's [`Clock`] (the system clock unless
/// [`MemoryStore::with_clock`] gives another, such as a test's virtual time). Expiry and
/// back-channel logout go through indexes: no request scans the whole store.
#[derive(Clone)]
pub struct MemoryStore<C = SystemClock> {
    records: Arc<Mutex<Records>>,
    clock: C,
    max_entries: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_clock(SystemClock)
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<C: Clock + Send + Sync + 'static> MemoryStore<C> {
    /// An empty store whose records expire on `clock`.
    pub fn with_clock(clock: C) -> Self {
        MemoryStore {
            records: Arc::default(),
            clock,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }

    /// Keeps at most `max` sessions (at least 1).
    pub fn with_max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
    }

    /// How many live sessions it holds.
    pub fn len(&self) -> usize {
        let mut r = self.lock();
        r.expire(self.clock.now());
        r.by_id.len()
    }

    /// Whether it holds no live session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn record(json: &str, info: &RecordInfo<'_>) -> Record {
    Record {
        json: json.to_string(),
        version: Stored::version_of(json),
        expires_at: info.expires_at,
        sid: info.sid.map(String::from),
        sub: info.sub.map(String::from),
    }
}

impl<C: Clock + Send + Sync + 'static> Store for MemoryStore<C> {
    async fn get(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let mut records = self.lock();
        records.expire(self.clock.now());
        Ok(records.by_id.get(id).map(|r| Stored {
            json: r.json.clone(),
            version: r.version,
        }))
    }

    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        let record = record(json, info);
        let mut records = self.lock();
        records.expire(self.clock.now());
        records.insert(id, record, self.max_entries);
        Ok(())
    }

    /// Atomic: the check and the write happen under the store's lock.
    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
        expected: Option<u64>,
    ) -> Result<Updated, StoreError> {
        let mut records = self.lock();
        records.expire(self.clock.now());
        match records.by_id.get(id) {
            None => return Ok(Updated::Missing),
            Some(r) if expected.is_some_and(|v| v != r.version) => return Ok(Updated::Conflict),
            Some(_) => {}
        }
        records.insert(id, record(json, info), self.max_entries);
        Ok(Updated::Written)
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        self.lock().remove(id);
        Ok(())
    }

    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        let mut records = self.lock();
        for id in records.ids_of(target) {
            records.remove(&id);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    /// A clock the test moves, shareable across threads.
    #[derive(Default)]
    struct TestClock(AtomicI64);

    impl Clock for &'static TestClock {
        fn now(&self) -> UnixTime {
            self.0.load(Ordering::SeqCst)
        }
        async fn sleep(&self, _millis: u64) {}
    }

    fn info(expires_at: UnixTime, sid: &'static str, sub: &'static str) -> RecordInfo<'static> {
        RecordInfo {
            expires_at,
            sid: Some(sid),
            sub: Some(sub),
        }
    }

    #[tokio::test]
    async fn bounded_expiring_and_indexed() {
        let clock: &'static TestClock = Box::leak(Box::new(TestClock(AtomicI64::new(1_000))));
        let store = MemoryStore::with_clock(clock).with_max_entries(3);
        store
            .set("a", "{}", &info(1_100, "s1", "u1"))
            .await
            .unwrap();
        store
            .set("b", "{}", &info(1_200, "s2", "u1"))
            .await
            .unwrap();
        store
            .set("c", "{}", &info(1_300, "s3", "u2"))
            .await
            .unwrap();
        // Full: the one closest to its expiry (a) makes room.
        store
            .set("d", "{}", &info(1_400, "s4", "u3"))
            .await
            .unwrap();
        assert!(store.get("a").await.unwrap().is_none());
        assert_eq!(store.len(), 3);
        // Expiry on the store's clock.
        clock.0.fetch_add(250, Ordering::SeqCst);
        assert!(store.get("b").await.unwrap().is_none());
        assert_eq!(store.len(), 2);
        let late = info(2_000, "s2", "u1");
        assert_eq!(
            store.update("b", "{}", &late, None).await.unwrap(),
            Updated::Missing
        );
        // By sid, then by sub, through the indexes.
        store
            .delete_by_logout_token(&LogoutTarget::of(Some("s3"), Some("u2"), "i").unwrap())
            .await
            .unwrap();
        assert!(store.get("c").await.unwrap().is_none());
        store
            .set("e", "{}", &info(1_500, "s5", "u3"))
            .await
            .unwrap();
        store
            .delete_by_logout_token(&LogoutTarget::of(None, Some("u3"), "i").unwrap())
            .await
            .unwrap();
        assert!(store.is_empty());
        let r = store.lock();
        assert!(r.by_expiry.is_empty() && r.by_sid.is_empty() && r.by_sub.is_empty());
    }

    #[tokio::test]
    async fn updates_are_conditional_on_the_version_read() {
        let store = MemoryStore::new();
        let far = info(i64::MAX / 2, "s", "u");
        store.set("id", r#"{"v":1}"#, &far).await.unwrap();
        let read = store.get("id").await.unwrap().unwrap();
        assert_eq!(read.version, Stored::version_of(r#"{"v":1}"#));
        // A refresh writes first; the roll made from the older read is refused.
        let refresh = store
            .update("id", r#"{"v":2}"#, &far, Some(read.version))
            .await;
        assert_eq!(refresh.unwrap(), Updated::Written);
        let roll = store
            .update("id", r#"{"v":1}"#, &far, Some(read.version))
            .await;
        assert_eq!(roll.unwrap(), Updated::Conflict);
        assert_eq!(store.get("id").await.unwrap().unwrap().json, r#"{"v":2}"#);
        // Unconditional writes (an application's update) go through.
        let edit = store.update("id", r#"{"v":3}"#, &far, None).await;
        assert_eq!(edit.unwrap(), Updated::Written);
    }
}
