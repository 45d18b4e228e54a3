//! The runtime clock: Unix time from embassy-time's monotonic clock plus an offset the
//! application sets, and [`Clock::sleep`] on embassy-time's timer.
//!
//! A device has no calendar time of its own at boot. Until the application calls
//! [`EmbassyClock::set_unix_time`] (from SNTP, a real-time clock, a trusted server's `Date`
//! header…), [`Clock::now`] is the seconds since boot, so every certificate looks
//! [not valid yet](crate::runtime::CertificateError::NotYetValid) and every token expired:
//! a wrong clock fails closed. Set it again whenever a better time arrives; the monotonic
//! clock keeps it running in between.

use crate::UnixTime;
use crate::runtime::Clock;
use core::cell::Cell;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::{Instant, Timer};

/// Unix time from embassy-time's monotonic clock plus an offset (see the [module docs](self)).
/// `Sync`, so it can be a `static`.
///
/// ```
/// use auth0_edge::embassy::EmbassyClock;
/// use auth0_edge::runtime::Clock;
/// static CLOCK: EmbassyClock = EmbassyClock::new();
/// # #[cfg(feature = "embassy-host")] {
/// assert!(!CLOCK.is_set());
/// CLOCK.set_unix_time(1_800_000_000);
/// assert!(CLOCK.is_set() && CLOCK.now() >= 1_800_000_000);
/// # }
/// ```
#[derive(Debug)]
pub struct EmbassyClock {
    /// Unix seconds at boot, once set.
    offset: Mutex<CriticalSectionRawMutex, Cell<Option<i64>>>,
}

impl Default for EmbassyClock {
    fn default() -> Self {
        Self::new()
    }
}

impl EmbassyClock {
    /// A clock not set yet: [`Clock::now`] is the seconds since boot.
    pub const fn new() -> Self {
        EmbassyClock {
            offset: Mutex::new(Cell::new(None)),
        }
    }

    /// Sets the current Unix time to `unix_now` seconds.
    pub fn set_unix_time(&self, unix_now: UnixTime) {
        let since_boot = i64::try_from(Instant::now().as_secs()).unwrap_or(i64::MAX);
        self.offset
            .lock(|o| o.set(Some(unix_now.saturating_sub(since_boot))));
    }

    /// Whether [`EmbassyClock::set_unix_time`] was called.
    pub fn is_set(&self) -> bool {
        self.offset.lock(|o| o.get().is_some())
    }
}

impl Clock for EmbassyClock {
    fn now(&self) -> UnixTime {
        let offset = self.offset.lock(|o| o.get().unwrap_or(0));
        let since_boot = i64::try_from(Instant::now().as_secs()).unwrap_or(i64::MAX);
        offset.saturating_add(since_boot)
    }

    async fn sleep(&self, millis: u64) {
        Timer::after_millis(millis).await
    }
}
