//! [`ManualClock`]: virtual time that a test moves.

use crate::UnixTime;
use crate::runtime::Clock;
use core::cell::Cell;

/// A clock that stands still until the test moves it. Share it by reference (`&ManualClock`
/// is a [`Clock`]) or, with `alloc`, behind an `Rc`.
///
/// ```
/// use auth0_edge::{runtime::Clock, testing::ManualClock};
/// let clock = ManualClock::new(1_800_000_000);
/// clock.advance(60);
/// assert_eq!((&clock).now(), 1_800_000_060);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    now: Cell<UnixTime>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub const fn new(now: UnixTime) -> Self {
        ManualClock {
            now: Cell::new(now),
        }
    }

    /// Moves the clock `secs` seconds (backwards when negative).
    pub fn advance(&self, secs: i64) {
        self.now.set(self.now.get().saturating_add(secs));
    }

    /// Sets the clock to `now`.
    pub fn set(&self, now: UnixTime) {
        self.now.set(now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.now.get()
    }
}
