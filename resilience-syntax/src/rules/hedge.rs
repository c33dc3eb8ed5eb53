//! `#[hedge]` and `hedge` configuration: keys, ranges, defaults, and the one rule that reads
//! a `delay` (a duration, or a percentile of the latencies seen), for both readers.

use std::time::Duration;

use super::form::{Form, MAX_DURATION};
use super::key_rule::KeyRule;
use super::messages::{must_be_positive, quoted, too_long};

/// The percentiles a hedge tracks, as `delay` names them.
pub const PERCENTILES: &[&str] = &["p90", "p95", "p99"];

/// `max_hedges` when none is set: one extra attempt.
pub const DEFAULT_MAX_HEDGES: u32 = 1;
/// The most extra attempts one call may start.
pub const MAX_MAX_HEDGES: u32 = 4;

/// `delay`: how long an attempt runs without an answer before the next one starts.
pub const DELAY: KeyRule = KeyRule {
    key: "delay",
    form: Form::Delay(PERCENTILES),
    accepted: "a duration greater than zero such as \"50ms\", or one of \"p90\", \"p95\", \"p99\"",
};

/// `max_hedges`: extra attempts a call may start.
pub const MAX_HEDGES: KeyRule = KeyRule {
    key: "max_hedges",
    form: Form::Whole {
        min: 1,
        max: MAX_MAX_HEDGES as u64,
        message: "`max_hedges` is the number of extra attempts, from 1 to 4",
    },
    accepted: "a whole number from 1 to 4",
};

/// The keys that take values, in the order configuration applies them.
pub const KEYS: &[KeyRule] = &[DELAY, MAX_HEDGES];

/// A `delay` as written: a fixed duration, or one of [`PERCENTILES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayValue {
    /// A fixed duration, greater than zero.
    Fixed(Duration),
    /// A percentile of the latencies seen: a word of [`PERCENTILES`].
    Percentile(&'static str),
}

/// Reads a `delay`: `"50ms"` (any duration of the shared grammar, greater than zero) or
/// `"p90"`, `"p95"`, `"p99"`.
///
/// # Errors
///
/// What is wrong, with a did-you-mean where one is close: another percentile (`"p50"`), a
/// word that is neither (`"fast"`), a zero or too long duration, or the duration grammar's
/// own message (`"50 ms"`).
///
/// ```
/// use resilience_syntax::rules::hedge::{DelayValue, parse_delay};
/// use std::time::Duration;
///
/// assert_eq!(parse_delay("50ms"), Ok(DelayValue::Fixed(Duration::from_millis(50))));
/// assert_eq!(parse_delay("p95"), Ok(DelayValue::Percentile("p95")));
/// assert!(parse_delay("p50").unwrap_err().contains("\"p90\", \"p95\", \"p99\""));
/// ```
pub fn parse_delay(text: &str) -> Result<DelayValue, String> {
    if let Some(word) = PERCENTILES.iter().find(|word| **word == text) {
        return Ok(DelayValue::Percentile(word));
    }
    let trimmed = text.trim();
    if trimmed.starts_with(['p', 'P']) {
        let rest = &trimmed[1..];
        let close = crate::did_you_mean(trimmed, PERCENTILES)
            .filter(|close| close.eq_ignore_ascii_case(trimmed) || !is_number(rest));
        if let Some(close) = close {
            return Err(format!(
                "unknown percentile \"{text}\" for `delay`; did you mean \"{close}\"?"
            ));
        }
        if is_number(rest) {
            return Err(format!(
                "unknown percentile \"{text}\" for `delay`: a hedge tracks {}; or give a \
                 duration such as \"50ms\"",
                quoted(PERCENTILES)
            ));
        }
    }
    if !trimmed.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!(
            "`delay` takes a duration such as \"50ms\" or a percentile {}, not \"{text}\"",
            quoted(PERCENTILES)
        ));
    }
    let delay = crate::parse_duration(text)?;
    check_fixed(delay).map(DelayValue::Fixed)
}

/// Whether `text` is a number such as `50` or `99.9`.
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Checks a fixed `delay`: greater than zero, at most [`MAX_DURATION`].
///
/// # Errors
///
/// The message for a zero or too long delay.
pub fn check_fixed(delay: Duration) -> Result<Duration, String> {
    if delay.is_zero() {
        Err(must_be_positive(DELAY.key))
    } else if delay > MAX_DURATION {
        Err(too_long(DELAY.key))
    } else {
        Ok(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_as_durations_or_percentiles() {
        assert_eq!(
            parse_delay("1m30s"),
            Ok(DelayValue::Fixed(Duration::from_secs(90)))
        );
        for word in PERCENTILES {
            assert_eq!(parse_delay(word), Ok(DelayValue::Percentile(word)));
        }
        assert_eq!(parse_delay("0ms"), Err(must_be_positive("delay")));
        assert!(parse_delay("50 ms").unwrap_err().contains("whitespace"));
    }

    #[test]
    fn other_percentiles_and_words_are_told_what_is_accepted() {
        let p50 = parse_delay("p50").unwrap_err();
        assert!(p50.starts_with("unknown percentile \"p50\""), "{p50}");
        assert!(p50.contains("\"p90\", \"p95\", \"p99\""), "{p50}");
        let fast = parse_delay("fast").unwrap_err();
        assert_eq!(
            fast,
            "`delay` takes a duration such as \"50ms\" or a percentile \"p90\", \"p95\", \
             \"p99\", not \"fast\""
        );
        assert!(
            parse_delay("p9")
                .unwrap_err()
                .contains("unknown percentile")
        );
        assert!(
            parse_delay("pp95")
                .unwrap_err()
                .contains("did you mean \"p95\"")
        );
    }

    #[test]
    fn max_hedges_is_one_to_four() {
        assert_eq!(MAX_HEDGES.check_whole(4), Ok(4));
        assert!(MAX_HEDGES.check_whole(0).is_err());
        assert!(MAX_HEDGES.check_whole(5).is_err());
    }
}
