//! `retry` keys: the `#[retry]` attribute's, with its ranges and rules (all from
//! `resilience_syntax::rules::retry`, which the attribute checks too).

use resilience_syntax::rules::retry::{self as rules, DEFAULT_JITTER_FACTOR, View};
use resilience_syntax::rules::{InForce, Written};

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
#[cfg(test)]
use super::value::Raw; // named by the unit tests below
use crate::retry::{BackoffKind, Jitter, Preset, Retry, RetryBudget, RetryConfig};

const KEYS: &[Key] = &[
    key!(rules::PRESET),
    key!(rules::MAX_ATTEMPTS),
    key!(rules::BACKOFF),
    key!(rules::INITIAL_DELAY),
    key!(rules::MAX_DELAY),
    key!(rules::MULTIPLIER),
    key!(rules::JITTER),
    key!(rules::JITTER_FACTOR),
    key!(rules::MAX_ELAPSED),
    key!(rules::BUDGET),
    key!(rules::BUDGET_WINDOW),
    key!(rules::BUDGET_MIN),
];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "retry",
    env: "RETRY",
    keys: KEYS,
    fixed: &[
        NAME_AND_CRATE[0],
        NAME_AND_CRATE[1],
        (
            "when",
            "`when` is a path to a fn in the code and is set only in the attribute",
        ),
        (
            "when_ok",
            "`when_ok` is a path to a fn in the code and is set only in the attribute",
        ),
        (
            "retry_after",
            "`retry_after` is a path to a fn in the code and is set only in the attribute",
        ),
    ],
};

/// The word [`rules::BACKOFFS`] has for `kind`.
const fn backoff_name(kind: BackoffKind) -> &'static str {
    match kind {
        BackoffKind::Exponential => "exponential",
        BackoffKind::Linear => "linear",
        BackoffKind::Fixed => "fixed",
        BackoffKind::Decorrelated => "decorrelated",
    }
}

/// The word [`rules::JITTERS`] has for `jitter`.
const fn jitter_name(jitter: Jitter) -> &'static str {
    match jitter {
        Jitter::Full => "full",
        Jitter::Equal => "equal",
        Jitter::Proportional(_) => "proportional",
        Jitter::None => "none",
    }
}

fn backoff(name: &str) -> BackoffKind {
    match name {
        "linear" => BackoffKind::Linear,
        "fixed" => BackoffKind::Fixed,
        "decorrelated" => BackoffKind::Decorrelated,
        _ => BackoffKind::Exponential,
    }
}

impl Configurable for Retry {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(policy: RetryConfig, key: &str, setting: &Setting) -> RetryConfig {
        match (key, setting) {
            ("preset", Setting::Word(name)) => {
                let preset = RetryConfig::preset(match *name {
                    "aggressive" => Preset::Aggressive,
                    "patient" => Preset::Patient,
                    _ => Preset::Conservative,
                });
                policy
                    .with_max_attempts(preset.max_attempts())
                    .with_initial_delay(preset.initial_delay())
                    .with_max_delay(preset.max_delay())
                    .with_multiplier(preset.multiplier())
            }
            ("max_attempts", Setting::Whole(attempts)) => {
                policy.with_max_attempts(u32::try_from(*attempts).unwrap_or(u32::MAX))
            }
            ("backoff", Setting::Word(name)) => policy.with_backoff(backoff(name)),
            ("initial_delay", Setting::Duration(delay)) => policy.with_initial_delay(*delay),
            ("max_delay", Setting::Duration(delay)) => policy.with_max_delay(*delay),
            ("multiplier", Setting::Number(multiplier)) => policy.with_multiplier(*multiplier),
            ("jitter", Setting::Word(name)) => policy.with_jitter(match *name {
                "equal" => Jitter::Equal,
                "none" => Jitter::None,
                "proportional" => match policy.jitter() {
                    Jitter::Proportional(factor) => Jitter::Proportional(factor),
                    _ => Jitter::Proportional(DEFAULT_JITTER_FACTOR),
                },
                _ => Jitter::Full,
            }),
            ("jitter_factor", Setting::Number(factor)) => match policy.jitter() {
                Jitter::Proportional(_) => policy.with_jitter(Jitter::Proportional(*factor)),
                // Reported by `check`.
                _ => policy,
            },
            ("max_elapsed", Setting::Duration(elapsed)) => policy.with_max_elapsed(*elapsed),
            // A new percentage keeps the window and minimum in force, as the other keys
            // refine the budget in force; without one they are reported by `check`.
            ("budget", Setting::Number(percent)) => policy.with_budget(match policy.budget() {
                Some(budget) => RetryBudget::new(*percent)
                    .with_window(budget.window())
                    .with_min(budget.min().0, budget.min().1),
                None => RetryBudget::new(*percent),
            }),
            ("budget_window", Setting::Duration(window)) => match policy.budget() {
                Some(budget) => policy.with_budget(budget.with_window(*window)),
                None => policy,
            },
            ("budget_min", Setting::Rate(count, period)) => match policy.budget() {
                Some(budget) => policy.with_budget(budget.with_min(*count, *period)),
                None => policy,
            },
            _ => policy,
        }
    }

