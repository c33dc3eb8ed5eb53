//! Configuration values as they arrive: typed (TOML, code) or as text (environment), and their
//! reading as the types the keys take, with the attributes' grammar and messages.

use std::fmt;
use std::time::Duration;

use resilience_syntax::rules::{
    NOT_A_NEGATIVE, NUMBER_EXPECTED, WHOLE_EXPECTED, WINDOW_EXPECTED, expects_one_of,
    number_in_string, unknown_word,
};
use resilience_syntax::{
    DURATION_EXPECTED, PERCENT_EXPECTED, RATE_EXPECTED, did_you_mean, duration_without_unit,
    parse_duration, parse_percent, parse_rate, parse_rate_from_zero,
};

use crate::base::clock::ClockSource;
use resilience_syntax::rules;
use resilience_syntax::rules::hedge::{DelayValue, check_fixed, parse_delay};

/// A value given to a configuration key from code ([`ConfigOverrides`](crate::config::ConfigOverrides))
/// or read from a file.
///
/// Each key reads it as its type, exactly as the attribute would: numbers as numbers,
/// durations and rates as strings in the attribute grammar (`"250ms"`, `"100/s"`) or, from
/// code, a [`Duration`] directly.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
// The variants are not named after the types they hold (`String`, `Duration`): an enum
// variant of a crate a user depends on directly makes rustc spell that type out in full
// (`std::string::String`) in the user's error messages.
pub enum ConfigValue {
    /// A string: a duration, a rate or a keyword such as `"exponential"`.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number with a fraction.
    Float(f64),
    /// `true` or `false`.
    Boolean(bool),
    /// A span of time, for keys that take a duration.
    Time(Duration),
}

macro_rules! from_integer {
    ($($ty:ty),*) => {$(
        impl From<$ty> for ConfigValue {
            fn from(value: $ty) -> Self {
                Self::Integer(i64::from(value))
            }
        }
    )*};
}

from_integer!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for ConfigValue {
    /// Values beyond `i64::MAX` become `i64::MAX`, which every key rejects as too large.
    fn from(value: u64) -> Self {
        Self::Integer(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<usize> for ConfigValue {
    fn from(value: usize) -> Self {
        Self::Integer(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<f64> for ConfigValue {
    fn from(value: f64) -> Self {
        Self::Float(value)
    }
}

impl From<bool> for ConfigValue {
    fn from(value: bool) -> Self {
        Self::Boolean(value)
    }
}

impl From<&str> for ConfigValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for ConfigValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<Duration> for ConfigValue {
    fn from(value: Duration) -> Self {
        Self::Time(value)
    }
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            Self::Integer(value) => write!(f, "{value}"),
            Self::Float(value) => write!(f, "{value}"),
            Self::Boolean(value) => write!(f, "{value}"),
            Self::Time(value) => write!(f, "{value:?}"),
        }
    }
}

/// A value as one source gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw {
    /// An environment variable's text: read as whatever type the key takes.
    Text(String),
    /// A typed value from a file or from code.
    Value(ConfigValue),
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => write!(f, "{text:?}"),
            Self::Value(value) => value.fmt(f),
        }
    }
}

/// `expected a duration string such as ...` without the `expected`.
#[cfg(test)]
pub(crate) fn accepted(expected: &str) -> &str {
    expected.strip_prefix("expected ").unwrap_or(expected)
}

/// The message for a number written as a string, as the attributes give it (any number
/// counts here, where an integer attribute key suggests only a whole one).
fn quoted_number(text: &str) -> String {
    number_in_string(text, |value| value.parse::<f64>().is_ok())
}

/// A whole number ≥ 0.
pub(crate) fn whole(raw: &Raw) -> Result<u64, String> {
    match raw {
        Raw::Text(text) => {
            let text = text.trim();
            let digits = |text: &str| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
            if text.strip_prefix('-').is_some_and(digits) {
                return Err(String::from(NOT_A_NEGATIVE));
            }
            text.parse().map_err(|_| {
                if digits(text) {
                    format!("{text} is out of range: too large")
                } else {
                    format!("expected a whole number, e.g. `5`, not {text:?}")
                }
            })
        }
        Raw::Value(ConfigValue::Integer(value)) => {
            u64::try_from(*value).map_err(|_| String::from(NOT_A_NEGATIVE))
        }
        Raw::Value(ConfigValue::Text(text)) => Err(quoted_number(text)),
        Raw::Value(_) => Err(String::from(WHOLE_EXPECTED)),
    }
}

/// A finite number.
pub(crate) fn number(raw: &Raw) -> Result<f64, String> {
    let value = match raw {
        Raw::Text(text) => text.trim().parse::<f64>().ok(),
        // Precision loss only beyond 2^53, far outside every range.
        Raw::Value(ConfigValue::Integer(value)) => Some(*value as f64),
        Raw::Value(ConfigValue::Float(value)) => Some(*value),
        Raw::Value(ConfigValue::Text(text)) => return Err(quoted_number(text)),
        Raw::Value(_) => None,
    };
    match value {
        Some(value) if value.is_finite() => Ok(value),
        Some(value) => Err(format!("expected a finite number, e.g. `2.0`, not {value}")),
        None => Err(String::from(NUMBER_EXPECTED)),
    }
}

/// A duration in the attribute grammar.
pub(crate) fn duration(raw: &Raw) -> Result<Duration, String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => parse_duration(text),
        Raw::Value(ConfigValue::Time(duration)) => Ok(*duration),
        Raw::Value(ConfigValue::Integer(value)) => Err(duration_without_unit(&value.to_string())),
        Raw::Value(_) => Err(String::from(DURATION_EXPECTED)),
    }
}

