//! One key of a kind and the checks of its value against the key's form.

use std::time::Duration;

use super::form::{Form, MAX_DURATION};
use super::messages::{WINDOW_AT_MOST, WINDOW_WHOLE_SECONDS, must_be_positive, too_long};

/// One key of a kind: its name, its value's form and the accepted form as configuration
/// messages state it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyRule {
    /// As in the attribute, e.g. `failure_threshold`.
    pub key: &'static str,
    /// The form and range of its value.
    pub form: Form,
    /// The form a valid value takes, as configuration messages end: `(accepted: ...)`.
    pub accepted: &'static str,
}

impl KeyRule {
    /// Checks a whole number against a [`Form::Whole`] (or a window's call count); any other
    /// form accepts it.
    ///
    /// # Errors
    ///
    /// The rule's message for a value outside the range.
    pub fn check_whole(&self, value: u64) -> Result<u64, &'static str> {
        let form = match self.form {
            Form::Window { calls, .. } => *calls,
            form => form,
        };
        match form {
            Form::Whole { min, max, message } if !(min..=max).contains(&value) => Err(message),
            _ => Ok(value),
        }
    }

    /// Checks a number against a [`Form::Number`] or [`Form::Fraction`].
    ///
    /// # Errors
    ///
    /// The rule's message for a value outside the range (a fraction written as a whole
    /// percentage is told how to write it).
    pub fn check_number(&self, value: f64) -> Result<f64, String> {
        match self.form {
            Form::Number {
                above,
                at_most,
                too_low,
                too_high,
            } => {
                if value <= above {
                    Err(String::from(too_low))
                } else if value > at_most {
                    Err(String::from(too_high))
                } else {
                    Ok(value)
                }
            }
            Form::Fraction if !(0.0..=1.0).contains(&value) => {
                // A whole number of percent, e.g. `20`, is a likely slip.
                let hint = if (2.0..=100.0).contains(&value) && value.fract() == 0.0 {
                    format!(": for {value}%, write `{}`", value / 100.0)
                } else {
                    String::new()
                };
                Err(format!(
                    "`{}` is a fraction of calls from 0.0 to 1.0{hint}",
                    self.key
                ))
            }
            _ => Ok(value),
        }
    }

    /// Checks a duration against a [`Form::Duration`], a [`Form::PositiveDuration`], a
    /// [`Form::DurationWithin`] or a window's time rule.
    ///
    /// # Errors
    ///
    /// The rule's message for a duration longer than [`MAX_DURATION`] or a zero one where a
    /// positive one goes, or a window not in whole seconds or too long.
    pub fn check_duration(&self, value: Duration) -> Result<Duration, String> {
        match self.form {
            Form::Duration | Form::PositiveDuration | Form::Delay(_) if value > MAX_DURATION => {
                Err(too_long(self.key))
            }
            Form::PositiveDuration | Form::Delay(_) if value.is_zero() => {
                Err(must_be_positive(self.key))
            }
            Form::DurationWithin { min, max, message } if value < min || value > max => {
                Err(String::from(message))
            }
            Form::Window { max_secs, .. } => {
                if value < Duration::from_secs(1) || value.subsec_nanos() != 0 {
                    Err(String::from(WINDOW_WHOLE_SECONDS))
                } else if value > Duration::from_secs(max_secs) {
                    Err(String::from(WINDOW_AT_MOST))
                } else {
                    Ok(value)
                }
            }
            _ => Ok(value),
        }
    }

    /// The words of a [`Form::Word`] (empty for any other form).
    #[must_use]
    pub const fn words(&self) -> &'static [&'static str] {
        match self.form {
            Form::Word(words) => words,
            _ => &[],
        }
    }
}

/// A rule of `rules` by key.
#[must_use]
pub fn find(rules: &'static [KeyRule], key: &str) -> Option<&'static KeyRule> {
    rules.iter().find(|rule| rule.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::messages::{out_of_range, unknown_word};
    use crate::rules::{bulkhead, chaos, circuit_breaker, retry};

    #[test]
    fn forms_check_their_ranges() {
        let rule = circuit_breaker::FAILURE_RATE;
        assert_eq!(rule.check_whole(100), Ok(100));
        assert_eq!(
            rule.check_whole(0),
            Err("`failure_rate` is a percentage from 1 to 100")
        );
        assert!(retry::MULTIPLIER.check_number(1.0).is_err());
        assert!(
            chaos::ERROR_RATE
                .check_number(20.0)
                .unwrap_err()
                .contains("write `0.2`")
        );
        assert!(
            circuit_breaker::WINDOW
                .check_duration(Duration::from_millis(1500))
                .is_err()
        );
        // The longest duration a policy holds passes; one nanosecond more is too long, on
        // every duration key, named in the message.
        for rule in [bulkhead::MAX_WAIT, circuit_breaker::RECOVERY_TIMEOUT] {
            assert_eq!(rule.check_duration(MAX_DURATION), Ok(MAX_DURATION));
            let longer = MAX_DURATION + Duration::from_nanos(1);
            assert_eq!(rule.check_duration(longer), Err(too_long(rule.key)));
            assert_eq!(rule.check_duration(Duration::MAX), Err(too_long(rule.key)));
        }
        assert_eq!(
            too_long("max_wait"),
            "`max_wait` is too long: the longest duration a policy holds is \"5124095h34m33s709ms551us615ns\" (about 584 years)"
        );
        assert_eq!(
            out_of_range(0, "`k` must be at least 1"),
            "0 is out of range: `k` must be at least 1"
        );
        assert_eq!(
            unknown_word("backoff", "exponental", retry::BACKOFFS),
            "unknown backoff \"exponental\"; did you mean \"exponential\"?"
        );
    }
}
