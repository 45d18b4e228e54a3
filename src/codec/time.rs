//! Time as the core sees it: Unix seconds passed in by the caller, and the HTTP date format
//! (RFC 9110 §5.6.7, IMF-fixdate) used by the `Expires` cookie attribute.

use core::fmt;

/// Seconds since the Unix epoch, as the runtimes' `Clock` returns them.
pub type UnixTime = i64;

/// A Unix time displayed as an IMF-fixdate, e.g. `Sat, 28 Nov 2026 23:00:48 GMT`.
///
/// ```
/// use auth0_edge::codec::time::HttpDate;
/// let mut buf = [0u8; 32];
/// let s = auth0_edge::codec::buf::display(&mut buf, &HttpDate(1_795_906_848))?;
/// assert_eq!(s, "Sat, 28 Nov 2026 23:00:48 GMT");
/// # Ok::<(), auth0_edge::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::exhaustive_structs)] // a newtype over the time
pub struct HttpDate(pub UnixTime);

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            DAYS[days.rem_euclid(7) as usize],
            d,
            MONTHS[(m - 1) as usize],
            y,
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// Converts days since 1970-01-01 into a proleptic Gregorian (year, month, day)
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(t: i64) -> heapless::String<40> {
        let mut s = heapless::String::new();
        fmt::write(&mut s, format_args!("{}", HttpDate(t))).unwrap();
        s
    }

    #[test]
    fn known_dates() {
        assert_eq!(show(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(show(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(show(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT");
        assert_eq!(show(1_795_906_848), "Sat, 28 Nov 2026 23:00:48 GMT");
        assert_eq!(show(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
    }
}
