//! The rules of every policy kind's keys, written once for both readers: the attributes
//! (`resilience-macros`, at compile time) and configuration (`resilience-runtime`: environment
//! variables, TOML files, overrides from code).
//!
//! Per kind (one file each):
//! - a [`KeyRule`] per key: the form its value takes ([`Form`]), the range and the exact
//!   message for a value outside it, and the "accepted" text configuration messages end with;
//! - the keyword lists (`backoff`, `jitter`, `on_limit`, ...);
//! - the defaults the runtime's config types start from;
//! - the combination rules (`multiplier` only with `backoff = "exponential"`, ...), each a
//!   function over a small view of which keys a source sets and the values in force, returning
//!   the offending key and the message ([`Problem`]).
//!
//! Each reader parses a value its own way (tokens, text, typed values) and then asks the rule;
//! where the readers word a message differently (configuration names an out-of-range number
//! first: [`out_of_range`]), the difference is stated where it is made.

pub mod bulkhead;
pub mod chaos;
pub mod circuit_breaker;
pub mod rate_limit;
pub mod retry;

use std::time::Duration;

/// The form a key's value takes, with its range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    /// A whole number in `min..=max`; outside it, `message`.
    Whole {
        /// The smallest accepted value.
        min: u64,
        /// The largest accepted value.
        max: u64,
        /// What a value outside the range is told.
        message: &'static str,
    },
    /// A number greater than `above` and at most `at_most`.
    Number {
        /// The values accepted lie strictly above this.
        above: f64,
        /// The largest accepted value.
        at_most: f64,
        /// What a value at or below `above` is told.
        too_low: &'static str,
        /// What a value above `at_most` is told.
        too_high: &'static str,
    },
    /// A fraction of calls from 0.0 to 1.0.
    Fraction,
    /// Any duration in the shared grammar.
    Duration,
    /// A duration greater than zero.
    PositiveDuration,
    /// A rate in the shared grammar, `"100/s"`.
    Rate,
    /// One word of a closed list.
    Word(&'static [&'static str]),
    /// A breaker window: a number of calls (`Whole`) or whole seconds in `1..=max_secs`.
    Window {
        /// The rule for a number of calls.
        calls: &'static Form,
        /// The longest time window, in seconds.
        max_secs: u64,
    },
}

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

/// A combination of keys a rule rejects: the key the message is about, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key to point at (an attribute spans the error on it; configuration names it).
    pub key: &'static str,
    /// What is wrong, as both readers say it.
    pub message: String,
}

impl Problem {
    fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// A value in force and whether it is the built-in default (an attribute, which knows no
/// other layer, says so in its message; configuration does not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InForce<T> {
    /// The value.
    pub value: T,
    /// Whether nothing set it: the message then adds ", the default".
    pub is_default: bool,
}

impl<T> InForce<T> {
    pub(crate) fn default_text(&self) -> &'static str {
        if self.is_default { ", the default" } else { "" }
    }
}

/// A combination rule and sources that break it, as `(key, value)` pairs written as in the
/// attribute (and, the same, in TOML): `("backoff", "\"fixed\"")`.
#[derive(Debug, Clone, Copy)]
pub struct Combination<F> {
    /// The rule: the offending key and the message, if the view breaks it.
    pub check: F,
    /// Sources that break it, each one key set as both readers read it.
    pub broken_by: &'static [&'static [(&'static str, &'static str)]],
}

/// The accepted form of any duration, as configuration messages state it.
pub const DURATION_ACCEPTED: &str = "a duration string such as \"250ms\", \"2s\" or \"1m30s\"";
/// The accepted form of a duration greater than zero.
pub const POSITIVE_DURATION_ACCEPTED: &str =
    "a duration greater than zero, such as \"250ms\", \"2s\" or \"1m30s\"";

