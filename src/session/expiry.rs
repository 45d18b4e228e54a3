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
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            rolling: true,
            absolute_duration: 259_200,
            inactivity_duration: 86_400,
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
}
