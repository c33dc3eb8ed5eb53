//! The three HTTP-date formats of RFC 9110 (section 5.6.7), read into seconds since
//! 1970-01-01 00:00:00 GMT:
//!
//! | format | example |
//! |---|---|
//! | IMF-fixdate (what servers send) | `Sun, 06 Nov 1994 08:49:37 GMT` |
//! | RFC 850 (obsolete) | `Sunday, 06-Nov-94 08:49:37 GMT` |
//! | asctime (obsolete) | `Sun Nov  6 08:49:37 1994` |
//!
//! The grammar is followed exactly: names are case-sensitive, as RFC 9110 says HTTP-dates
//! are, separators are single spaces, and every field has its fixed width. A date that does
//! not exist (February 30, hour 24, minute 60) is rejected; second 60 is accepted, as the
//! grammar allows for a leap second, and read as the first second of the next minute. The
//! day name must be one of the seven, but a name that does not match the date is
//! tolerated: the date itself says which day is meant, and the name adds nothing to it.

use super::calendar::{SECONDS_PER_DAY, days_from_civil, days_in_month};

const DAY_NAMES: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const LONG_DAY_NAMES: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTH_NAMES: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// The seconds since 1970-01-01 00:00:00 GMT (negative before it) that `text`, an HTTP-date
/// in any of the three formats, stands for; `None` for anything else.
///
/// `current_year` places an RFC 850 date's two-digit year: RFC 9110 reads a year that would
/// be more than 50 years in the future as the latest past year with the same last two
/// digits, so the year taken is the one with those digits among the 49 years before
/// `current_year`, `current_year` itself and the 50 after it.
pub(super) fn parse(text: &[u8], current_year: i64) -> Option<i64> {
    let mut cursor = Cursor { rest: text };
    let stamp = if cursor.name(&LONG_DAY_NAMES).is_some() {
        rfc850(&mut cursor, current_year)?
    } else {
        cursor.name(&DAY_NAMES)?;
        if cursor.literal(b", ") {
            imf_fixdate(&mut cursor)?
        } else {
            asctime(&mut cursor)?
        }
    };
    cursor.rest.is_empty().then_some(())?;
    stamp.seconds()
}

/// `DD Mon YYYY HH:MM:SS GMT`, after `Sun, `.
fn imf_fixdate(cursor: &mut Cursor<'_>) -> Option<Stamp> {
    let day = cursor.digits(2)?;
    cursor.literal(b" ").then_some(())?;
    let month = cursor.month()?;
    cursor.literal(b" ").then_some(())?;
    let year = i64::from(cursor.digits(4)?);
    cursor.literal(b" ").then_some(())?;
    let time = cursor.time_of_day()?;
    cursor.literal(b" GMT").then_some(())?;
    Some(Stamp::new(year, month, day, time))
}

/// `, DD-Mon-YY HH:MM:SS GMT`, after `Sunday`.
fn rfc850(cursor: &mut Cursor<'_>, current_year: i64) -> Option<Stamp> {
    cursor.literal(b", ").then_some(())?;
    let day = cursor.digits(2)?;
    cursor.literal(b"-").then_some(())?;
    let month = cursor.month()?;
    cursor.literal(b"-").then_some(())?;
    let two_digits = i64::from(cursor.digits(2)?);
    cursor.literal(b" ").then_some(())?;
    let time = cursor.time_of_day()?;
    cursor.literal(b" GMT").then_some(())?;
    let earliest = current_year - 49;
    let year = earliest + (two_digits - earliest).rem_euclid(100);
    Some(Stamp::new(year, month, day, time))
}

/// ` Mon DD HH:MM:SS YYYY` (the day as two digits or a space and one), after `Sun`.
fn asctime(cursor: &mut Cursor<'_>) -> Option<Stamp> {
    cursor.literal(b" ").then_some(())?;
    let month = cursor.month()?;
    cursor.literal(b" ").then_some(())?;
    let day = if cursor.literal(b" ") {
        cursor.digits(1)?
    } else {
        cursor.digits(2)?
    };
    cursor.literal(b" ").then_some(())?;
    let time = cursor.time_of_day()?;
    cursor.literal(b" ").then_some(())?;
    let year = i64::from(cursor.digits(4)?);
    Some(Stamp::new(year, month, day, time))
}

/// A date and time of day as written, not yet checked.
struct Stamp {
    year: i64,
    month: u32,
    day: u32,
    time: (u32, u32, u32),
}

impl Stamp {
    const fn new(year: i64, month: u32, day: u32, time: (u32, u32, u32)) -> Self {
        Self {
            year,
            month,
            day,
            time,
        }
    }

    /// Seconds since the epoch, if the date and time exist.
    fn seconds(&self) -> Option<i64> {
        let (hour, minute, second) = self.time;
        let exists = (1..=days_in_month(self.year, self.month)).contains(&self.day)
            && hour < 24
            && minute < 60
            && second <= 60;
        exists.then_some(())?;
        let days = days_from_civil(self.year, self.month, self.day);
        let time = i64::from(hour * 3600 + minute * 60 + second);
        // Checked: an RFC 850 year placed around a far-off clock can be far off too.
        days.checked_mul(SECONDS_PER_DAY)?.checked_add(time)
    }
}

