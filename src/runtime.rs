//! The runtime contract: everything the core asks of a runtime, in one place.
//!
//! The core does no I/O and reads no clock, environment or random source of its own. A runtime
//! (tokio, embassy, or your own) gives it:
//!
//! | trait | what it does | trivial implementation here |
//! |---|---|---|
//! | [`Transport`] | sends one HTTP request to the provider and reads the answer into a caller buffer | – (see `auth0_edge::testing` for test devices) |
//! | [`Clock`] | the current Unix time | [`FixedClock`] |
//! | [`ProviderCache`] | keeps the discovery document, the JWKS and the servers' DPoP nonces between requests | [`MemoryCache`] |
//! | [`SessionStore`] | keeps session documents by id (stateful sessions) | [`NoStore`] (cookie sessions) |
//! | randomness | a [`CryptoRngCore`] passed to each flow | the caller's generator |
//!
//! The traits are not `Send`-bound, so the same flows run on a multi-threaded server and on a
//! single-threaded embedded executor. Their methods are `async` where the runtime waits on the
//! network, and synchronous and short where a plain lock suffices (the cache).

use crate::codec::time::UnixTime;
use crate::http::{OutgoingRequest, ResponseHead};
use core::cell::RefCell;
use core::fmt;
pub use rand_core::CryptoRngCore;

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// Sends one HTTP request and reads the response; implemented by each runtime.
///
/// The runtime enforces its timeout, writes the response header lines and then the body into
/// `buf`, and says where they are.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: the same flows run on embassy.
pub trait Transport {
    /// Sends `req`; reads the response into `buf`.
    async fn send(
        &self,
        req: &OutgoingRequest<'_>,
        buf: &mut [u8],
    ) -> Result<ResponseHead, TransportError>;
}

/// Why an outgoing request failed in the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be made (refused, DNS, unreachable).
    Connect,
    /// The TLS handshake failed (no common protocol or cipher, a bad message).
    Tls,
    /// The server's certificate was refused.
    Certificate(CertificateError),
    /// No complete response within the runtime's timeout.
    Timeout,
    /// The connection broke or the response was not valid HTTP.
    Io,
    /// The response (headers and body) does not fit the buffer.
    ResponseTooLarge,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::Connect => "could not connect to the authorization server",
            TransportError::Tls => "the TLS handshake with the authorization server failed",
            TransportError::Certificate(_) => {
                "the authorization server's TLS certificate was refused"
            }
            TransportError::Timeout => "the authorization server did not answer in time",
            TransportError::Io => "the connection to the authorization server broke",
            TransportError::ResponseTooLarge => "the authorization server's response is too large",
        })
    }
}

impl core::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            TransportError::Certificate(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a server certificate was refused (the checks of RFC 5280 path validation and RFC 6125
/// name matching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The chain does not lead to a trusted root.
    UnknownIssuer,
    /// The certificate is not valid for the host name or address connected to.
    NotValidForName,
    /// The certificate (or one in its chain) has expired.
    Expired,
    /// The certificate (or one in its chain) is not valid yet.
    NotYetValid,
    /// A signature in the chain, or the handshake signature, does not verify.
    BadSignature,
    /// A signature algorithm that is not supported.
    UnsupportedSignatureAlgorithm,
    /// The certificate is not for TLS servers (extended key usage), or a CA constraint fails.
    InvalidPurpose,
    /// The certificate could not be parsed.
    BadEncoding,
    /// The server's certificates do not fit the buffer they are held in until the handshake
    /// is done (on a device, the response's part of the flow's work buffer).
    ChainTooLarge,
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateError::UnknownIssuer => {
                "certificate not trusted: its chain does not lead to a configured trust anchor"
            }
            CertificateError::NotValidForName => {
                "certificate not valid for the host name or address connected to"
            }
            CertificateError::Expired => "certificate expired (check the clock too)",
            CertificateError::NotYetValid => "certificate not valid yet (check the clock)",
            CertificateError::BadSignature => {
                "a certificate or handshake signature does not verify"
            }
            CertificateError::UnsupportedSignatureAlgorithm => {
                "the certificate uses a signature algorithm that is not supported"
            }
            CertificateError::InvalidPurpose => {
                "the certificate is not for TLS servers, or a CA constraint fails"
            }
            CertificateError::BadEncoding => "the certificate could not be parsed",
            CertificateError::ChainTooLarge => {
                "the server's certificate chain does not fit the response buffer: give the flow a larger work buffer"
            }
        })
    }
}

