//! Sessions opened recently, by their sealed cookie value.
//!
//! A browser sends the same session cookie on every request between two rolls (with the
//! default rolling threshold, for a minute at least), and decrypting and parsing it is most of
//! what a protected request costs. A request whose cookie is one opened before gets the
//! session that opening gave, after the checks that depend on the time ([`check_open`]: the
//! cookie's `exp` and the IPSIE ceiling) are made again, so it sees exactly what opening the
//! cookie now would give. Only cookies that opened are kept, so a forged or tampered cookie can
//! never be answered from here; a cookie is matched by all its bytes, compared in constant time.
//!
//! Cookie sessions only (a store's record is the authority for stateful sessions), and only
//! without connection-token cookies. Bounded by entries ([`super::Builder::opened_sessions`]),
//! oldest out first.

use std::prelude::rust_2024::*;

use crate::session::check_open;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Shards, so that the requests of two cores rarely wait for the same lock.
const SHARDS: usize = 16;

/// The default number of sessions kept ([`super::Builder::opened_sessions`]).
pub const DEFAULT_OPENED_SESSIONS: usize = 1024;

/// What opening a cookie gave, and what its checks at a later time need.
#[derive(Clone)]
pub(crate) struct Opened<T> {
    /// The session, as the runtime keeps it.
    pub(crate) session: T,
    /// The cookie's `exp`.
    pub(crate) cookie_exp: Option<i64>,
    /// `internal.createdAt`.
    pub(crate) created_at: Option<i64>,
    /// `internal.sessionExpiresAt` (the IPSIE ceiling).
    pub(crate) ceiling: Option<i64>,
}

impl<T> Opened<T> {
    /// Whether the session is still open at `now` ([`check_open`]).
    pub(crate) fn is_open(&self, now: i64) -> bool {
        check_open(self.cookie_exp, self.ceiling, now).is_ok()
    }
}

struct Entry<T> {
    /// The sealed value (the pieces joined).
    sealed: Box<[u8]>,
    opened: Opened<T>,
}

struct Shard<T> {
    map: HashMap<u128, Entry<T>>,
    /// Keys in the order they came in; the first goes out first.
    order: VecDeque<u128>,
}

/// Sessions opened recently, by their sealed value (see the module's documentation).
pub(crate) struct OpenedSessions<T> {
    shards: Box<[Mutex<Shard<T>>]>,
    per_shard: usize,
}

impl<T: Clone> OpenedSessions<T> {
    /// Room for about `capacity` sessions; 0 keeps none.
    pub(crate) fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS);
        let shards = (0..if per_shard == 0 { 0 } else { SHARDS })
            .map(|_| {
                Mutex::new(Shard {
                    map: HashMap::new(),
                    order: VecDeque::new(),
                })
            })
            .collect();
        OpenedSessions { shards, per_shard }
    }

    /// Whether it keeps any.
    pub(crate) fn is_on(&self) -> bool {
        self.per_shard > 0
    }

    fn shard(&self, key: u128) -> Option<std::sync::MutexGuard<'_, Shard<T>>> {
        let shard = self.shards.get((key as usize) % self.shards.len().max(1))?;
        Some(shard.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The session a cookie of these pieces (its value, split as the header has it) opened
    /// to, when it is kept.
    pub(crate) fn get(&self, pieces: &[&str]) -> Option<Opened<T>> {
        let key = key(pieces)?;
        let shard = self.shard(key)?;
        let entry = shard.map.get(&key)?;
        same(&entry.sealed, pieces).then(|| entry.opened.clone())
    }

    /// Forgets the session of these pieces (it is no longer open).
    pub(crate) fn remove(&self, pieces: &[&str]) {
        let Some(key) = key(pieces) else { return };
        if let Some(mut shard) = self.shard(key)
            && shard.map.get(&key).is_some_and(|e| same(&e.sealed, pieces))
        {
            shard.map.remove(&key);
            shard.order.retain(|k| *k != key);
        }
    }

    /// Keeps what the cookie of these pieces opened to.
    pub(crate) fn insert(&self, pieces: &[&str], opened: Opened<T>) {
        let Some(key) = key(pieces) else { return };
        let per_shard = self.per_shard;
        let Some(mut shard) = self.shard(key) else {
            return;
        };
        let sealed: Box<[u8]> = pieces.concat().into_bytes().into_boxed_slice();
        if shard.map.insert(key, Entry { sealed, opened }).is_none() {
            shard.order.push_back(key);
        }
        while shard.map.len() > per_shard {
            let Some(old) = shard.order.pop_front() else {
                break;
            };
            shard.map.remove(&old);
        }
    }
}

/// The key of a sealed value: its length and its last 16 bytes (the base64url of most of the
/// JWE's authentication tag, which is different for every seal). `None` for a value too short
/// to be a JWE.
fn key(pieces: &[&str]) -> Option<u128> {
    let len: usize = pieces.iter().map(|p| p.len()).sum();
    let mut tail = [0u8; 16];
    let mut want = tail.len();
    for p in pieces.iter().rev() {
        let b = p.as_bytes();
        let n = want.min(b.len());
        tail[want - n..want].copy_from_slice(&b[b.len() - n..]);
        want -= n;
        if want == 0 {
            return Some(u128::from_le_bytes(tail) ^ (len as u128) << 64);
        }
    }
    None
}

