//! Configuration keys: each kind's table of the attribute keys that take values, how a value is
//! read and checked, and how a kind applies, checks and switches to a configuration.

use std::time::Duration;

use resilience_syntax::rules::hedge::DelayValue;
use resilience_syntax::rules::{self, Form, KeyRule};

use super::value::{self, Raw, WindowValue};
use crate::base::named::Named;

/// A key's value, read and range-checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Setting {
    Whole(u64),
    Number(f64),
    Duration(Duration),
    Rate(u32, Duration),
    Word(&'static str),
    Window(WindowValue),
}

/// One configurable key.
#[derive(Debug)]
pub(crate) struct Key {
    /// As in the attribute, e.g. `failure_threshold`.
    pub(crate) name: &'static str,
    /// The form a valid value takes.
    pub(crate) accepted: &'static str,
    /// Reads and range-checks a value.
    pub(crate) read: fn(&Raw) -> Result<Setting, String>,
}

/// A kind of named instance, as configuration sees it.
#[derive(Debug)]
pub(crate) struct KindSpec {
    /// As in the file and in snapshots: `circuit_breaker`.
    pub(crate) name: &'static str,
    /// As in environment variables: `CIRCUIT_BREAKER`.
    pub(crate) env: &'static str,
    /// The keys that take values, in the order they apply.
    pub(crate) keys: &'static [Key],
    /// Attribute keys that are code (paths, expressions) or identity, with why they cannot be
    /// configured.
    pub(crate) fixed: &'static [(&'static str, &'static str)],
}

impl KindSpec {
    pub(crate) fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|key| key.name == name)
    }

    pub(crate) fn key_names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|key| key.name).collect()
    }

    /// Why `name` is not a configurable key, for a key the attribute has but configuration
    /// cannot set.
    pub(crate) fn fixed(&self, name: &str) -> Option<&'static str> {
        self.fixed
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, why)| *why)
    }
}

/// Identity keys every named kind has.
pub(crate) const NAME_AND_CRATE: [(&str, &str); 2] = [
    (
        "name",
        "`name` is the instance's identity: configure the instance under its name instead",
    ),
    (
        "crate",
        "`crate` is a path in the code and is set only in the attribute",
    ),
];

/// A kind whose instances configuration can create and change.
pub(crate) trait Configurable: Named {
    const SPEC: &'static KindSpec;

    /// `config` with one key set.
    fn set(config: Self::Config, key: &str, setting: &Setting) -> Self::Config;