/// A negative where a whole number goes.
pub const NOT_A_NEGATIVE: &str = "expected a whole number ≥ 0, not a negative";
/// A value of another type where a whole number goes.
pub const WHOLE_EXPECTED: &str = "expected a whole number, e.g. `5`";
/// A value of another type where a number goes.
pub const NUMBER_EXPECTED: &str = "expected a number, e.g. `2.0`";
/// A value of another type where a breaker window goes.
pub const WINDOW_EXPECTED: &str =
    "expected a number of calls (`window = 20`) or a duration (`window = \"60s\"`)";

/// The message for a number written as a string: a did-you-mean without the quotes when the
/// string holds one (`parses` says whether the text reads as the number wanted).
#[must_use]
pub fn number_in_string(text: &str, parses: impl Fn(&str) -> bool) -> String {
    let value = text.trim();
    // A leading digit keeps words such as "inf" or "NaN" out of the suggestion.
    if value.starts_with(|c: char| c.is_ascii_digit()) && parses(value) {
        format!("expected a number, not a string: did you mean `{value}`?")
    } else {
        String::from("expected a number, not a string, e.g. `5`")
    }
}

/// The message for a zero duration where `key` needs a positive one.
#[must_use]
pub fn must_be_positive(key: &str) -> String {
    format!("`{key}` must be greater than zero")
}

/// The time window's message for a duration that is not whole seconds of at least one.
pub const WINDOW_WHOLE_SECONDS: &str =
    "a time `window` is counted in one-second buckets: use whole seconds, at least \"1s\"";
/// The time window's message for a duration beyond an hour.
pub const WINDOW_AT_MOST: &str = "a time `window` must be at most \"1h\"";

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

    /// Checks a duration against a [`Form::PositiveDuration`] or a window's time rule.
    ///
    /// # Errors
    ///
    /// The rule's message for a zero duration, or a window not in whole seconds or too long.
    pub fn check_duration(&self, value: Duration) -> Result<Duration, String> {
        match self.form {
            Form::PositiveDuration if value.is_zero() => Err(must_be_positive(self.key)),
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

/// How configuration words an out-of-range number: the value first, then the rule's message
/// (the attribute points at the value instead, so it gives the message alone).
#[must_use]
pub fn out_of_range(value: impl std::fmt::Display, message: &str) -> String {
    format!("{value} is out of range: {message}")
}

/// `"a", "b", "c"`: the words of a list as messages quote them.
#[must_use]
pub fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message for a value of `key` that is not a string.
#[must_use]
pub fn expects_one_of(key: &str, words: &[&str]) -> String {
    format!("`{key}` expects one of {}", quoted(words))
}

/// The message for a word of `key` not in `words`, with a did-you-mean when one is close.
#[must_use]
pub fn unknown_word(key: &str, value: &str, words: &[&str]) -> String {
    match crate::did_you_mean(value, words) {
        Some(close) => format!("unknown {key} \"{value}\"; did you mean \"{close}\"?"),
        None => format!(
            "unknown {key} \"{value}\"; expected one of {}",
            quoted(words)
        ),
    }
}

/// Which keys one source sets: the attribute's written keys, or one configuration layer's.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a>(pub &'a [&'a str]);

impl Written<'_> {
    /// Whether `key` is set.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.0.contains(&key)
    }
}

/// Every kind's key rules, by the attribute's name, for tools and tests that walk them all.
pub const KINDS: [(&str, &[KeyRule]); 5] = [
    ("retry", retry::KEYS),
    ("circuit_breaker", circuit_breaker::KEYS),
    ("rate_limit", rate_limit::KEYS),
    ("bulkhead", bulkhead::KEYS),
    ("chaos", chaos::KEYS),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A word key's accepted text lists exactly its words.
    #[test]
    fn accepted_words_come_from_the_lists() {
        for (_, rules) in KINDS {
            for rule in rules {
                if let Form::Word(words) = rule.form {
                    assert_eq!(rule.accepted, format!("one of {}", quoted(words)));
                }
            }
        }
    }

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
