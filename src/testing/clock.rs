//! [`ManualClock`]: virtual time that a test moves.

use crate::UnixTime;
use crate::runtime::Clock;
use core::cell::Cell;

/// A clock that stands still until the test moves it, counting milliseconds; a
/// [`Clock::sleep`] moves it forward by the time asked (virtual time) and is recorded. Share it
/// by reference (`&ManualClock` is a [`Clock`]) or, with `alloc`, behind an `Rc`.
///
/// ```
/// use auth0_edge::{runtime::Clock, testing::{ManualClock, block_on}};
/// let clock = ManualClock::new(1_800_000_000);
/// clock.advance(60);
/// block_on((&clock).sleep(1_500));
/// assert_eq!(((&clock).now(), clock.slept_millis(), clock.sleeps()), (1_800_000_061, 1_500, 1));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    now_millis: Cell<i64>,
    slept_millis: Cell<u64>,
    sleeps: Cell<u32>,
    last_sleep: Cell<u64>,
}

impl ManualClock {
    /// A clock showing `now` (Unix seconds).
    pub const fn new(now: UnixTime) -> Self {
        ManualClock {
            now_millis: Cell::new(now.saturating_mul(1000)),
            slept_millis: Cell::new(0),
            sleeps: Cell::new(0),
            last_sleep: Cell::new(0),
        }
    }

    /// Moves the clock `secs` seconds (backwards when negative).
    pub fn advance(&self, secs: i64) {
        self.advance_millis(secs.saturating_mul(1000));
    }

    /// Moves the clock `millis` milliseconds.
    pub fn advance_millis(&self, millis: i64) {
        self.now_millis
            .set(self.now_millis.get().saturating_add(millis));
    }

    /// Sets the clock to `now` (Unix seconds).
    pub fn set(&self, now: UnixTime) {
        self.now_millis.set(now.saturating_mul(1000));
    }

    /// The time in milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        self.now_millis.get()
    }

    /// How long the flows have slept in all, in milliseconds.
    pub fn slept_millis(&self) -> u64 {
        self.slept_millis.get()
    }

    /// How many times the flows have slept.
    pub fn sleeps(&self) -> u32 {
        self.sleeps.get()
    }

    /// How long the last sleep was, in milliseconds.
    pub fn last_sleep_millis(&self) -> u64 {
        self.last_sleep.get()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.now_millis.get().div_euclid(1000)
    }

    async fn sleep(&self, millis: u64) {
        self.advance_millis(i64::try_from(millis).unwrap_or(i64::MAX));
        self.slept_millis
            .set(self.slept_millis.get().saturating_add(millis));
        self.sleeps.set(self.sleeps.get().saturating_add(1));
        self.last_sleep.set(millis);
    }
}
