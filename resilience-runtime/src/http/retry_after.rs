//! `Retry-After` (RFC 9110, section 10.2.3) read into a delay: delay-seconds or an
//! HTTP-date.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::http::HeaderMap;
use ::http::header::RETRY_AFTER;

use super::calendar::{SECONDS_PER_DAY, civil_from_days};
use super::http_date;

/// The longest delay [`retry_after`] accepts: one year. A longer one (`Retry-After:
/// 99999999999`, a date in the year 9999) is not a plan to retry but a broken or hostile
/// header, so it is rejected rather than cut down. It is far below the longest duration the
/// crate's policies take
/// ([`MAX_DURATION`](resilience_syntax::rules::MAX_DURATION), about 584 years), so every
/// delay accepted here is one a policy can hold; `#[retry]` still caps the wait it takes
/// from a hint at its `max_delay`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(365 * 24 * 60 * 60);

const _: () = assert!(
    MAX_RETRY_AFTER.as_nanos() <= resilience_syntax::rules::MAX_DURATION.as_nanos(),
    "every accepted Retry-After must be a duration the policies take"
);

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// The delay that the response's `Retry-After` header asks for, counted from now
/// ([`SystemTime::now`]); `None` without one, or when it cannot be trusted.
///
/// Both forms of RFC 9110 are read:
///
/// - **delay-seconds**, `Retry-After: 120`: ASCII digits only, so no sign, fraction or
///   exponent (`-1`, `+5`, `1.5` and `1e3` are rejected), leading zeros allowed;
/// - **an HTTP-date** in any of the three formats (`Sun, 06 Nov 1994 08:49:37 GMT`, the
///   obsolete `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`): the time
///   from now until then, or [`Duration::ZERO`] for a date already past. The grammar is
///   followed exactly (names are case-sensitive, as RFC 9110 has them, and always `GMT`),
///   the date must exist (no February 30 or hour 24; second 60, a leap second, is
///   accepted), and a day name that does not match the date is tolerated, the date saying
///   which day is meant. An RFC 850 date's two-digit year is the one from 49 years before
///   the current year to 50 after it, RFC 9110's reading.
///
/// Spaces and tabs around the value are ignored. A value over [`MAX_RETRY_AFTER`] (one
/// year) is rejected. `Retry-After` is a field of one value: when a response carries it
/// several times, the delay is trusted only if every one of them reads to the same delay,
/// and otherwise `None` (ambiguous, so the retry keeps its own backoff). Nothing here
/// panics, whatever the bytes. A value that is present but rejected is logged at `debug`
/// under the target `resilience_runtime::retry`.
///
/// ```
/// use std::time::Duration;
/// use http::HeaderMap;
/// use http::header::RETRY_AFTER;
/// use resilience_runtime::http::retry_after;
///
/// let mut headers = HeaderMap::new();
/// assert_eq!(retry_after(&headers), None);
///
/// headers.insert(RETRY_AFTER, "120".parse().unwrap());
/// assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
///
/// headers.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
/// assert_eq!(retry_after(&headers), Some(Duration::ZERO)); // long past
///
/// headers.insert(RETRY_AFTER, "-5".parse().unwrap());
/// assert_eq!(retry_after(&headers), None);
/// ```
#[must_use]
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

/// [`retry_after`] with an HTTP-date counted from `now` instead of the current wall
/// clock: for tests, or to count from another clock (a response's own `Date`, say, when the
/// server's clock and this machine's disagree).
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use http::HeaderMap;
/// use http::header::RETRY_AFTER;
/// use resilience_runtime::http::retry_after_at;
///
/// // 1994-11-06 08:49:07 GMT, thirty seconds before the date in the header.
/// let now = UNIX_EPOCH + Duration::from_secs(784_111_747);
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
/// assert_eq!(retry_after_at(&headers, now), Some(Duration::from_secs(30)));
/// ```
#[must_use]
pub fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let mut values = headers.get_all(RETRY_AFTER).iter();
    let first = read_logged(values.next()?.as_bytes(), now)?;
    for other in values {
        if read_logged(other.as_bytes(), now)? != first {
            tracing::debug!(
                target: "resilience_runtime::retry",
                "ignoring Retry-After: the response gives it several times, not all the same"
            );
            return None;
        }
    }
    Some(first)
}

/// [`read`], with a `debug` event for a value that is there but not usable.
fn read_logged(value: &[u8], now: SystemTime) -> Option<Duration> {
    let delay = read(value, now);
    if delay.is_none() {
        tracing::debug!(
            target: "resilience_runtime::retry",
            value = %String::from_utf8_lossy(value),
            "ignoring a Retry-After that is neither delay-seconds nor an HTTP-date of at most a year"
        );
    }
    delay
}

/// One `Retry-After` value, as a delay from `now`.
fn read(value: &[u8], now: SystemTime) -> Option<Duration> {
    let value = trim_optional_whitespace(value);
    if value.first().is_some_and(u8::is_ascii_digit) {
        delay_seconds(value)
    } else {
        until_date(value, now)
    }
}