impl core::error::Error for CertificateError {}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// The current time, and waiting; implemented by each runtime.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: the same flows run on embassy.
pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now(&self) -> UnixTime;

    /// Waits `millis` milliseconds (a polling interval, a retry delay). A virtual clock moves
    /// itself forward instead of waiting, so tests run on virtual time.
    async fn sleep(&self, millis: u64);
}

/// A clock that always returns the same time (for tests and examples).
#[derive(Clone, Copy, Debug)]
#[allow(clippy::exhaustive_structs)] // a newtype over the time
pub struct FixedClock(pub UnixTime);

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        self.0
    }

    /// Returns at once: a fixed clock has no time to wait for.
    async fn sleep(&self, _millis: u64) {}
}

// ---------------------------------------------------------------------------------------------
// Provider documents
// ---------------------------------------------------------------------------------------------

/// Which document a cache entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entry {
    /// The discovery document.
    Discovery,
    /// The JWKS.
    Jwks,
}

/// Keeps the discovery document and the JWKS between requests. Implemented by the runtime;
/// methods are synchronous and short, so an implementation can use a plain mutex.
pub trait ProviderCache {
    /// Copies entry `e` into `buf` and returns its length and the time it was stored, if any.
    fn load(&self, e: Entry, buf: &mut [u8]) -> Option<(usize, UnixTime)>;
    /// Stores entry `e`, fetched at `at`. An entry too large for the cache is not stored.
    fn store(&self, e: Entry, json: &[u8], at: UnixTime);
    /// When the JWKS was last fetched because of an unknown `kid`.
    fn last_forced_jwks_fetch(&self) -> Option<UnixTime>;
    /// Records a JWKS fetch caused by an unknown `kid`.
    fn set_last_forced_jwks_fetch(&self, at: UnixTime);

    /// Copies the last `DPoP-Nonce` the server at `origin` (`scheme://host[:port]`) sent into
    /// `buf` and returns its length, if one is kept (RFC 9449 §8: the next proof to that server
    /// carries it). Keep a bounded number of origins. The default keeps none: every request
    /// then meets the server's nonce challenge and its one retry.
    fn load_dpop_nonce(&self, origin: &str, buf: &mut [u8]) -> Option<usize> {
        let _ = (origin, buf);
        None
    }

    /// Keeps `nonce` as the last `DPoP-Nonce` of `origin`, replacing the one before (and, when
    /// full, forgetting the origin used longest ago). The default keeps nothing.
    fn store_dpop_nonce(&self, origin: &str, nonce: &str) {
        let _ = (origin, nonce);
    }
}

/// How many origins' DPoP nonces a [`MemoryCache`] keeps by default (the least recently used
/// is forgotten first).
pub const MEMORY_CACHE_NONCE_ORIGINS: usize = 4;

/// One origin's DPoP nonce in a [`MemoryCache`].
struct NonceSlot {
    origin: heapless::String<{ crate::oauth::dpop::MAX_ORIGIN_LEN }>,
    nonce: heapless::String<{ crate::oauth::dpop::MAX_NONCE_LEN }>,
    used: u32,
}

