//! Duration strings: `"250ms"`, `"2s"`, `"1m30s"`, `"1h"`.

use std::time::Duration;

/// What a duration looks like, for error messages.
pub const DURATION_EXPECTED: &str =
    "expected a duration string such as \"250ms\", \"2s\" or \"1m30s\"";

const UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

/// Common spellings that are not units, and the unit they mean.
const ALIASES: &[(&str, &str)] = &[
    ("sec", "s"),
    ("secs", "s"),
    ("second", "s"),
    ("seconds", "s"),
    ("msec", "ms"),
    ("msecs", "ms"),
    ("millis", "ms"),
    ("milliseconds", "ms"),
    ("mins", "m"),
    ("minute", "m"),
    ("minutes", "m"),
    ("hr", "h"),
    ("hrs", "h"),
    ("hour", "h"),
    ("hours", "h"),
    ("day", "d"),
    ("days", "d"),
    ("micros", "us"),
    ("nanos", "ns"),
];

/// The message for a bare number where a duration string was expected, e.g. `500`: durations
/// always carry a unit.
#[must_use]
pub fn duration_without_unit(number: &str) -> String {
    format!("durations are strings with a unit: did you mean \"{number}ms\"?")
}

/// Parses a duration made of one or more `<number><unit>` parts, e.g. `"1m30s"`.
///
/// Each number may have a decimal part (`"1.5s"`); the parts add up exactly, to the
/// nanosecond. The error says what is wrong and, where it can, what was meant.
///
/// # Errors
///
/// A message such as `missing unit in duration "500"; did you mean "500ms" or "500s"?`.
///
/// ```
/// use resilience_syntax::parse_duration;
/// use std::time::Duration;
///
/// assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("5sec").unwrap_err().contains("did you mean \"5s\""));
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.trim().is_empty() {
        return Err(format!("empty duration; {DURATION_EXPECTED}"));
    }
    if text.trim_start().starts_with('-') {
        // The same duration without its sign, when that is one.
        let positive = text
            .trim()
            .trim_start_matches('-')
            .replace(char::is_whitespace, "");
        let or_positive = if parse_duration(&positive).is_ok() {
            format!(" or \"{positive}\"")
        } else {
            String::new()
        };
        return Err(format!(
            "negative durations are not allowed: \"{text}\"; a duration is zero or more, such as \"0s\"{or_positive}"
        ));
    }
    if text.contains(char::is_whitespace) {
        let compact = text.replace(char::is_whitespace, "");
        return Err(format!(
            "unexpected whitespace in duration \"{text}\"; write it as \"{}\"",
            corrected(&compact)
        ));
    }
    let mut total: u128 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        if number.is_empty() {
            return Err(format!(
                "expected a number in duration \"{text}\" before \"{after}\""
            ));
        }
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!(
                "missing unit in duration \"{text}\"; did you mean \"{text}ms\" or \"{text}s\"?"
            ));
        }
        let Some((_, nanos_per_unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            let known = UNITS.iter().map(|(name, _)| *name).collect::<Vec<_>>();
            let suggestion = ALIASES
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(unit))
                .map(|(_, unit)| *unit)
                .or_else(|| crate::did_you_mean(unit, &known));
            return Err(match suggestion {
                Some(close) => format!(
                    "unknown unit \"{unit}\" in duration \"{text}\"; did you mean \"{}\"?",
                    text.replacen(unit, close, 1)
                ),
                None => format!(
                    "unknown unit \"{unit}\" in duration \"{text}\"; expected one of ns, us, ms, s, m, h, d"
                ),
            });
        };
        let part = match part_nanos(number, *nanos_per_unit) {
            Part::Nanos(nanos) => nanos,
            Part::Invalid => {
                return Err(format!(
                    "invalid number \"{number}\" in duration \"{text}\""
                ));
            }
            Part::TooLarge => return Err(too_large(text)),
        };
        total = total
            .checked_add(part)
            .filter(|total| *total <= MAX_NANOS)
            .ok_or_else(|| too_large(text))?;
        rest = next;
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| too_large(text))?;
    #[allow(clippy::cast_possible_truncation)] // the remainder is below 10^9
    let nanos = (total % 1_000_000_000) as u32;
    Ok(Duration::new(secs, nanos))
}

/// `text` (without whitespace) with each unit alias replaced by its unit, as the unknown-unit
/// message suggests: `"30sec"` becomes `"30s"`, `"1min30secs"` becomes `"1min30s"`. Text whose
/// mistake is not a unit alias comes back as it is.
fn corrected(text: &str) -> String {
    let mut text = text.to_owned();
    // Each round fixes one unit; a duration has few parts, so the bound is never reached by
    // text that can be corrected.
    for _ in 0..UNITS.len() {
        let Err(message) = parse_duration(&text) else {
            break;
        };
        let Some(suggested) = message
            .strip_prefix("unknown unit ")
            .and_then(|rest| rest.split_once("did you mean \""))
            .and_then(|(_, rest)| rest.strip_suffix("\"?"))
        else {
            break;
        };
        text = suggested.to_owned();
    }
    text
}

/// The most nanoseconds a [`Duration`] holds: `Duration::MAX`.
const MAX_NANOS: u128 = Duration::MAX.as_nanos();

fn too_large(text: &str) -> String {
    format!(
        "duration \"{text}\" is too large; the largest is {}",
        format_duration(Duration::MAX)
    )
}

