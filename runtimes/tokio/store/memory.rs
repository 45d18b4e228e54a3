//! [`MemoryStore`]: sessions in a map, expiring on the store's clock.

use std::prelude::rust_2024::*;

use super::super::clock::SystemClock;
use crate::UnixTime;
use crate::runtime::{Clock, RecordInfo, SessionStore, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Record {
    json: String,
    expires_at: UnixTime,
    sid: Option<String>,
    sub: Option<String>,
}

/// Sessions in memory, dropped when they expire on the store's [`Clock`] (the system clock
/// unless [`MemoryStore::with_clock`] gives another, such as a test's virtual time). For one
/// process (development, tests, a single server).
#[derive(Clone, Default)]
pub struct MemoryStore<C = SystemClock> {
    records: Arc<Mutex<HashMap<String, Record>>>,
    clock: C,
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<C: Clock> MemoryStore<C> {
    /// An empty store whose records expire on `clock`.
    pub fn with_clock(clock: C) -> Self {
        MemoryStore {
            records: Arc::default(),
            clock,
        }
    }

    /// How many live sessions it holds.
    pub fn len(&self) -> usize {
        let now = self.clock.now();
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

impl<C: Clock> SessionStore for MemoryStore<C> {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        let now = self.clock.now();
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
        let now = self.clock.now();
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