/// A [`ProviderCache`] in fixed buffers, for one thread (embassy tasks, tests).
///
/// `N` is the room for each of the discovery metadata and the JWKS (their compact forms: about
/// 750 and 900 bytes for an Auth0 tenant with two keys); `O` how many origins' DPoP nonces are
/// kept, about 530 bytes each (a device that uses DPoP with its provider only needs one, one
/// without DPoP none).
pub struct MemoryCache<const N: usize = 8192, const O: usize = MEMORY_CACHE_NONCE_ORIGINS> {
    inner: RefCell<Slots<N, O>>,
}

struct Slots<const N: usize, const O: usize> {
    discovery: heapless::Vec<u8, N>,
    discovery_at: Option<UnixTime>,
    jwks: heapless::Vec<u8, N>,
    jwks_at: Option<UnixTime>,
    forced: Option<UnixTime>,
    nonces: heapless::Vec<NonceSlot, O>,
    nonce_clock: u32,
}

impl<const N: usize, const O: usize> Default for MemoryCache<N, O> {
    fn default() -> Self {
        MemoryCache {
            inner: RefCell::new(Slots {
                discovery: heapless::Vec::new(),
                discovery_at: None,
                jwks: heapless::Vec::new(),
                jwks_at: None,
                forced: None,
                nonces: heapless::Vec::new(),
                nonce_clock: 0,
            }),
        }
    }
}

impl<const N: usize, const O: usize> MemoryCache<N, O> {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<const N: usize, const O: usize> ProviderCache for MemoryCache<N, O> {
    fn load(&self, e: Entry, buf: &mut [u8]) -> Option<(usize, UnixTime)> {
        let s = self.inner.try_borrow().ok()?;
        let (data, at) = match e {
            Entry::Discovery => (&s.discovery, s.discovery_at?),
            Entry::Jwks => (&s.jwks, s.jwks_at?),
        };
        buf.get_mut(..data.len())?.copy_from_slice(data);
        Some((data.len(), at))
    }

    fn store(&self, e: Entry, json: &[u8], at: UnixTime) {
        let Ok(mut s) = self.inner.try_borrow_mut() else {
            return;
        };
        let s = &mut *s;
        let (data, slot) = match e {
            Entry::Discovery => (&mut s.discovery, &mut s.discovery_at),
            Entry::Jwks => (&mut s.jwks, &mut s.jwks_at),
        };
        data.clear();
        if data.extend_from_slice(json).is_ok() {
            *slot = Some(at);
        } else {
            data.clear();
            *slot = None;
        }
    }

    fn last_forced_jwks_fetch(&self) -> Option<UnixTime> {
        self.inner.try_borrow().ok()?.forced
    }

    fn set_last_forced_jwks_fetch(&self, at: UnixTime) {
        if let Ok(mut s) = self.inner.try_borrow_mut() {
            s.forced = Some(at);
        }
    }

    fn load_dpop_nonce(&self, origin: &str, buf: &mut [u8]) -> Option<usize> {
        let mut s = self.inner.try_borrow_mut().ok()?;
        s.nonce_clock = s.nonce_clock.wrapping_add(1);
        let tick = s.nonce_clock;
        let slot = s
            .nonces
            .iter_mut()
            .find(|n| n.origin.eq_ignore_ascii_case(origin))?;
        slot.used = tick;
        let n = slot.nonce.as_bytes();
        buf.get_mut(..n.len())?.copy_from_slice(n);
        Some(n.len())
    }