/// A hedge's delay as the attribute reads it: a duration greater than zero, or a
/// percentile's word (`"p95"`).
pub(crate) fn delay(raw: &Raw) -> Result<DelayValue, String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => parse_delay(text),
        Raw::Value(ConfigValue::Time(duration)) => check_fixed(*duration).map(DelayValue::Fixed),
        Raw::Value(ConfigValue::Integer(value)) => Err(duration_without_unit(&value.to_string())),
        Raw::Value(_) => Err(format!("expected {}", rules::hedge::DELAY.accepted)),
    }
}

/// A rate in the attribute grammar: count and period.
pub(crate) fn rate(raw: &Raw) -> Result<(u32, Duration), String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => parse_rate(text),
        Raw::Value(_) => Err(String::from(RATE_EXPECTED)),
    }
}

/// A quota's limit, `"1000/day"`.
pub(crate) fn limit(raw: &Raw) -> Result<(u32, Duration), String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => rules::quota::parse_limit(text),
        Raw::Value(_) => Err(String::from(rules::quota::LIMIT_EXPECTED)),
    }
}

/// A rate that may be zero (`"0/s"`): a floor.
pub(crate) fn rate_from_zero(raw: &Raw) -> Result<(u32, Duration), String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => parse_rate_from_zero(text),
        Raw::Value(_) => Err(String::from(RATE_EXPECTED)),
    }
}

/// A percentage string, `"20%"`: greater than 0 and at most 100.
pub(crate) fn percent(raw: &Raw) -> Result<f64, String> {
    match raw {
        Raw::Text(text) | Raw::Value(ConfigValue::Text(text)) => parse_percent(text),
        Raw::Value(ConfigValue::Integer(value)) => {
            Err(format!("expected a percentage string: write \"{value}%\""))
        }
        Raw::Value(_) => Err(String::from(PERCENT_EXPECTED)),
    }
}

/// One of `names`, for the key `key`.
pub(crate) fn word<'a>(raw: &Raw, key: &str, names: &[&'a str]) -> Result<&'a str, String> {
    let (Raw::Text(value) | Raw::Value(ConfigValue::Text(value))) = raw else {
        return Err(expects_one_of(key, names));
    };
    if let Some(name) = names.iter().find(|name| **name == value.as_str()) {
        return Ok(name);
    }
    Err(unknown_word(key, value, names))
}

/// The accepted values of `RESILIENCE_CLOCK` and `[global] clock`, for messages.
pub(crate) const CLOCK_ACCEPTED: &str =
    "tokio (tokio's clock, the default) or cpu (the CPU's time-stamp counter)";

/// A clock source: `tokio` or `cpu`, in any ASCII case.
pub(crate) fn clock(raw: &Raw) -> Result<ClockSource, String> {
    let (Raw::Text(value) | Raw::Value(ConfigValue::Text(value))) = raw else {
        return Err(String::from("`clock` expects \"tokio\" or \"cpu\""));
    };
    let value = value.trim();
    value
        .parse()
        .map_err(|_| match did_you_mean(value, ClockSource::NAMES) {
            Some(close) => format!("unknown clock \"{value}\"; did you mean \"{close}\"?"),
            None => format!("unknown clock \"{value}\"; expected \"tokio\" or \"cpu\""),
        })
}

/// A breaker window as written: a number of calls or a duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum WindowValue {
    Calls(u64),
    Time(Duration),
}

pub(crate) fn window(raw: &Raw) -> Result<WindowValue, String> {
    match raw {
        Raw::Text(text) if text.trim().chars().all(|c| c.is_ascii_digit()) => {
            whole(raw).map(WindowValue::Calls)
        }
        Raw::Text(_) | Raw::Value(ConfigValue::Text(_) | ConfigValue::Time(_)) => {
            duration(raw).map(WindowValue::Time)
        }
        Raw::Value(ConfigValue::Integer(_)) => whole(raw).map(WindowValue::Calls),
        Raw::Value(_) => Err(String::from(WINDOW_EXPECTED)),
    }
}