    fn check(set: &[&'static str], policy: &RetryConfig) -> Vec<(&'static str, String)> {
        // Configuration knows only the values in force, not which layer set them, so its
        // messages never say "the default `max_delay`" as the attribute's do.
        let view = View {
            set: Written(set),
            backoff: backoff_name(policy.backoff()),
            jitter: jitter_name(policy.jitter()),
            initial_delay: policy.initial_delay(),
            max_delay: InForce {
                value: policy.max_delay(),
                is_default: false,
            },
            budget: policy.budget().is_some(),
        };
        rules::COMBINATIONS
            .iter()
            .filter_map(|rule| (rule.check)(&view))
            .map(|problem| (problem.key, problem.message))
            .collect()
    }

    fn in_force(&self) -> RetryConfig {
        self.policy()
    }

    fn fixed_while_running(
        _before: &RetryConfig,
        _after: &RetryConfig,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn reconfigure(&self, policy: RetryConfig) {
        self.set_policy(policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn read(key: &str, raw: &str) -> Result<Setting, String> {
        (SPEC.key(key).unwrap().read)(&Raw::Text(raw.to_owned()))
    }

    fn apply(policy: RetryConfig, settings: &[(&str, &str)]) -> RetryConfig {
        settings.iter().fold(policy, |policy, (key, raw)| {
            Retry::set(policy, key, &read(key, raw).unwrap())
        })
    }

    #[test]
    fn bad_values() {
        let bad = [
            ("max_attempts", "0", "at least 1"),
            ("max_attempts", "4294967296", "out of range"),
            ("backoff", "exponental", "did you mean \"exponential\""),
            ("backoff", "quadratic", "expected one of"),
            ("initial_delay", "100", "missing unit"),
            ("max_delay", "10 s", "whitespace"),
            ("multiplier", "1", "greater than 1"),
            ("multiplier", "101", "at most 100"),
            ("jitter", "ful", "did you mean \"full\""),
            ("jitter_factor", "0", "greater than 0"),
            ("jitter_factor", "1.5", "at most 1"),
            ("max_elapsed", "0s", "greater than zero"),
            ("preset", "patience", "did you mean \"patient\""),
            ("budget", "20", "write \"20%\""),
            ("budget", "120%", "above 100%"),
            ("budget", "0%", "greater than 0%"),
            ("budget_window", "0s", "greater than zero"),
            ("budget_min", "10/dya", "did you mean \"10/day\""),
        ];
        for (key, raw, expected) in bad {
            let message = read(key, raw).unwrap_err();
            assert!(message.contains(expected), "{key} = {raw}: {message}");
        }
    }

    #[test]
    fn keys_apply_like_the_attribute() {
        let policy = apply(
            RetryConfig::new(),
            &[
                ("preset", "patient"),
                ("max_attempts", "6"),
                ("backoff", "linear"),
                ("jitter", "proportional"),
                ("jitter_factor", "0.3"),
                ("max_elapsed", "1m"),
            ],
        );
        assert_eq!(
            policy,
            RetryConfig::preset(Preset::Patient)
                .with_max_attempts(6)
                .with_backoff(BackoffKind::Linear)
                .with_jitter(Jitter::Proportional(0.3))
                .with_max_elapsed(Duration::from_secs(60))
        );
        // `jitter = "proportional"` keeps a factor already set, else takes the default.
        assert_eq!(
            apply(policy, &[("jitter", "proportional")]).jitter(),
            Jitter::Proportional(0.3)
        );
        assert_eq!(
            apply(RetryConfig::new(), &[("jitter", "proportional")]).jitter(),
            Jitter::Proportional(0.1)
        );
        for (name, jitter) in [
            ("full", Jitter::Full),
            ("equal", Jitter::Equal),
            ("none", Jitter::None),
        ] {
            assert_eq!(apply(policy, &[("jitter", name)]).jitter(), jitter);
        }
        for (name, kind) in [
            ("exponential", BackoffKind::Exponential),
            ("fixed", BackoffKind::Fixed),
            ("decorrelated", BackoffKind::Decorrelated),
        ] {
            assert_eq!(apply(policy, &[("backoff", name)]).backoff(), kind);
        }
        let tuned = apply(
            RetryConfig::new(),
            &[
                ("preset", "aggressive"),
                ("initial_delay", "1s"),
                ("max_delay", "20s"),
                ("multiplier", "3"),
            ],
        );
        assert_eq!(
            (
                tuned.max_attempts(),
                tuned.initial_delay(),
                tuned.max_delay(),
                tuned.multiplier()
            ),
            (5, Duration::from_secs(1), Duration::from_secs(20), 3.0)
        );
        assert_eq!(
            apply(RetryConfig::new(), &[("preset", "conservative")]),
            RetryConfig::preset(Preset::Conservative)
        );
    }

    #[test]
    fn budget_keys_refine_the_budget_in_force() {
        let policy = apply(
            RetryConfig::new(),
            &[
                ("budget", "20%"),
                ("budget_window", "30s"),
                ("budget_min", "0/s"),
            ],
        );
        let expected = RetryBudget::new(20.0)
            .with_window(Duration::from_secs(30))
            .with_min(0, Duration::from_secs(1));
        assert_eq!(policy.budget(), Some(expected));
        // A later layer changing only the share keeps the window and minimum.
        let policy = apply(policy, &[("budget", "5%")]);
        assert_eq!(
            policy.budget(),
            Some(
                RetryBudget::new(5.0)
                    .with_window(Duration::from_secs(30))
                    .with_min(0, Duration::from_secs(1))
            )
        );
        // A window without a budget in force changes nothing and is reported.
        assert_eq!(
            apply(RetryConfig::new(), &[("budget_window", "5s")]).budget(),
            None
        );
        let problems = Retry::check(&["budget_window", "budget_min"], &RetryConfig::new());
        assert_eq!(
            problems.iter().map(|(key, _)| *key).collect::<Vec<_>>(),
            ["budget_window", "budget_min"]
        );
        assert!(Retry::check(&["budget_window"], &policy).is_empty());
    }

    #[test]
    fn impossible_combinations() {
        let fixed = RetryConfig::new().with_backoff(BackoffKind::Fixed);
        let cases: [(&[&'static str], RetryConfig, &str); 5] = [
            (
                &["multiplier"],
                fixed,
                "only applies to `backoff = \"exponential\"`",
            ),
            (
                &["max_delay"],
                RetryConfig::new().with_max_delay(Duration::from_millis(10)),
                "must be at least `initial_delay`",
            ),
            (
                &["initial_delay"],
                RetryConfig::new().with_initial_delay(Duration::from_secs(60)),
                "raise `max_delay` too",
            ),
            (
                &["jitter"],
                RetryConfig::new().with_backoff(BackoffKind::Decorrelated),
                "already randomised",
            ),
            (
                &["jitter_factor"],
                RetryConfig::new(),
                "only applies to `jitter = \"proportional\"`",
            ),
        ];
        for (set, policy, expected) in cases {
            let problems = Retry::check(set, &policy);
            assert_eq!(problems.len(), 1, "{set:?}: {problems:?}");
            assert_eq!(problems[0].0, set[0]);
            assert!(problems[0].1.contains(expected), "{problems:?}");
        }
        assert!(Retry::check(&["backoff"], &fixed).is_empty());
    }

    /// Every word of the rule table's lists applies as the value the checks name it by.
    #[test]
    fn words_of_the_rule_table_round_trip() {
        for word in rules::BACKOFFS {
            let policy = apply(RetryConfig::new(), &[("backoff", *word)]);
            assert_eq!(backoff_name(policy.backoff()), *word);
        }
        for word in rules::JITTERS {
            let policy = apply(RetryConfig::new(), &[("jitter", *word)]);
            assert_eq!(jitter_name(policy.jitter()), *word);
        }
        for word in rules::PRESETS {
            let values = rules::preset(word).unwrap();
            let policy = apply(RetryConfig::new(), &[("preset", *word)]);
            assert_eq!(
                (
                    policy.max_attempts(),
                    policy.initial_delay(),
                    policy.max_delay(),
                    policy.multiplier()
                ),
                (
                    values.max_attempts,
                    values.initial_delay,
                    values.max_delay,
                    values.multiplier
                )
            );
        }
    }
}
