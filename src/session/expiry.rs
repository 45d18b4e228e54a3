//! Session lifetime: rolling, absolute and inactivity durations (`session.*` of the SDK).

use super::*;

/// The session lifetime settings (`session.rolling`, `absoluteDuration`, `inactivityDuration`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // built with a struct literal over its `Default`
pub struct Durations {
    /// Whether each request extends the session (default true).
    pub rolling: bool,
    /// Seconds from login after which the session ends regardless (default 3 days).
    pub absolute_duration: u64,
    /// Seconds of inactivity after which a rolling session ends (default 1 day).
    pub inactivity_duration: u64,
    /// Beyond the SDK: a rolling touch re-seals the cookie only when the new expiry is at
    /// least this many seconds later than the cookie's (default [`DEFAULT_ROLLING_THRESHOLD`],
    /// so a session's expiry stays within a minute of the SDK's). `0` re-seals on every
    /// response, as the SDK does. Writes that change the session always happen.
    pub rolling_threshold: u64,
}

/// The default [`Durations::rolling_threshold`]: 60 seconds.
pub const DEFAULT_ROLLING_THRESHOLD: u64 = 60;

impl Default for Durations {
    fn default() -> Self {
        Durations {
            rolling: true,
            absolute_duration: 259_200,
            inactivity_duration: 86_400,
            rolling_threshold: DEFAULT_ROLLING_THRESHOLD,
        }
    }
}

impl Durations {
    /// The cookie `Max-Age` (and `exp - now`) for a write at `now`, as the SDK computes it:
    /// `absoluteDuration` when not rolling; otherwise
    /// `min(now + inactivityDuration, createdAt + absoluteDuration) - now`, at least 0, and 0
    /// when `createdAt` is missing.
    pub fn max_age(&self, created_at: Option<i64>, now: UnixTime) -> u64 {
        if !self.rolling {
            return self.absolute_duration;
        }
        let Some(created_at) = created_at else {
            return 0;
        };
        let expires_at = now
            .saturating_add(i64::try_from(self.inactivity_duration).unwrap_or(i64::MAX))
            .min(
                created_at
                    .saturating_add(i64::try_from(self.absolute_duration).unwrap_or(i64::MAX)),
            );
        expires_at.saturating_sub(now).max(0).unsigned_abs()
    }

    /// Whether a rolling touch at `now` re-seals a session created at `created_at` whose
    /// cookie expires at `cookie_exp`: rolling is on, and the new expiry is at least
    /// [`Durations::rolling_threshold`] later (always, with a threshold of 0 or an unknown
    /// cookie expiry).
    ///
    /// ```
    /// use auth0_edge::session::Durations;
    /// let d = Durations::default(); // inactivity 1 day, threshold 60 s
    /// let now = 1_000_000;
    /// assert!(!d.roll_due(Some(now + 86_400 - 30), Some(now - 10), now)); // 30 s later: not yet
    /// assert!(d.roll_due(Some(now + 86_400 - 60), Some(now - 10), now));
    /// assert!(Durations { rolling_threshold: 0, ..d }.roll_due(Some(now + 86_400), Some(now), now));
    /// ```
    pub fn roll_due(
        &self,
        cookie_exp: Option<i64>,
        created_at: Option<i64>,
        now: UnixTime,
    ) -> bool {
        if !self.rolling {
            return false;
        }
        let Some(cookie_exp) = cookie_exp.filter(|_| self.rolling_threshold > 0) else {
            return true;
        };
        let max_age = i64::try_from(self.max_age(created_at, now)).unwrap_or(i64::MAX);
        let later = now.saturating_add(max_age).saturating_sub(cookie_exp);
        later >= i64::try_from(self.rolling_threshold).unwrap_or(i64::MAX)
    }
}