/// One `<number><unit>` part of a duration, in nanoseconds.
enum Part {
    Nanos(u128),
    /// Not a number: `"."`, `"1.2.3"`.
    Invalid,
    /// More than a [`Duration`] holds.
    TooLarge,
}

/// `number` (integer or decimal) times `unit` nanoseconds, exactly; digits below a
/// nanosecond are dropped.
fn part_nanos(number: &str, unit: u64) -> Part {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Part::Invalid;
    }
    // `number` holds only ASCII digits and dots, so a whole part that does not parse is too
    // long for a u128.
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        match whole.parse() {
            Ok(whole) => whole,
            Err(_) => return Part::TooLarge,
        }
    };
    let Some(mut nanos) = whole
        .checked_mul(u128::from(unit))
        .filter(|nanos| *nanos <= MAX_NANOS)
    else {
        return Part::TooLarge;
    };
    let mut scale = u128::from(unit);
    for digit in fraction.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        nanos += u128::from(digit - b'0') * scale;
    }
    if nanos <= MAX_NANOS {
        Part::Nanos(nanos)
    } else {
        Part::TooLarge
    }
}

/// The canonical text of `duration` in the grammar [`parse_duration`] reads: hours, minutes,
/// seconds, milliseconds, microseconds and nanoseconds, each part only when not zero
/// (`"1h30m"`, `"1s500ms"`, `"0s"`). Parsing it gives back exactly `duration`.
///
/// ```
/// use resilience_syntax::{format_duration, parse_duration};
/// use std::time::Duration;
///
/// assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
/// assert_eq!(format_duration(Duration::from_micros(1_500)), "1ms500us");
/// assert_eq!(format_duration(Duration::ZERO), "0s");
/// let odd = Duration::new(86_461, 7);
/// assert_eq!(parse_duration(&format_duration(odd)), Ok(odd));
/// ```
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    let mut text = String::new();
    // Writing to a `String` cannot fail.
    let _ = write_duration(&mut text, duration);
    text
}

/// Writes `duration` as [`format_duration`] shows it, without allocating (for `Display`
/// impls).
///
/// # Errors
///
/// Only `out`'s own.
pub fn write_duration(out: &mut impl std::fmt::Write, duration: Duration) -> std::fmt::Result {
    if duration.is_zero() {
        return out.write_str("0s");
    }
    let secs = duration.as_secs();
    let nanos = duration.subsec_nanos();
    let parts = [
        (secs / 3600, "h"),
        (secs % 3600 / 60, "m"),
        (secs % 60, "s"),
        (u64::from(nanos / 1_000_000), "ms"),
        (u64::from(nanos / 1_000 % 1_000), "us"),
        (u64::from(nanos % 1_000), "ns"),
    ];
    for (value, unit) in parts {
        if value != 0 {
            write!(out, "{value}{unit}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn rejects_with_helpful_messages() {
        assert!(
            parse_duration("500")
                .unwrap_err()
                .contains("did you mean \"500ms\"")
        );
        assert!(
            parse_duration("5sec")
                .unwrap_err()
                .contains("did you mean \"5s\"")
        );
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(
            parse_duration("ms")
                .unwrap_err()
                .contains("expected a number")
        );
        assert!(parse_duration("5 s").unwrap_err().contains("whitespace"));
        assert!(
            parse_duration("5 s")
                .unwrap_err()
                .contains("write it as \"5s\"")
        );
        assert_eq!(
            parse_duration("30 sec"),
            Err(String::from(
                "unexpected whitespace in duration \"30 sec\"; write it as \"30s\""
            ))
        );
        assert!(
            parse_duration("1 min 30 secs")
                .unwrap_err()
                .contains("write it as \"1min30s\"")
        );
        assert_eq!(
            parse_duration("-1s"),
            Err(String::from(
                "negative durations are not allowed: \"-1s\"; a duration is zero or more, such as \"0s\" or \"1s\""
            ))
        );
        assert!(
            parse_duration(" -250 ms")
                .unwrap_err()
                .ends_with("such as \"0s\" or \"250ms\"")
        );
        assert!(
            parse_duration("-x")
                .unwrap_err()
                .ends_with("a duration is zero or more, such as \"0s\"")
        );
        assert!(parse_duration("1..5s").is_err());
        assert!(
            parse_duration("1.2.3s")
                .unwrap_err()
                .contains("invalid number")
        );
        assert!(parse_duration(".s").unwrap_err().contains("invalid number"));
    }

    /// Numbers too large for a `Duration` are "too large", never a wrapped value or a
    /// panic, and never called invalid numbers.
    #[test]
    fn rejects_overflow_as_too_large() {
        for text in [
            "99999999999999999999999h",
            "999999999999999999999999999999999999999999999ns",
            "18446744073709551616s",
            "5124095576030432h",
            "18446744073709551615s1s",
            "18446744073709551615.9999999999s1ns",
        ] {
            let message = parse_duration(text).unwrap_err();
            assert!(message.contains("too large"), "{text}: {message}");
        }
        // The largest duration itself parses, in either form.
        assert_eq!(
            parse_duration("18446744073709551615.999999999s"),
            Ok(Duration::MAX)
        );
        assert_eq!(
            parse_duration(&format_duration(Duration::MAX)),
            Ok(Duration::MAX)
        );
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(format_duration(Duration::from_secs(2 * 86_400)), "48h");
        assert_eq!(format_duration(Duration::new(1, 1)), "1s1ns");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }
}