/// `value` without the spaces and tabs (HTTP's optional whitespace) around it.
fn trim_optional_whitespace(value: &[u8]) -> &[u8] {
    let is_ows = |byte: &u8| matches!(byte, b' ' | b'\t');
    let start = value.iter().position(|byte| !is_ows(byte));
    let end = value.iter().rposition(|byte| !is_ows(byte));
    match (start, end) {
        (Some(start), Some(end)) => &value[start..=end],
        _ => &[],
    }
}

/// `1*DIGIT` seconds, at most [`MAX_RETRY_AFTER`].
fn delay_seconds(value: &[u8]) -> Option<Duration> {
    let limit = MAX_RETRY_AFTER.as_secs();
    let mut seconds: u64 = 0;
    for byte in value {
        if !byte.is_ascii_digit() {
            return None;
        }
        seconds = seconds * 10 + u64::from(byte - b'0');
        // Checked at every digit, so a long run of digits can never overflow.
        if seconds > limit {
            return None;
        }
    }
    Some(Duration::from_secs(seconds))
}

/// The time from `now` until the HTTP-date `value`: zero if it has passed, `None` past
/// [`MAX_RETRY_AFTER`].
fn until_date(value: &[u8], now: SystemTime) -> Option<Duration> {
    let now = nanos_since_epoch(now);
    let today = i64::try_from(now.div_euclid(NANOS_PER_SECOND * i128::from(SECONDS_PER_DAY)))
        .unwrap_or_default();
    let (current_year, _, _) = civil_from_days(today);
    let date = i128::from(http_date::parse(value, current_year)?) * NANOS_PER_SECOND;
    let delay = (date - now).max(0);
    if delay > MAX_RETRY_AFTER.as_nanos().try_into().unwrap_or(i128::MAX) {
        return None;
    }
    u64::try_from(delay).ok().map(Duration::from_nanos)
}

/// `time` as nanoseconds from the epoch, negative before it.
fn nanos_since_epoch(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
    }
}

#[cfg(test)]
mod tests {
    use ::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    /// 1994-11-06 08:49:37 GMT, the instant of RFC 9110's example dates.
    const EXAMPLE: u64 = 784_111_777;

