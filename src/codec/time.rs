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
        let day = DAYS[days.rem_euclid(7) as usize];
        let month = MONTHS[(m - 1) as usize];
        if !(0..=9999).contains(&y) {
            return write!(
                f,
                "{day}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            );
        }
        // The fixed 29 bytes written at once (a `Set-Cookie` with `Expires` is on every
        // session write): no formatting machinery per field.
        let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        let digits = |out: &mut [u8], mut v: i64| {
            for b in out.iter_mut().rev() {
                *b = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        out[..3].copy_from_slice(day.as_bytes());
        digits(&mut out[5..7], d);
        out[8..11].copy_from_slice(month.as_bytes());
        digits(&mut out[12..16], y);
        digits(&mut out[17..19], secs / 3600);
        digits(&mut out[20..22], secs / 60 % 60);
        digits(&mut out[23..25], secs % 60);
        f.write_str(core::str::from_utf8(&out).map_err(|_| fmt::Error)?)
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
        assert_eq!(show(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
        // Beyond four-digit years, the long form.
        assert_eq!(show(253_402_300_800), "Sat, 01 Jan 10000 00:00:00 GMT");
        assert_eq!(show(-62_167_219_201), "Fri, 31 Dec -001 23:59:59 GMT");
    }

    #[test]
    fn every_day_of_a_leap_cycle_matches_the_long_form() {
        for t in (0..146_097 * 86_400i64).step_by(86_400 * 7 + 3_661) {
            let days = t.div_euclid(86_400);
            let secs = t.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            let mut want: heapless::String<40> = heapless::String::new();
            fmt::write(
                &mut want,
                format_args!(
                    "{d:02} {m} {y:04} {:02}:{:02}:{:02} GMT",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                ),
            )
            .unwrap();
            let got = show(t);
            let (date, _) = want.split_once(' ').unwrap();
            assert_eq!(&got[5..7], date, "{t}");
            assert!(
                got.ends_with(&want[want.len() - 17..]),
                "{t}: {got} vs {want}"
            );
        }
    }
}