    fn store_dpop_nonce(&self, origin: &str, nonce: &str) {
        let Ok(mut s) = self.inner.try_borrow_mut() else {
            return;
        };
        let (Ok(origin_text), Ok(nonce_text)) = (
            heapless::String::try_from(origin),
            heapless::String::try_from(nonce),
        ) else {
            return;
        };
        s.nonce_clock = s.nonce_clock.wrapping_add(1);
        let used = s.nonce_clock;
        let slot = NonceSlot {
            origin: origin_text,
            nonce: nonce_text,
            used,
        };
        if let Some(i) = s
            .nonces
            .iter()
            .position(|n| n.origin.eq_ignore_ascii_case(origin))
        {
            s.nonces[i] = slot;
        } else if let Err(slot) = s.nonces.push(slot) {
            // Full: the origin used longest ago gives way.
            let oldest = (0..s.nonces.len()).max_by_key(|&i| used.wrapping_sub(s.nonces[i].used));
            if let Some(i) = oldest {
                s.nonces[i] = slot;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Session records
// ---------------------------------------------------------------------------------------------

/// Why a store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached or answered with an error.
    Unavailable,
    /// The record does not fit the buffer or the store's limits.
    TooLarge,
    /// The store cannot do this (a store without back-channel logout).
    Unsupported,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreError::Unavailable => "the session store is unavailable",
            StoreError::TooLarge => {
                "the session record is too large for the session store's buffer"
            }
            StoreError::Unsupported => {
                "the session store does not support this operation (implement delete_by_logout_token for back-channel logout)"
            }
        })
    }
}

impl core::error::Error for StoreError {}

/// What a store keeps beside the session JSON, for expiry and back-channel logout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built by stores and their tests with a struct literal
pub struct RecordInfo<'a> {
    /// When the record may be dropped (Unix seconds).
    pub expires_at: UnixTime,
    /// The session's `sid` (`internal.sid`), to delete by a logout token's `sid`.
    pub sid: Option<&'a str>,
    /// The user's `sub`, to delete by a logout token's `sub`.
    pub sub: Option<&'a str>,
}

/// The sessions a back-channel logout ends (Back-Channel Logout 1.0 §2.4): those of one
/// provider session when the logout token names it (`sid`), else every session of the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutTarget<'a> {
    /// The sessions whose `internal.sid` is `sid`.
    Session {
        /// The provider session.
        sid: &'a str,
        /// The logout token's issuer.
        iss: &'a str,
    },
    /// Every session of the user `sub`.
    User {
        /// The user.
        sub: &'a str,
        /// The logout token's issuer.
        iss: &'a str,
    },
}

impl<'a> LogoutTarget<'a> {
    /// The target of a logout token with these claims: its `sid` when it has one, else its
    /// `sub`; `None` with neither.
    pub fn of(sid: Option<&'a str>, sub: Option<&'a str>, iss: &'a str) -> Option<Self> {
        match (sid, sub) {
            (Some(sid), _) => Some(LogoutTarget::Session { sid, iss }),
            (None, Some(sub)) => Some(LogoutTarget::User { sub, iss }),
            (None, None) => None,
        }
    }

    /// The `sid` whose sessions end, if the target is a provider session.
    pub fn sid(&self) -> Option<&'a str> {
        match self {
            LogoutTarget::Session { sid, .. } => Some(sid),
            LogoutTarget::User { .. } => None,
        }
    }

    /// The `sub` whose sessions end, if the target is a user.
    pub fn sub(&self) -> Option<&'a str> {
        match self {
            LogoutTarget::User { sub, .. } => Some(sub),
            LogoutTarget::Session { .. } => None,
        }
    }

    /// The logout token's issuer.
    pub fn iss(&self) -> &'a str {
        match self {
            LogoutTarget::Session { iss, .. } | LogoutTarget::User { iss, .. } => iss,
        }
    }
}

