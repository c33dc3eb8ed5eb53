//! Rate strings: `"N/s"`, `"N/min"`, `"N/h"`, `"N/day"`, `"N/250ms"`.

use std::time::Duration;

use crate::duration::parse_duration;

/// What a rate looks like, for error messages.
pub const RATE_EXPECTED: &str =
    "expected a rate such as \"100/s\", \"500/min\", \"1000/h\", \"10000/day\" or \"5/250ms\"";

/// Parses `"N/unit"` or `"N/duration"` into the count and the period.
///
/// The count is at least 1 and the period is not zero.
///
/// # Errors
///
/// A message such as `unknown period "dya" in rate "10/dya"; did you mean "10/day"?`.
///
/// ```
/// use resilience_syntax::parse_rate;
/// use std::time::Duration;
///
/// assert_eq!(parse_rate("100/s"), Ok((100, Duration::from_secs(1))));
/// assert_eq!(parse_rate("5/250ms"), Ok((5, Duration::from_millis(250))));
/// assert!(parse_rate("0/s").is_err());
/// ```
pub fn parse_rate(text: &str) -> Result<(u32, Duration), String> {
    let Some((count, per)) = text.split_once('/') else {
        return Err(format!("missing \"/\" in rate \"{text}\"; {RATE_EXPECTED}"));
    };
    let count: u32 = count.trim().parse().map_err(|_| {
        if !count.trim().is_empty() && count.trim().bytes().all(|b| b.is_ascii_digit()) {
            format!(
                "count {} in rate \"{text}\" is too large; the largest is {}",
                count.trim(),
                u32::MAX
            )
        } else {
            format!("invalid count \"{count}\" in rate \"{text}\"; {RATE_EXPECTED}")
        }
    })?;
    if count == 0 {
        return Err(format!(
            "rate \"{text}\" admits nothing; the count must be at least 1"
        ));
    }
    let per = per.trim();
    let period = match per {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        "d" | "day" => Duration::from_secs(86_400),
        _ if per.starts_with(|c: char| c.is_ascii_digit()) => {
            parse_duration(per).map_err(|message| format!("in rate \"{text}\": {message}"))?
        }
        _ => {
            let units = ["s", "min", "h", "day"];
            return Err(match crate::did_you_mean(per, &units) {
                Some(close) => format!(
                    "unknown period \"{per}\" in rate \"{text}\"; did you mean \"{count}/{close}\"?"
                ),
                None => format!("unknown period \"{per}\" in rate \"{text}\"; {RATE_EXPECTED}"),
            });
        }
    };
    if period.is_zero() {
        return Err(format!("rate \"{text}\" has a zero period"));
    }
    Ok((count, period))
}

/// [`parse_rate`], but a count of 0 is allowed (`"0/s"`): for a floor that may be nothing.
///
/// # Errors
///
/// As [`parse_rate`], for the period or a count that does not read.
///
/// ```
/// use resilience_syntax::parse_rate_from_zero;
/// use std::time::Duration;
///
/// assert_eq!(parse_rate_from_zero("0/s"), Ok((0, Duration::from_secs(1))));
/// assert_eq!(parse_rate_from_zero("10/s"), Ok((10, Duration::from_secs(1))));
/// ```
pub fn parse_rate_from_zero(text: &str) -> Result<(u32, Duration), String> {
    match text.split_once('/') {
        Some((count, per)) if count.trim() == "0" => {
            // The period is checked as a rate of one per it would be.
            parse_rate(&format!("1/{per}"))
                .map(|(_, period)| (0, period))
                .map_err(|message| message.replace("\"1/", "\"0/"))
        }
        _ => parse_rate(text),
    }
}

/// Writes a count per period as the grammar spells it: `"10/s"`, `"100/min"`, `"1000/h"`,
/// `"10000/day"`, or `"5/250ms"` for any other period; [`parse_rate`] reads it back.
///
/// # Errors
///
/// Only those of `out`.
///
/// ```
/// use resilience_syntax::write_rate;
/// use std::time::Duration;
///
/// let mut text = String::new();
/// write_rate(&mut text, 1000, Duration::from_secs(86_400)).unwrap();
/// assert_eq!(text, "1000/day");
/// ```
pub fn write_rate(
    out: &mut impl std::fmt::Write,
    count: u32,
    period: Duration,
) -> std::fmt::Result {
    write!(out, "{count}/")?;
    match period.as_secs() {
        _ if period.subsec_nanos() != 0 => crate::write_duration(out, period),
        1 => out.write_str("s"),
        60 => out.write_str("min"),
        3600 => out.write_str("h"),
        86_400 => out.write_str("day"),
        _ => crate::write_duration(out, period),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_may_be_zero() {
        assert_eq!(
            parse_rate_from_zero("0/min"),
            Ok((0, Duration::from_secs(60)))
        );
        assert_eq!(parse_rate_from_zero("5/250ms"), parse_rate("5/250ms"));
        assert!(
            parse_rate_from_zero("0/dya")
                .unwrap_err()
                .contains("in rate \"0/dya\"; did you mean \"0/day\"")
        );
        assert!(
            parse_rate_from_zero("0/0s")
                .unwrap_err()
                .contains("zero period")
        );
        assert!(parse_rate_from_zero("x/s").is_err());
    }

    #[test]
    fn parses_rates() {
        assert_eq!(parse_rate("100/s"), Ok((100, Duration::from_secs(1))));
        assert_eq!(parse_rate("500/min"), Ok((500, Duration::from_secs(60))));
        assert_eq!(parse_rate("5/h"), Ok((5, Duration::from_secs(3600))));
        assert_eq!(
            parse_rate("10000/day"),
            Ok((10_000, Duration::from_secs(86_400)))
        );
        assert_eq!(parse_rate("3/250ms"), Ok((3, Duration::from_millis(250))));
    }

    #[test]
    fn rejects_bad_rates() {
        assert!(parse_rate("100").unwrap_err().contains("missing \"/\""));
        assert!(parse_rate("0/s").unwrap_err().contains("at least 1"));
        assert!(
            parse_rate("10/dya")
                .unwrap_err()
                .contains("did you mean \"10/day\"")
        );
        assert!(parse_rate("x/s").unwrap_err().contains("invalid count"));
        assert!(parse_rate("1/0s").unwrap_err().contains("zero period"));
        assert!(parse_rate("1/0.1ns").unwrap_err().contains("zero period"));
    }

    #[test]
    fn overflow_is_too_large() {
        assert_eq!(
            parse_rate("4294967295/s"),
            Ok((u32::MAX, Duration::from_secs(1)))
        );
        assert!(
            parse_rate("4294967296/s")
                .unwrap_err()
                .contains("is too large; the largest is 4294967295")
        );
        assert!(
            parse_rate("1/99999999999999999999h")
                .unwrap_err()
                .contains("too large")
        );
    }
}