/// On or off; from the environment also `1`/`0`, `yes`/`no`, `on`/`off`.
pub(crate) fn flag(raw: &Raw) -> Result<bool, String> {
    match raw {
        Raw::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            other => Err(format!("expected 1 or 0, not {other:?}")),
        },
        Raw::Value(ConfigValue::Boolean(value)) => Ok(*value),
        Raw::Value(_) => Err(String::from("expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Raw {
        Raw::Text(value.to_owned())
    }

    fn typed(value: impl Into<ConfigValue>) -> Raw {
        Raw::Value(value.into())
    }

    #[test]
    fn numbers_from_text_and_values() {
        assert_eq!(whole(&text(" 10 ")), Ok(10));
        assert_eq!(whole(&typed(10)), Ok(10));
        assert!(whole(&text("-3")).unwrap_err().contains("not a negative"));
        assert!(whole(&typed(-3)).unwrap_err().contains("not a negative"));
        assert!(whole(&text("ten")).unwrap_err().contains("whole number"));
        // A whole number beyond u64 is out of range, not "not a whole number".
        assert_eq!(
            whole(&text("99999999999999999999999")),
            Err(String::from(
                "99999999999999999999999 is out of range: too large"
            ))
        );
        assert!(
            whole(&text("-99999999999999999999999"))
                .unwrap_err()
                .contains("not a negative")
        );
        assert!(
            number(&text("1e400"))
                .unwrap_err()
                .contains("finite number")
        );
        assert!(
            number(&typed(f64::NAN))
                .unwrap_err()
                .contains("finite number")
        );
        assert!(
            whole(&typed("10"))
                .unwrap_err()
                .contains("did you mean `10`")
        );
        assert!(whole(&typed(1.5)).is_err());
        assert_eq!(number(&text("2.5")), Ok(2.5));
        assert_eq!(number(&typed(3)), Ok(3.0));
        assert!(number(&text("NaN")).is_err());
        assert!(
            number(&text("two"))
                .unwrap_err()
                .contains("expected a number")
        );
        assert!(
            number(&typed("2.0"))
                .unwrap_err()
                .contains("did you mean `2.0`")
        );
    }

    #[test]
    fn durations_and_rates_use_the_attribute_grammar() {
        assert_eq!(duration(&text("1m30s")), Ok(Duration::from_secs(90)));
        assert_eq!(
            duration(&typed(Duration::from_millis(5))),
            Ok(Duration::from_millis(5))
        );
        assert_eq!(duration(&typed(500)), Err(duration_without_unit("500")));
        assert!(
            duration(&text("5sec"))
                .unwrap_err()
                .contains("did you mean \"5s\"")
        );
        assert!(
            duration(&typed(true))
                .unwrap_err()
                .contains("duration string")
        );
        assert_eq!(rate(&text("100/s")), Ok((100, Duration::from_secs(1))));
        assert!(rate(&typed(100)).unwrap_err().contains("rate such as"));
        assert_eq!(accepted(RATE_EXPECTED).split(' ').next(), Some("a"));
    }

    #[test]
    fn words_windows_and_flags() {
        let names = ["wait", "reject"];
        assert_eq!(word(&text("reject"), "on_limit", &names), Ok("reject"));
        assert_eq!(
            word(&typed("rejct"), "on_limit", &names),
            Err(String::from(
                "unknown on_limit \"rejct\"; did you mean \"reject\"?"
            ))
        );
        assert!(
            word(&typed(3), "on_limit", &names)
                .unwrap_err()
                .contains("expects one of")
        );
        assert_eq!(window(&text("20")), Ok(WindowValue::Calls(20)));
        assert_eq!(window(&typed(20)), Ok(WindowValue::Calls(20)));
        assert_eq!(
            window(&text("60s")),
            Ok(WindowValue::Time(Duration::from_secs(60)))
        );
        assert_eq!(
            window(&typed("1m")),
            Ok(WindowValue::Time(Duration::from_secs(60)))
        );
        assert!(window(&typed(1.5)).is_err());
        assert_eq!(flag(&text("1")), Ok(true));
        assert_eq!(flag(&text("off")), Ok(false));
        assert_eq!(flag(&typed(true)), Ok(true));
        assert!(flag(&text("maybe")).is_err());
        assert!(flag(&typed(1)).is_err());
        assert_eq!(typed("x").to_string(), "\"x\"");
        assert_eq!(text("x").to_string(), "\"x\"");
    }
}