/// Stores session documents by id. Implemented by the runtime; not `Send`-bound.
#[allow(async_fn_in_trait)] // Not Send-bound on purpose: the same flows run on embassy.
pub trait SessionStore {
    /// Reads the session JSON stored under `id` into `buf`; `None` if there is none.
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError>;
    /// Stores `json` under `id`.
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError>;
    /// Replaces the record under `id` only if it still exists; returns whether it did.
    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        let mut probe = [0u8; 1];
        // A record too large for the probe still exists.
        let exists = match self.get(id, &mut probe).await {
            Ok(found) => found.is_some(),
            Err(StoreError::TooLarge) => true,
            Err(e) => return Err(e),
        };
        if exists {
            self.set(id, json, info).await?;
        }
        Ok(exists)
    }
    /// Deletes the record under `id`.
    async fn delete(&self, id: &str) -> Result<(), StoreError>;
    /// Deletes the records a back-channel logout ends ([`LogoutTarget`]: those of a `sid`, or
    /// of a `sub`). The default is [`StoreError::Unsupported`] (the SDK's optional method):
    /// the back-channel logout route then answers that the store does not support it.
    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        let _ = target;
        Err(StoreError::Unsupported)
    }
    /// Remembers an accepted back-channel logout token (its issuer and `jti`, as `key`) until
    /// `until`, and answers `Ok(false)` when it was remembered already: a replay, which the
    /// flow refuses. A store shared by servers makes this atomic (Redis: `SET … NX`), so a
    /// replay is refused on every server. The default is [`StoreError::Unsupported`]: keep a
    /// [`crate::oauth::logout_token::ReplayCache`] in your store (behind its lock) to refuse
    /// replays; without one the flow accepts the token and logs that it could not check.
    async fn remember_logout_token(
        &self,
        key: &crate::oauth::logout_token::ReplayKey,
        until: UnixTime,
    ) -> Result<bool, StoreError> {
        let _ = (key, until);
        Err(StoreError::Unsupported)
    }
}

/// The store of a stateless configuration: sessions live in cookies only.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::exhaustive_structs)] // a unit value
pub struct NoStore;