    fn seconds_after_epoch(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(RETRY_AFTER, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    fn at(value: &str, now: SystemTime) -> Option<Duration> {
        retry_after_at(&headers(&[value.as_bytes()]), now)
    }

    #[test]
    fn delay_seconds_are_digits_only() {
        let now = SystemTime::now();
        assert_eq!(at("120", now), Some(Duration::from_secs(120)));
        assert_eq!(at("0", now), Some(Duration::ZERO));
        assert_eq!(at("007", now), Some(Duration::from_secs(7)));
        assert_eq!(at("  120\t", now), Some(Duration::from_secs(120)));
        for value in [
            "-1", "+5", "1.5", "1e3", "12 0", "0x10", "", "   ", "120s", "١٢",
        ] {
            let value = HeaderValue::from_bytes(value.as_bytes());
            let Ok(value) = value else { continue };
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value.clone());
            assert_eq!(retry_after_at(&headers, now), None, "{value:?}");
        }
    }

    #[test]
    fn more_than_a_year_is_rejected_however_many_digits() {
        let now = SystemTime::now();
        let year = MAX_RETRY_AFTER.as_secs();
        assert_eq!(at(&year.to_string(), now), Some(MAX_RETRY_AFTER));
        assert_eq!(at(&(year + 1).to_string(), now), None);
        assert_eq!(at("18446744073709551616", now), None); // u64::MAX + 1
        assert_eq!(at(&"9".repeat(200), now), None);
        assert_eq!(
            at(&format!("{}1", "0".repeat(200)), now),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn a_date_is_a_delay_from_now_and_zero_once_past() {
        let now = seconds_after_epoch(EXAMPLE - 30);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(at(date, now), Some(Duration::from_secs(30)), "{date}");
            assert_eq!(
                at(date, seconds_after_epoch(EXAMPLE + 3600)),
                Some(Duration::ZERO),
                "{date}"
            );
        }
        // Sub-second precision of the clock is kept: 250ms before the date.
        let now = seconds_after_epoch(EXAMPLE) - Duration::from_millis(250);
        assert_eq!(
            at("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_millis(250))
        );
        // A clock before 1970 still counts.
        let now = UNIX_EPOCH - Duration::from_secs(10);
        assert_eq!(
            at("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::from_secs(10))
        );
    }

    #[test]
    fn a_date_more_than_a_year_ahead_is_rejected() {
        let now = seconds_after_epoch(EXAMPLE);
        // 365 days on, no February 29 between: exactly the longest accepted.
        assert_eq!(
            at("Mon, 06 Nov 1995 08:49:37 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(at("Mon, 06 Nov 1995 08:49:38 GMT", now), None);
        assert_eq!(at("Fri, 31 Dec 9999 23:59:59 GMT", now), None);
        assert_eq!(at("Mon, 30 Feb 1995 08:49:37 GMT", now), None);
    }

    #[test]
    fn a_two_digit_year_is_placed_around_the_current_year() {
        // In 2026, "76" is 2076 (too far ahead, rejected) and "77" is 1977 (past).
        let now = seconds_after_epoch(1_780_000_000); // 2026-05-28
        assert_eq!(at("Friday, 06-Nov-76 08:49:37 GMT", now), None);
        assert_eq!(
            at("Sunday, 06-Nov-77 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            at("Thursday, 28-May-26 20:26:40 GMT", now),
            Some(Duration::from_secs(0))
        );
        assert_eq!(
            at("Thursday, 28-May-26 20:27:40 GMT", now),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn repeated_headers_must_agree() {
        let now = seconds_after_epoch(EXAMPLE - 30);
        let agreeing = headers(&[b"30", b"Sun, 06 Nov 1994 08:49:37 GMT", b" 30 "]);
        assert_eq!(
            retry_after_at(&agreeing, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after_at(&headers(&[b"30", b"31"]), now), None);
        assert_eq!(retry_after_at(&headers(&[b"30", b"soon"]), now), None);
        assert_eq!(retry_after_at(&headers(&[b"soon", b"30"]), now), None);
        assert_eq!(retry_after_at(&HeaderMap::new(), now), None);
    }

    #[test]
    fn bytes_outside_ascii_are_rejected() {
        let now = SystemTime::now();
        assert_eq!(retry_after_at(&headers(&[b"\xff120"]), now), None);
        assert_eq!(retry_after_at(&headers(&[b"12\x800"]), now), None);
    }

    #[test]
    fn a_date_is_counted_from_the_wall_clock() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let tomorrow = i64::try_from(now + 86_400).unwrap();
        let day = Duration::from_secs(86_400);
        for text in written(tomorrow) {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, text.parse().unwrap());
            let delay = retry_after(&headers).expect("a day ahead");
            // Between reading the clock above and in retry_after, at most an hour passes.
            assert!(
                delay <= day && delay > day - Duration::from_secs(3600),
                "{delay:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            values in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..48), 1..4),
            now in any::<i64>(),
        ) {
            let mut headers = HeaderMap::new();
            for value in &values {
                if let Ok(value) = HeaderValue::from_bytes(value) {
                    headers.append(RETRY_AFTER, value);
                }
            }
            if let Some(delay) = retry_after_at(&headers, clock_at(now)) {
                prop_assert!(delay <= MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn date_shaped_text_never_panics(
            text in "[A-Za-z]{3,9},? [0-9 ]{1,3}[- ][A-Za-z]{3}[- ][0-9]{2,5} [0-9]{2}:[0-9]{2}:[0-9]{2}( GMT| [0-9]{4})?",
            now in prop_oneof![any::<i64>(), -100_000_000_000_i64..300_000_000_000],
        ) {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(&text).unwrap());
            if let Some(delay) = retry_after_at(&headers, clock_at(now)) {
                prop_assert!(delay <= MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn every_second_written_as_any_format_reads_back(
            date in 0_i64..253_402_300_800,
            ahead in 0_u64..=MAX_RETRY_AFTER.as_secs(),
        ) {
            let now = seconds_after_epoch(date.unsigned_abs()) - Duration::from_secs(ahead);
            for text in written(date) {
                let mut headers = HeaderMap::new();
                headers.insert(RETRY_AFTER, HeaderValue::from_str(&text).unwrap());
                prop_assert_eq!(retry_after_at(&headers, now), Some(Duration::from_secs(ahead)), "{}", text);
            }
        }
    }

    /// The wall clock at `seconds` from the epoch, or as far as `SystemTime` goes that way.
    fn clock_at(seconds: i64) -> SystemTime {
        let offset = Duration::from_secs(seconds.unsigned_abs());
        let time = if seconds >= 0 {
            UNIX_EPOCH.checked_add(offset)
        } else {
            UNIX_EPOCH.checked_sub(offset)
        };
        time.unwrap_or(UNIX_EPOCH)
    }

    /// `seconds` written in the three formats (RFC 850's year by its last two digits).
    fn written(seconds: i64) -> Vec<String> {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const LONG_DAYS: [&str; 7] = [
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
        ];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let time = seconds.rem_euclid(SECONDS_PER_DAY);
        let (hour, minute, second) = (time / 3600, time / 60 % 60, time % 60);
        let (year, month, day) = civil_from_days(days);
        let weekday = usize::try_from(days.rem_euclid(7)).unwrap();
        let month = MONTHS[month as usize - 1];
        let clock = format!("{hour:02}:{minute:02}:{second:02}");
        let mut texts = vec![
            format!("{}, {day:02} {month} {year:04} {clock} GMT", DAYS[weekday]),
            format!("{} {month} {day:>2} {clock} {year:04}", DAYS[weekday]),
        ];
        texts.push(format!(
            "{}, {day:02}-{month}-{:02} {clock} GMT",
            LONG_DAYS[weekday],
            year % 100
        ));
        texts
    }
}
