//! `retry` keys: the `#[retry]` attribute's, with its ranges and rules.

use super::keys::{
    Configurable, DURATION, Key, KindSpec, NAME_AND_CRATE, POSITIVE_DURATION, Setting, duration,
    positive_duration, whole_in, word,
};
use super::value::{self, Raw};
use crate::retry::{BackoffKind, Jitter, Preset, Retry, RetryPolicy};

/// The proportional jitter's factor when only `jitter = "proportional"` is given.
const DEFAULT_JITTER_FACTOR: f64 = 0.1;

const BACKOFFS: &[&str] = &["exponential", "linear", "fixed", "decorrelated"];
const JITTERS: &[&str] = &["full", "equal", "proportional", "none"];
const PRESETS: &[&str] = &["conservative", "aggressive", "patient"];

fn multiplier(raw: &Raw) -> Result<Setting, String> {
    let multiplier = value::number(raw)?;
    if multiplier <= 1.0 {
        Err(String::from(
            "`multiplier` must be greater than 1 so that delays grow",
        ))
    } else if multiplier > 100.0 {
        Err(String::from("`multiplier` must be at most 100"))
    } else {
        Ok(Setting::Number(multiplier))
    }
}

fn jitter_factor(raw: &Raw) -> Result<Setting, String> {
    let factor = value::number(raw)?;
    if factor <= 0.0 || factor > 1.0 {
        Err(String::from(
            "`jitter_factor` must be greater than 0 and at most 1",
        ))
    } else {
        Ok(Setting::Number(factor))
    }
}

/// Presets first: the other keys of the same source override what a preset sets; `jitter`
/// before `jitter_factor`, which refines it.
const KEYS: &[Key] = &[
    Key {
        name: "preset",
        accepted: "one of \"conservative\", \"aggressive\", \"patient\"",
        read: |raw| word(raw, "preset", PRESETS),
    },
    Key {
        name: "max_attempts",
        accepted: "a whole number from 1 to 4294967295 (every call, including the first)",
        read: |raw| {
            whole_in(
                raw,
                1,
                u64::from(u32::MAX),
                "`max_attempts` counts every call including the first, so it must be at least 1",
            )
            .map(Setting::Whole)
        },
    },
    Key {
        name: "backoff",
        accepted: "one of \"exponential\", \"linear\", \"fixed\", \"decorrelated\"",
        read: |raw| word(raw, "backoff", BACKOFFS),
    },
    Key {
        name: "initial_delay",
        accepted: DURATION,
        read: duration,
    },
    Key {
        name: "max_delay",
        accepted: DURATION,
        read: duration,
    },
    Key {
        name: "multiplier",
        accepted: "a number greater than 1 and at most 100",
        read: multiplier,
    },
    Key {
        name: "jitter",
        accepted: "one of \"full\", \"equal\", \"proportional\", \"none\"",
        read: |raw| word(raw, "jitter", JITTERS),
    },
    Key {
        name: "jitter_factor",
        accepted: "a number greater than 0 and at most 1",
        read: jitter_factor,
    },
    Key {
        name: "max_elapsed",
        accepted: POSITIVE_DURATION,
        read: |raw| positive_duration(raw, "max_elapsed"),
    },
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
            "retry_after",
            "`retry_after` is a path to a fn in the code and is set only in the attribute",
        ),
    ],
};

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

    fn set(policy: RetryPolicy, key: &str, setting: &Setting) -> RetryPolicy {
        match (key, setting) {
            ("preset", Setting::Word(name)) => {
                let preset = RetryPolicy::preset(match *name {
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
            _ => policy,
        }
    }

    fn check(set: &[&'static str], policy: &RetryPolicy) -> Vec<(&'static str, String)> {
        let has = |key: &str| set.contains(&key);
        let mut problems = Vec::new();
        if has("multiplier") && policy.backoff() != BackoffKind::Exponential {
            problems.push((
                "multiplier",
                String::from("`multiplier` only applies to `backoff = \"exponential\"`"),
            ));
        }
        let (initial, max) = (policy.initial_delay(), policy.max_delay());
        if max < initial {
            if has("max_delay") {
                problems.push((
                    "max_delay",
                    format!("`max_delay` ({max:?}) must be at least `initial_delay` ({initial:?})"),
                ));
            } else if has("initial_delay") {
                problems.push((
                    "initial_delay",
                    format!(
                        "`initial_delay` ({initial:?}) exceeds `max_delay` ({max:?}); raise `max_delay` too"
                    ),
                ));
            }
        }
        if policy.backoff() == BackoffKind::Decorrelated && has("jitter") {
            problems.push((
                "jitter",
                String::from("`backoff = \"decorrelated\"` is already randomised; remove `jitter`"),
            ));
        }
        if has("jitter_factor") && !matches!(policy.jitter(), Jitter::Proportional(_)) {
            problems.push((
                "jitter_factor",
                String::from("`jitter_factor` only applies to `jitter = \"proportional\"`"),
            ));
        }
        problems
    }

    fn in_force(&self) -> RetryPolicy {
        self.policy()
    }

    fn fixed_while_running(
        _before: &RetryPolicy,
        _after: &RetryPolicy,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn reconfigure(&self, policy: RetryPolicy) {
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

    fn apply(policy: RetryPolicy, settings: &[(&str, &str)]) -> RetryPolicy {
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
        ];
        for (key, raw, expected) in bad {
            let message = read(key, raw).unwrap_err();
            assert!(message.contains(expected), "{key} = {raw}: {message}");
        }
    }

    #[test]
    fn keys_apply_like_the_attribute() {
        let policy = apply(
            RetryPolicy::new(),
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
            RetryPolicy::preset(Preset::Patient)
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
            apply(RetryPolicy::new(), &[("jitter", "proportional")]).jitter(),
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
            RetryPolicy::new(),
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
            apply(RetryPolicy::new(), &[("preset", "conservative")]),
            RetryPolicy::preset(Preset::Conservative)
        );
    }

    #[test]
    fn impossible_combinations() {
        let fixed = RetryPolicy::new().with_backoff(BackoffKind::Fixed);
        let cases: [(&[&'static str], RetryPolicy, &str); 5] = [
            (
                &["multiplier"],
                fixed,
                "only applies to `backoff = \"exponential\"`",
            ),
            (
                &["max_delay"],
                RetryPolicy::new().with_max_delay(Duration::from_millis(10)),
                "must be at least `initial_delay`",
            ),
            (
                &["initial_delay"],
                RetryPolicy::new().with_initial_delay(Duration::from_secs(60)),
                "raise `max_delay` too",
            ),
            (
                &["jitter"],
                RetryPolicy::new().with_backoff(BackoffKind::Decorrelated),
                "already randomised",
            ),
            (
                &["jitter_factor"],
                RetryPolicy::new(),
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
}