impl SessionStore for NoStore {
    async fn get<'b>(&self, _id: &str, _buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        Ok(None)
    }
    async fn set(&self, _id: &str, _json: &str, _info: &RecordInfo<'_>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable)
    }
    async fn delete(&self, _id: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared devices
// ---------------------------------------------------------------------------------------------

// A device shared by reference (a test's clock, a scripted transport kept by the test) is a
// device too; with `alloc`, so is one behind an `Rc` or `Arc`.

macro_rules! shared_device {
    ($($ptr:ty),*) => {$(
        impl<T: Transport + ?Sized> Transport for $ptr {
            async fn send(
                &self,
                req: &OutgoingRequest<'_>,
                buf: &mut [u8],
            ) -> Result<ResponseHead, TransportError> {
                (**self).send(req, buf).await
            }
        }

        impl<T: Clock + ?Sized> Clock for $ptr {
            fn now(&self) -> UnixTime {
                (**self).now()
            }

            async fn sleep(&self, millis: u64) {
                (**self).sleep(millis).await
            }
        }
    )*};
}

shared_device!(&T);

impl<T: ProviderCache + ?Sized> ProviderCache for &T {
    fn load(&self, e: Entry, buf: &mut [u8]) -> Option<(usize, UnixTime)> {
        (**self).load(e, buf)
    }
    fn store(&self, e: Entry, json: &[u8], at: UnixTime) {
        (**self).store(e, json, at)
    }
    fn last_forced_jwks_fetch(&self) -> Option<UnixTime> {
        (**self).last_forced_jwks_fetch()
    }
    fn set_last_forced_jwks_fetch(&self, at: UnixTime) {
        (**self).set_last_forced_jwks_fetch(at)
    }
    fn load_dpop_nonce(&self, origin: &str, buf: &mut [u8]) -> Option<usize> {
        (**self).load_dpop_nonce(origin, buf)
    }
    fn store_dpop_nonce(&self, origin: &str, nonce: &str) {
        (**self).store_dpop_nonce(origin, nonce)
    }
}

impl<T: SessionStore + ?Sized> SessionStore for &T {
    async fn get<'b>(&self, id: &str, buf: &'b mut [u8]) -> Result<Option<&'b [u8]>, StoreError> {
        (**self).get(id, buf).await
    }
    async fn set(&self, id: &str, json: &str, info: &RecordInfo<'_>) -> Result<(), StoreError> {
        (**self).set(id, json, info).await
    }
    async fn update(
        &self,
        id: &str,
        json: &str,
        info: &RecordInfo<'_>,
    ) -> Result<bool, StoreError> {
        (**self).update(id, json, info).await
    }
    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        (**self).delete(id).await
    }
    async fn delete_by_logout_token(&self, target: &LogoutTarget<'_>) -> Result<(), StoreError> {
        (**self).delete_by_logout_token(target).await
    }
    async fn remember_logout_token(
        &self,
        key: &crate::oauth::logout_token::ReplayKey,
        until: UnixTime,
    ) -> Result<bool, StoreError> {
        (**self).remember_logout_token(key, until).await
    }
}
#[cfg(feature = "alloc")]
shared_device!(alloc::rc::Rc<T>, alloc::sync::Arc<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_cache() {
        let c: MemoryCache<64> = MemoryCache::new();
        let mut buf = [0u8; 64];
        assert!(c.load(Entry::Jwks, &mut buf).is_none());
        c.store(Entry::Jwks, b"{\"keys\":[]}", 5);
        assert_eq!(c.load(Entry::Jwks, &mut buf), Some((11, 5)));
        assert!(c.load(Entry::Discovery, &mut buf).is_none());
        c.store(Entry::Discovery, &[b'x'; 65], 6);
        assert!(c.load(Entry::Discovery, &mut buf).is_none());
        let mut tiny = [0u8; 2];
        assert!(c.load(Entry::Jwks, &mut tiny).is_none());
    }

    #[test]
    fn memory_cache_keeps_nonces_per_origin_bounded() {
        let c: MemoryCache<64> = MemoryCache::new();
        let mut buf = [0u8; 64];
        let load = |o: &str, buf: &mut [u8; 64]| {
            c.load_dpop_nonce(o, buf).map(|n| {
                heapless::String::<64>::try_from(core::str::from_utf8(&buf[..n]).unwrap()).unwrap()
            })
        };
        assert!(load("https://a", &mut buf).is_none());
        c.store_dpop_nonce("https://a", "n1");
        c.store_dpop_nonce("https://A", "n2");
        assert_eq!(
            load("https://a", &mut buf).unwrap(),
            "n2",
            "one slot per origin"
        );
        for o in ["https://b", "https://c", "https://d"] {
            c.store_dpop_nonce(o, "x");
        }
        // Reading a makes b the origin used longest ago: a fifth origin takes b's slot.
        assert!(load("https://a", &mut buf).is_some());
        c.store_dpop_nonce("https://e", "y");
        assert!(load("https://b", &mut buf).is_none());
        for o in ["https://a", "https://c", "https://d", "https://e"] {
            assert!(load(o, &mut buf).is_some(), "{o}");
        }
        // Too long to keep: not kept, nothing else lost.
        let long = [b'n'; 300];
        c.store_dpop_nonce("https://f", core::str::from_utf8(&long).unwrap());
        assert!(load("https://f", &mut buf).is_none());
        let mut tiny = [0u8; 1];
        assert!(c.load_dpop_nonce("https://a", &mut tiny).is_none());
    }

    #[test]
    fn memory_cache_nonce_origins_are_its_own_choice() {
        let one: MemoryCache<64, 1> = MemoryCache::new();
        let mut buf = [0u8; 64];
        one.store_dpop_nonce("https://a", "n1");
        one.store_dpop_nonce("https://b", "n2");
        assert!(one.load_dpop_nonce("https://a", &mut buf).is_none());
        assert_eq!(one.load_dpop_nonce("https://b", &mut buf), Some(2));
        let none: MemoryCache<64, 0> = MemoryCache::new();
        none.store_dpop_nonce("https://a", "n1");
        assert!(none.load_dpop_nonce("https://a", &mut buf).is_none());
        assert!(
            core::mem::size_of::<MemoryCache<64, 0>>() + 4 * 512
                < core::mem::size_of::<MemoryCache<64>>()
        );
    }
}