/// Whether `sealed` is the concatenation of `pieces`, in constant time for values of one
/// length (no early exit: the comparison does not tell how much of a value matched).
fn same(sealed: &[u8], pieces: &[&str]) -> bool {
    if pieces.iter().map(|p| p.len()).sum::<usize>() != sealed.len() {
        return false;
    }
    let mut diff = 0u8;
    let mut at = 0;
    for p in pieces {
        let b = p.as_bytes();
        let Some(s) = sealed.get(at..at + b.len()) else {
            return false;
        };
        diff |= differ(s, b);
        at += b.len();
    }
    diff == 0
}

/// Whether two slices of one length differ anywhere, as a byte that is 0 when they do not:
/// 32 bytes per step into a 32-byte accumulator (one vector on targets that have them), then
/// the rest, without a branch on the bytes.
fn differ(a: &[u8], b: &[u8]) -> u8 {
    let mut acc = [0u8; 32];
    let (wide_a, wide_b) = (a.chunks_exact(32), b.chunks_exact(32));
    let (rest_a, rest_b) = (wide_a.remainder(), wide_b.remainder());
    for (x, y) in wide_a.zip(wide_b) {
        for i in 0..32 {
            acc[i] |= x[i] ^ y[i];
        }
    }
    let tail = rest_a.iter().zip(rest_b).fold(0u8, |d, (x, y)| d | (x ^ y));
    acc.iter().fold(tail, |d, x| d | x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(v: u32, exp: i64) -> Opened<u32> {
        Opened {
            session: v,
            cookie_exp: Some(exp),
            created_at: Some(0),
            ceiling: None,
        }
    }

    const A: &str =
        "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv-iv-iv-iv-iv.ciphertext.tag-0123456789abcdef";

    #[test]
    fn a_cookie_is_found_by_all_its_bytes_however_it_is_split() {
        let cache = OpenedSessions::new(64);
        cache.insert(&[A], opened(1, 100));
        assert_eq!(cache.get(&[A]).map(|o| o.session), Some(1));
        // The same value in chunks, split anywhere (even inside the key's 16 bytes).
        for cut in [1, 20, A.len() - 10, A.len() - 1] {
            let (x, y) = A.split_at(cut);
            assert_eq!(
                cache.get(&[x, y]).map(|o| o.session),
                Some(1),
                "cut at {cut}"
            );
        }
        // A value with the same tail (so the same key) but another byte anywhere is not it.
        for at in [0, 10, A.len() / 2, A.len() - 17] {
            let mut other = A.as_bytes().to_vec();
            other[at] ^= 1;
            let other = String::from_utf8(other).unwrap();
            assert_eq!(key(&[&other]), key(&[A]));
            assert!(cache.get(&[&other]).is_none(), "byte {at} changed");
        }
        // Longer or shorter is not it either.
        assert!(cache.get(&[A, "x"]).is_none());
        assert!(cache.get(&[&A[1..]]).is_none());
        assert!(cache.get(&["short"]).is_none());
        cache.remove(&[A]);
        assert!(cache.get(&[A]).is_none());
    }

    #[test]
    fn any_changed_bit_anywhere_differs() {
        // Lengths around the 32-byte steps, every position, every bit.
        for len in [0, 1, 31, 32, 33, 64, 95, 100] {
            let a: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            assert_eq!(differ(&a, &a), 0, "len {len}");
            for at in 0..len {
                for bit in 0..8 {
                    let mut b = a.clone();
                    b[at] ^= 1 << bit;
                    assert_ne!(differ(&a, &b), 0, "len {len}, byte {at}, bit {bit}");
                }
            }
        }
    }

    #[test]
    fn the_oldest_goes_out_first_and_zero_keeps_none() {
        let cache = OpenedSessions::new(SHARDS); // one per shard
        let values: Vec<String> = (0..200).map(|i| format!("{A}{i:08}")).collect();
        for (i, v) in values.iter().enumerate() {
            cache.insert(&[v], opened(i as u32, 100));
        }
        let kept = values.iter().filter(|v| cache.get(&[v]).is_some()).count();
        assert!(kept <= SHARDS, "{kept} kept");
        // The last one in is always there.
        assert_eq!(cache.get(&[&values[199]]).map(|o| o.session), Some(199));
        let none = OpenedSessions::new(0);
        assert!(!none.is_on());
        none.insert(&[A], opened(1, 100));
        assert!(none.get(&[A]).is_none());
    }

    #[test]
    fn the_time_checks_are_made_again() {
        let o = opened(1, 1_000);
        // `exp` with the 15 s tolerance, as opening checks it.
        assert!(o.is_open(900));
        assert!(o.is_open(1_014));
        assert!(!o.is_open(1_015));
        let ceiling = Opened {
            ceiling: Some(500),
            ..opened(1, 1_000)
        };
        // The IPSIE ceiling, with its 30 s margin.
        assert!(ceiling.is_open(469));
        assert!(!ceiling.is_open(470));
    }
}