/// What is left of the text being read.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    /// Consumes `expected` if the text goes on with it.
    fn literal(&mut self, expected: &[u8]) -> bool {
        match self.rest.strip_prefix(expected) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// Consumes one of `names`, answering its index.
    fn name(&mut self, names: &[&[u8]]) -> Option<usize> {
        let index = names.iter().position(|name| self.rest.starts_with(name))?;
        self.rest = &self.rest[names[index].len()..];
        Some(index)
    }

    /// A month's name, as its number from 1.
    fn month(&mut self) -> Option<u32> {
        let index = self.name(&MONTH_NAMES)?;
        u32::try_from(index + 1).ok()
    }

    /// Exactly `count` ASCII digits (at most 4, so the value fits).
    fn digits(&mut self, count: usize) -> Option<u32> {
        let digits = self.rest.get(..count)?;
        digits.iter().all(u8::is_ascii_digit).then_some(())?;
        self.rest = &self.rest[count..];
        Some(
            digits
                .iter()
                .fold(0, |value, digit| value * 10 + u32::from(digit - b'0')),
        )
    }

    /// `HH:MM:SS`.
    fn time_of_day(&mut self) -> Option<(u32, u32, u32)> {
        let hour = self.digits(2)?;
        self.literal(b":").then_some(())?;
        let minute = self.digits(2)?;
        self.literal(b":").then_some(())?;
        let second = self.digits(2)?;
        Some((hour, minute, second))
    }
}

#[cfg(test)]
mod tests {
    use super::super::calendar::civil_from_days;
    use super::*;

    /// RFC 9110's example instant, 1994-11-06 08:49:37 GMT.
    const EXAMPLE: i64 = 784_111_777;

    fn at(text: &str) -> Option<i64> {
        parse(text.as_bytes(), 2026)
    }

    #[test]
    fn the_three_formats_of_rfc_9110() {
        assert_eq!(at("Sun, 06 Nov 1994 08:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(at("Sunday, 06-Nov-94 08:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(at("Sun Nov  6 08:49:37 1994"), Some(EXAMPLE));
        assert_eq!(at("Sun Nov 06 08:49:37 1994"), Some(EXAMPLE));
        assert_eq!(at("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(at("Wed, 31 Dec 1969 23:59:59 GMT"), Some(-1));
        assert_eq!(at("Fri Dec 31 23:59:59 9999"), Some(253_402_300_799));
    }

    #[test]
    fn two_digit_years_lie_within_49_years_back_and_50_ahead() {
        let year = |text: &str, current_year| {
            let seconds = parse(text.as_bytes(), current_year).expect("a date");
            civil_from_days(seconds.div_euclid(SECONDS_PER_DAY)).0
        };
        assert_eq!(year("Sunday, 06-Nov-94 08:49:37 GMT", 2026), 1994);
        assert_eq!(year("Monday, 06-Nov-76 08:49:37 GMT", 2026), 2076);
        assert_eq!(year("Monday, 06-Nov-77 08:49:37 GMT", 2026), 1977);
        assert_eq!(year("Monday, 06-Nov-26 08:49:37 GMT", 2026), 2026);
        assert_eq!(year("Monday, 06-Nov-10 08:49:37 GMT", 2090), 2110);
        assert_eq!(year("Monday, 06-Nov-41 08:49:37 GMT", 2090), 2041);
        assert_eq!(year("Monday, 06-Nov-00 08:49:37 GMT", 1999), 2000);
    }

    #[test]
    fn dates_that_do_not_exist_are_rejected() {
        assert_eq!(at("Mon, 30 Feb 2026 00:00:00 GMT"), None);
        assert_eq!(at("Mon, 29 Feb 2026 00:00:00 GMT"), None);
        assert!(at("Thu, 29 Feb 2024 00:00:00 GMT").is_some());
        assert_eq!(at("Mon, 00 Jan 2026 00:00:00 GMT"), None);
        assert_eq!(at("Mon, 31 Apr 2026 00:00:00 GMT"), None);
        assert_eq!(at("Mon, 01 Jan 2026 24:00:00 GMT"), None);
        assert_eq!(at("Mon, 01 Jan 2026 23:60:00 GMT"), None);
        assert_eq!(at("Mon, 01 Jan 2026 23:59:61 GMT"), None);
        assert_eq!(at("Sun Nov  0 08:49:37 1994"), None);
    }

    #[test]
    fn a_leap_second_is_the_next_minute_and_a_wrong_day_name_is_tolerated() {
        assert_eq!(
            at("Sun, 06 Nov 1994 08:49:60 GMT"),
            at("Sun, 06 Nov 1994 08:50:00 GMT")
        );
        assert_eq!(at("Fri, 06 Nov 1994 08:49:37 GMT"), Some(EXAMPLE));
        assert_eq!(at("Friday, 06-Nov-94 08:49:37 GMT"), Some(EXAMPLE));
    }

    #[test]
    fn anything_off_the_grammar_is_rejected() {
        for text in [
            "",
            "Sun",
            "Sun,",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sun, 06 Nov 1994 08:49:37",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 1994 08:49:37 GMTx",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov  6 08:49:37 1994 GMT",
            "Sund, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:4a:37 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
        ] {
            assert_eq!(at(text), None, "{text:?}");
        }
    }
}
