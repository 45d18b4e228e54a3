//! The discovery and JWKS cache shared by all requests, with the servers' DPoP nonces.

use std::prelude::rust_2024::*;

use crate::codec::time::UnixTime;
use crate::runtime::{Entry, ProviderCache};
use std::sync::Mutex;

/// How many origins' DPoP nonces a [`SharedCache`] keeps, as oauth4webapi's nonce cache (an
/// LRU of 100); the origin used longest ago is forgotten first.
pub const DPOP_NONCE_ORIGINS: usize = 100;

#[derive(Default)]
struct Slots {
    discovery: Option<(Vec<u8>, UnixTime)>,
    jwks: Option<(Vec<u8>, UnixTime)>,
    forced: Option<UnixTime>,
    /// `(origin, nonce)`, the most recently used last.
    nonces: Vec<(String, String)>,
}

/// A [`ProviderCache`] behind a mutex, shared by every request of a client: the discovery
/// document, the JWKS, and the last DPoP nonce of up to [`DPOP_NONCE_ORIGINS`] servers (the
/// authorization server and the APIs called through the fetcher), so a nonce learnt by one
/// request is sent by the next.
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

    fn load_dpop_nonce(&self, origin: &str, buf: &mut [u8]) -> Option<usize> {
        self.with(|s| {
            let i = s
                .nonces
                .iter()
                .position(|(o, _)| o.eq_ignore_ascii_case(origin))?;
            let entry = s.nonces.remove(i);
            let n = entry.1.len();
            let fits = buf
                .get_mut(..n)
                .map(|dst| dst.copy_from_slice(entry.1.as_bytes()));
            s.nonces.push(entry);
            fits.map(|()| n)
        })
    }

    fn store_dpop_nonce(&self, origin: &str, nonce: &str) {
        if origin.len() > crate::oauth::dpop::MAX_ORIGIN_LEN
            || !crate::oauth::dpop::is_valid_nonce(nonce)
        {
            return;
        }
        self.with(|s| {
            s.nonces.retain(|(o, _)| !o.eq_ignore_ascii_case(origin));
            if s.nonces.len() >= DPOP_NONCE_ORIGINS {
                s.nonces.remove(0);
            }
            s.nonces.push((origin.to_string(), nonce.to_string()));
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_per_origin_least_recently_used_first_out() {
        let c = SharedCache::default();
        let mut buf = [0u8; 64];
        let mut load = |o: &str| {
            c.load_dpop_nonce(o, &mut buf)
                .map(|n| String::from_utf8(buf[..n].to_vec()).unwrap())
        };
        assert_eq!(load("https://a"), None);
        c.store_dpop_nonce("https://a", "n1");
        c.store_dpop_nonce("https://a", "n2");
        assert_eq!(load("https://A").as_deref(), Some("n2"));
        for i in 0..DPOP_NONCE_ORIGINS {
            if i == 50 {
                assert!(load("https://a").is_some(), "a is used again");
            }
            c.store_dpop_nonce(&format!("https://o{i}"), "x");
        }
        assert_eq!(load("https://o0"), None, "the origin used longest ago went");
        assert_eq!(load("https://a").as_deref(), Some("n2"));
        c.store_dpop_nonce("https://b", "not a nonce");
        assert_eq!(load("https://b"), None);
        let mut tiny = [0u8; 1];
        assert_eq!(c.load_dpop_nonce("https://a", &mut tiny), None);
    }
}
