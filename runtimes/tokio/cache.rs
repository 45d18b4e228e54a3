//! The discovery and JWKS cache shared by all requests.

use std::prelude::rust_2024::*;

use crate::codec::time::UnixTime;
use crate::runtime::{Entry, ProviderCache};
use std::sync::Mutex;

#[derive(Default)]
struct Slots {
    discovery: Option<(Vec<u8>, UnixTime)>,
    jwks: Option<(Vec<u8>, UnixTime)>,
    forced: Option<UnixTime>,
}

/// A [`ProviderCache`] behind a mutex, shared by every request of a client.
#[derive(Default)]
pub struct SharedCache {
    slots: Mutex<Slots>,
}

impl SharedCache {
    fn with<T>(&self, f: impl FnOnce(&mut Slots) -> T) -> T {
        let mut guard = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

impl ProviderCache for SharedCache {
    fn load(&self, e: Entry, buf: &mut [u8]) -> Option<(usize, UnixTime)> {
        self.with(|s| {
            let (data, at) = match e {
                Entry::Discovery => s.discovery.as_ref()?,
                Entry::Jwks => s.jwks.as_ref()?,
            };
            buf.get_mut(..data.len())?.copy_from_slice(data);
            Some((data.len(), *at))
        })
    }

    fn store(&self, e: Entry, json: &[u8], at: UnixTime) {
        self.with(|s| match e {
            Entry::Discovery => s.discovery = Some((json.to_vec(), at)),
            Entry::Jwks => s.jwks = Some((json.to_vec(), at)),
        })
    }

    fn last_forced_jwks_fetch(&self) -> Option<UnixTime> {
        self.with(|s| s.forced)
    }

    fn set_last_forced_jwks_fetch(&self, at: UnixTime) {
        self.with(|s| s.forced = Some(at))
    }
}