    /// The combinations a set of keys (`set`) makes impossible in `config`, as the attribute
    /// would reject them: each names a key of `set`.
    fn check(set: &[&'static str], config: &Self::Config) -> Vec<(&'static str, String)>;

    /// The configuration the instance runs with.
    fn in_force(&self) -> Self::Config;

    /// The keys in which `after` differs from `before` that a running instance cannot
    /// change, with why.
    fn fixed_while_running(
        before: &Self::Config,
        after: &Self::Config,
    ) -> Vec<(&'static str, String)>;

    /// Switches the running instance to `config`, keeping its state.
    fn reconfigure(&self, config: Self::Config);
}

impl Key {
    /// The key `rule` describes, read by its form.
    pub(crate) const fn of(
        rule: &'static KeyRule,
        read: fn(&Raw) -> Result<Setting, String>,
    ) -> Self {
        Self {
            name: rule.key,
            accepted: rule.accepted,
            read,
        }
    }
}

/// A [`Key`] built from a rule of `resilience_syntax::rules`: its name, accepted text and
/// reader all come from the rule.
macro_rules! key {
    ($rule:path) => {
        $crate::settings::keys::Key::of(&$rule, |raw| $crate::settings::keys::read(&$rule, raw))
    };
}
pub(crate) use key;

// Readers shared by the kinds' tables.

/// Reads and range-checks a value as `rule`'s form says, with the rule's messages.
pub(crate) fn read(rule: &KeyRule, raw: &Raw) -> Result<Setting, String> {
    match rule.form {
        Form::Whole { min, max, message } => whole_in(raw, min, max, message).map(Setting::Whole),
        Form::Number { .. } | Form::Fraction => {
            rule.check_number(value::number(raw)?).map(Setting::Number)
        }
        // Zero where a positive duration goes and a duration longer than a policy holds are
        // the rule's to judge, as in the attribute.
        Form::Duration | Form::PositiveDuration | Form::DurationWithin { .. } => rule
            .check_duration(value::duration(raw)?)
            .map(Setting::Duration),
        Form::Rate => value::rate(raw).map(|(count, period)| Setting::Rate(count, period)),
        Form::Limit => value::limit(raw).map(|(count, period)| Setting::Rate(count, period)),
        Form::RateFromZero => {
            value::rate_from_zero(raw).map(|(count, period)| Setting::Rate(count, period))
        }
        // A percentage, kept as written (`20.0` for `"20%"`).
        Form::Percent => value::percent(raw).map(Setting::Number),
        Form::Word(words) => word(raw, rule.key, words),
        // A hedge's delay: a duration, or a percentile's word, as the attribute reads it.
        Form::Delay(_) => match value::delay(raw)? {
            DelayValue::Fixed(delay) => Ok(Setting::Duration(delay)),
            DelayValue::Percentile(word) => Ok(Setting::Word(word)),
        },
        Form::Window { .. } => match value::window(raw)? {
            WindowValue::Calls(calls) => rule
                .check_whole(calls)
                .map(|calls| Setting::Window(WindowValue::Calls(calls)))
                .map_err(|message| rules::out_of_range(calls, message)),
            WindowValue::Time(duration) => rule
                .check_duration(duration)
                .map(|duration| Setting::Window(WindowValue::Time(duration))),
        },
    }
}

/// A whole number in `min..=max`; `message` says so as the attribute does.
pub(crate) fn whole_in(raw: &Raw, min: u64, max: u64, message: &str) -> Result<u64, String> {
    let value = value::whole(raw)?;
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(rules::out_of_range(value, message))
    }
}

/// A percentage, 1 to 100.
#[cfg(test)]
pub(crate) fn percent(raw: &Raw, key: &str) -> Result<Setting, String> {
    whole_in(
        raw,
        1,
        100,
        &format!("`{key}` is a percentage from 1 to 100"),
    )
    .map(Setting::Whole)
}

/// Any duration (without the rule's bound: [`read`] checks a key's duration by its rule).
#[cfg(test)]
pub(crate) fn duration(raw: &Raw) -> Result<Setting, String> {
    value::duration(raw).map(Setting::Duration)
}

/// A duration greater than zero (without the rule's upper bound, as [`duration`]).
#[cfg(test)]
pub(crate) fn positive_duration(raw: &Raw, key: &str) -> Result<Setting, String> {
    let duration = value::duration(raw)?;
    if duration.is_zero() {
        Err(rules::must_be_positive(key))
    } else {
        Ok(Setting::Duration(duration))
    }
}

/// One of `names`.
pub(crate) fn word(raw: &Raw, key: &str, names: &[&'static str]) -> Result<Setting, String> {
    value::word(raw, key, names).map(Setting::Word)
}

/// The candidate closest to `input` (a plausible typo of it), comparing without case.
pub(crate) fn closest<'a>(input: &str, candidates: &'a [String]) -> Option<&'a str> {
    let lowered: Vec<String> = candidates
        .iter()
        .map(|candidate| candidate.to_ascii_lowercase())
        .collect();
    let lowered_refs: Vec<&str> = lowered.iter().map(String::as_str).collect();
    let close = resilience_syntax::did_you_mean(input, &lowered_refs)?;
    let index = lowered_refs
        .iter()
        .position(|candidate| *candidate == close)?;
    candidates.get(index).map(String::as_str)
}

/// The accepted form of a duration, as the grammar states it.
#[cfg(test)]
pub(crate) const DURATION: &str = rules::DURATION_ACCEPTED;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::value::accepted;
    use resilience_syntax::{DURATION_EXPECTED, RATE_EXPECTED};

    #[test]
    fn accepted_forms_match_the_grammar() {
        assert_eq!(DURATION, accepted(DURATION_EXPECTED));
        assert!(accepted(RATE_EXPECTED).starts_with("a rate such as"));
    }

    #[test]
    fn shared_readers_check_ranges() {
        let text = |value: &str| Raw::Text(value.to_owned());
        assert_eq!(whole_in(&text("5"), 1, 10, "m"), Ok(5));
        assert_eq!(
            whole_in(&text("0"), 1, 10, "`k` must be at least 1"),
            Err(String::from("0 is out of range: `k` must be at least 1"))
        );
        assert!(percent(&text("101"), "failure_rate").is_err());
        assert_eq!(
            percent(&text("100"), "failure_rate"),
            Ok(Setting::Whole(100))
        );
        assert!(positive_duration(&text("0s"), "recovery_timeout").is_err());
        assert_eq!(duration(&text("0s")), Ok(Setting::Duration(Duration::ZERO)));
        assert!(word(&text("x"), "backoff", &["fixed"]).is_err());
    }

    #[test]
    fn closest_ignores_case_on_both_sides() {
        let names = vec![String::from("INVENTORY_POOL"), String::from("Db::load")];
        assert_eq!(closest("INVENTORY_POOOL", &names), Some("INVENTORY_POOL"));
        assert_eq!(closest("db::lod", &names), Some("Db::load"));
        assert_eq!(closest("other", &names), None);
    }
}
