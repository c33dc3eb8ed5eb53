//! `circuit_breaker` keys: the `#[circuit_breaker]` attribute's, with its ranges and rules.

use std::time::Duration;

use super::keys::{
    Configurable, DURATION, Key, KindSpec, NAME_AND_CRATE, POSITIVE_DURATION, Setting, percent,
    positive_duration, whole_in,
};
use super::value::{self, Raw, WindowValue};
use crate::circuit_breaker::{
    CircuitBreaker, CircuitBreakerConfig, MAX_WINDOW_CALLS, MAX_WINDOW_SECS,
};

/// The attribute's bound on counts of calls and failures.
const MAX_COUNT: u64 = 1_000_000;
/// The most half-open trial calls (they share a packed atomic word).
const MAX_HALF_OPEN_CALLS: u64 = 16_383;
/// The largest `recovery_backoff`: beyond it a second failed recovery already means hours.
const MAX_RECOVERY_BACKOFF: f64 = 10.0;

fn failure_threshold(raw: &Raw) -> Result<Setting, String> {
    whole_in(
        raw,
        1,
        MAX_COUNT,
        "`failure_threshold` must be between 1 and 1000000 consecutive failures",
    )
    .map(Setting::Whole)
}

fn window(raw: &Raw) -> Result<Setting, String> {
    match value::window(raw)? {
        WindowValue::Calls(calls) if (1..=u64::from(MAX_WINDOW_CALLS)).contains(&calls) => {
            Ok(Setting::Window(WindowValue::Calls(calls)))
        }
        WindowValue::Calls(calls) => Err(format!(
            "{calls} is out of range: `window` must be between 1 and 100000 calls"
        )),
        WindowValue::Time(duration) => {
            if duration < Duration::from_secs(1) || duration.subsec_nanos() != 0 {
                Err(String::from(
                    "a time `window` is counted in one-second buckets: use whole seconds, at least \"1s\"",
                ))
            } else if duration > Duration::from_secs(MAX_WINDOW_SECS) {
                Err(String::from("a time `window` must be at most \"1h\""))
            } else {
                Ok(Setting::Window(WindowValue::Time(duration)))
            }
        }
    }
}

fn half_open_count(raw: &Raw, key: &str) -> Result<Setting, String> {
    whole_in(
        raw,
        1,
        MAX_HALF_OPEN_CALLS,
        &format!("`{key}` must be between 1 and 16383"),
    )
    .map(Setting::Whole)
}

fn recovery_backoff(raw: &Raw) -> Result<Setting, String> {
    let factor = value::number(raw)?;
    if factor <= 1.0 {
        Err(String::from(
            "`recovery_backoff` must be greater than 1 so that the open wait grows",
        ))
    } else if factor > MAX_RECOVERY_BACKOFF {
        Err(String::from("`recovery_backoff` must be at most 10"))
    } else {
        Ok(Setting::Number(factor))
    }
}

const KEYS: &[Key] = &[
    Key {
        name: "failure_threshold",
        accepted: "a whole number from 1 to 1000000",
        read: failure_threshold,
    },
    Key {
        name: "failure_rate",
        accepted: "a whole number from 1 to 100 (percent)",
        read: |raw| percent(raw, "failure_rate"),
    },
    Key {
        name: "window",
        accepted: "a number of calls from 1 to 100000, or whole seconds from \"1s\" to \"1h\"",
        read: window,
    },
    Key {
        name: "minimum_calls",
        accepted: "a whole number from 1 to 1000000",
        read: |raw| {
            whole_in(
                raw,
                1,
                MAX_COUNT,
                "`minimum_calls` must be between 1 and 1000000",
            )
            .map(Setting::Whole)
        },
    },
    Key {
        name: "slow_call_duration",
        accepted: POSITIVE_DURATION,
        read: |raw| positive_duration(raw, "slow_call_duration"),
    },
    Key {
        name: "slow_call_rate",
        accepted: "a whole number from 1 to 100 (percent)",
        read: |raw| percent(raw, "slow_call_rate"),
    },
    Key {
        name: "recovery_timeout",
        accepted: POSITIVE_DURATION,
        read: |raw| positive_duration(raw, "recovery_timeout"),
    },
    Key {
        name: "recovery_backoff",
        accepted: "a number greater than 1 and at most 10",
        read: recovery_backoff,
    },
    Key {
        name: "max_recovery_timeout",
        accepted: DURATION,
        read: super::keys::duration,
    },
    Key {
        name: "success_threshold",
        accepted: "a whole number from 1 to 16383",
        read: |raw| half_open_count(raw, "success_threshold"),
    },
    Key {
        name: "half_open_max_calls",
        accepted: "a whole number from 1 to 16383",
        read: |raw| half_open_count(raw, "half_open_max_calls"),
    },
    Key {
        name: "max_wait_in_half_open",
        accepted: POSITIVE_DURATION,
        read: |raw| positive_duration(raw, "max_wait_in_half_open"),
    },
];

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "circuit_breaker",
    env: "CIRCUIT_BREAKER",
    keys: KEYS,
    fixed: &[
        NAME_AND_CRATE[0],
        NAME_AND_CRATE[1],
        (
            "record_if",
            "`record_if` is a path to a fn in the code and is set only in the attribute",
        ),
        (
            "ignore_if",
            "`ignore_if` is a path to a fn in the code and is set only in the attribute",
        ),
    ],
};

/// Counts are range-checked when read, so they fit.
fn small(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

impl Configurable for CircuitBreaker {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: CircuitBreakerConfig, key: &str, setting: &Setting) -> CircuitBreakerConfig {
        match (key, setting) {
            ("failure_threshold", Setting::Whole(value)) => {
                config.with_failure_threshold(small(*value))
            }
            ("failure_rate", Setting::Whole(value)) => {
                config.with_failure_rate(u8::try_from(*value).unwrap_or(100))
            }
            ("window", Setting::Window(WindowValue::Calls(calls))) => {
                config.with_window_calls(small(*calls))
            }
            ("window", Setting::Window(WindowValue::Time(duration))) => {
                config.with_window_duration(*duration)
            }
            ("minimum_calls", Setting::Whole(value)) => config.with_minimum_calls(small(*value)),
            ("slow_call_duration", Setting::Duration(duration)) => {
                config.with_slow_call_duration(*duration)
            }
            ("slow_call_rate", Setting::Whole(value)) => {
                config.with_slow_call_rate(u8::try_from(*value).unwrap_or(100))
            }
            ("recovery_timeout", Setting::Duration(duration)) => {
                config.with_recovery_timeout(*duration)
            }
            ("recovery_backoff", Setting::Number(factor)) => config.with_recovery_backoff(*factor),
            ("max_recovery_timeout", Setting::Duration(duration)) => {
                config.with_max_recovery_timeout(*duration)
            }
            ("success_threshold", Setting::Whole(value)) => {
                config.with_success_threshold(small(*value))
            }
            ("half_open_max_calls", Setting::Whole(value)) => {
                config.with_half_open_max_calls(small(*value))
            }
            ("max_wait_in_half_open", Setting::Duration(duration)) => {
                config.with_max_wait_in_half_open(*duration)
            }
            _ => config,
        }
    }

    fn check(set: &[&'static str], config: &CircuitBreakerConfig) -> Vec<(&'static str, String)> {
        let has = |key: &str| set.contains(&key);
        let mut problems = Vec::new();
        let rate_model =
            config.failure_rate().is_some() || config.explicit_slow_call_rate().is_some();
        if has("failure_threshold") && config.failure_rate().is_some() {
            problems.push((
                "failure_threshold",
                String::from(
                    "`failure_threshold` (consecutive failures) and `failure_rate` are two trip models; keep one",
                ),
            ));
        }
        for key in ["window", "minimum_calls"] {
            if has(key) && !rate_model {
                problems.push((
                    key,
                    format!("`{key}` only applies with `failure_rate` or `slow_call_rate`"),
                ));
            }
        }
        if has("slow_call_duration") && config.explicit_slow_call_rate().is_none() {
            problems.push((
                "slow_call_duration",
                String::from(
                    "`slow_call_duration` needs `slow_call_rate` (the percentage of slow calls that trips the breaker)",
                ),
            ));
        }
        if has("slow_call_rate") && config.slow_call_duration().is_none() {
            problems.push((
                "slow_call_rate",
                String::from(
                    "`slow_call_rate` needs `slow_call_duration` (how long a call must take to count as slow)",
                ),
            ));
        }
        if let Some(max) = config.explicit_max_recovery_timeout() {
            let base = config.recovery_timeout();
            if has("max_recovery_timeout") && config.recovery_backoff().is_none() {
                problems.push((
                    "max_recovery_timeout",
                    String::from(
                        "`max_recovery_timeout` caps the growth of `recovery_backoff`; add `recovery_backoff` (e.g. `recovery_backoff = 2`) or remove it",
                    ),
                ));
            } else if max < base {
                let message = format!(
                    "`max_recovery_timeout` ({max:?}) is below `recovery_timeout` ({base:?})"
                );
                if has("max_recovery_timeout") {
                    problems.push(("max_recovery_timeout", message));
                } else if has("recovery_timeout") {
                    problems.push(("recovery_timeout", message));
                }
            }
        }
        if config.failure_rate().is_some() {
            if has("success_threshold") {
                problems.push((
                    "success_threshold",
                    String::from(
                        "`success_threshold` applies to the consecutive model; with `failure_rate` the half-open trial calls are judged by the rates once all `half_open_max_calls` of them complete",
                    ),
                ));
            }
        } else if let Some(permits) = config.explicit_half_open_max_calls() {
            let needed = config.success_threshold();
            let key = if has("half_open_max_calls") {
                Some("half_open_max_calls")
            } else if has("success_threshold") {
                Some("success_threshold")
            } else {
                None
            };
            if let Some(key) = key
                && permits < needed
            {
                problems.push((
                    key,
                    format!(
                        "`half_open_max_calls` ({permits}) is below `success_threshold` ({needed}): a half-open breaker would admit fewer trial calls than the successes it needs to close"
                    ),
                ));
            }
        }
        problems
    }

    fn in_force(&self) -> CircuitBreakerConfig {
        self.config()
    }

    fn fixed_while_running(
        _before: &CircuitBreakerConfig,
        _after: &CircuitBreakerConfig,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn reconfigure(&self, config: CircuitBreakerConfig) {
        CircuitBreaker::reconfigure(self, config);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::keys::Key;

    fn read(key: &str, raw: &str) -> Result<Setting, String> {
        let key: &Key = SPEC.key(key).unwrap();
        (key.read)(&Raw::Text(raw.to_owned()))
    }

    #[test]
    fn bounds_match_the_runtime() {
        assert_eq!(
            MAX_HALF_OPEN_CALLS,
            u64::from(
                crate::circuit_breaker::CircuitBreakerConfig::new()
                    .with_success_threshold(u32::MAX)
                    .success_threshold()
            )
        );
    }

    /// Every bad value is rejected with the attribute's words; every good one applies.
    #[test]
    fn values_are_read_as_the_attribute_reads_them() {
        let bad = [
            ("failure_threshold", "0", "between 1 and 1000000"),
            ("failure_threshold", "1000001", "between 1 and 1000000"),
            ("failure_threshold", "five", "whole number"),
            ("failure_rate", "0", "percentage from 1 to 100"),
            ("failure_rate", "101", "percentage from 1 to 100"),
            ("window", "0", "between 1 and 100000 calls"),
            ("window", "100001", "between 1 and 100000 calls"),
            ("window", "1500ms", "whole seconds"),
            ("window", "2h", "at most \"1h\""),
            ("window", "60 s", "whitespace"),
            ("minimum_calls", "0", "between 1 and 1000000"),
            ("slow_call_duration", "0s", "greater than zero"),
            ("slow_call_duration", "5", "missing unit"),
            ("slow_call_rate", "200", "percentage"),
            ("recovery_timeout", "30sec", "did you mean \"30s\""),
            ("recovery_timeout", "0ms", "greater than zero"),
            ("recovery_backoff", "1", "greater than 1"),
            ("recovery_backoff", "11", "at most 10"),
            ("recovery_backoff", "fast", "expected a number"),
            ("max_recovery_timeout", "forever", "expected a number"),
            ("success_threshold", "16384", "between 1 and 16383"),
            ("half_open_max_calls", "0", "between 1 and 16383"),
            ("max_wait_in_half_open", "0s", "greater than zero"),
        ];
        for (key, raw, expected) in bad {
            let message = read(key, raw).unwrap_err();
            assert!(message.contains(expected), "{key} = {raw}: {message}");
        }
        let mut config = CircuitBreakerConfig::new();
        let good = [
            ("failure_rate", "40"),
            ("window", "60s"),
            ("minimum_calls", "7"),
            ("slow_call_duration", "2s"),
            ("slow_call_rate", "80"),
            ("recovery_timeout", "10s"),
            ("recovery_backoff", "2.5"),
            ("max_recovery_timeout", "5m"),
            ("half_open_max_calls", "4"),
            ("max_wait_in_half_open", "30s"),
        ];
        for (key, raw) in good {
            config = CircuitBreaker::set(config, key, &read(key, raw).unwrap());
        }
        let expected = CircuitBreakerConfig::new()
            .with_failure_rate(40)
            .with_window_duration(Duration::from_secs(60))
            .with_minimum_calls(7)
            .with_slow_call_duration(Duration::from_secs(2))
            .with_slow_call_rate(80)
            .with_recovery_timeout(Duration::from_secs(10))
            .with_recovery_backoff(2.5)
            .with_max_recovery_timeout(Duration::from_secs(300))
            .with_half_open_max_calls(4)
            .with_max_wait_in_half_open(Duration::from_secs(30));
        assert_eq!(config, expected);
        let keys: Vec<&str> = good.iter().map(|(key, _)| *key).collect();
        assert!(CircuitBreaker::check(&keys_static(&keys), &config).is_empty());
        let counted = CircuitBreaker::set(config, "window", &read("window", "20").unwrap());
        assert_eq!(
            counted.window(),
            crate::circuit_breaker::SlidingWindow::Calls(20)
        );
        let consecutive = CircuitBreaker::set(
            CircuitBreakerConfig::new(),
            "failure_threshold",
            &read("failure_threshold", "9").unwrap(),
        );
        assert_eq!(consecutive.failure_threshold(), 9);
        let trials = CircuitBreaker::set(
            consecutive,
            "success_threshold",
            &read("success_threshold", "3").unwrap(),
        );
        assert_eq!(trials.success_threshold(), 3);
    }

    fn keys_static(keys: &[&str]) -> Vec<&'static str> {
        keys.iter().map(|key| SPEC.key(key).unwrap().name).collect()
    }

    #[test]
    fn impossible_combinations_name_the_key_that_was_set() {
        let rated = CircuitBreakerConfig::new().with_failure_rate(50);
        let cases: [(&[&'static str], CircuitBreakerConfig, &str, &str); 9] = [
            (
                &["failure_threshold"],
                rated,
                "failure_threshold",
                "two trip models",
            ),
            (
                &["window"],
                CircuitBreakerConfig::new(),
                "window",
                "only applies with",
            ),
            (
                &["minimum_calls"],
                CircuitBreakerConfig::new(),
                "minimum_calls",
                "only applies with",
            ),
            (
                &["slow_call_duration"],
                rated.with_slow_call_duration(Duration::from_secs(1)),
                "slow_call_duration",
                "needs `slow_call_rate`",
            ),
            (
                &["slow_call_rate"],
                rated.with_slow_call_rate(50),
                "slow_call_rate",
                "needs `slow_call_duration`",
            ),
            (
                &["max_recovery_timeout"],
                CircuitBreakerConfig::new().with_max_recovery_timeout(Duration::from_secs(600)),
                "max_recovery_timeout",
                "add `recovery_backoff`",
            ),
            (
                &["recovery_timeout"],
                CircuitBreakerConfig::new()
                    .with_recovery_backoff(2.0)
                    .with_max_recovery_timeout(Duration::from_secs(30)),
                "recovery_timeout",
                "is below `recovery_timeout`",
            ),
            (
                &["success_threshold"],
                rated.with_success_threshold(3),
                "success_threshold",
                "consecutive model",
            ),
            (
                &["success_threshold"],
                CircuitBreakerConfig::new()
                    .with_half_open_max_calls(2)
                    .with_success_threshold(3),
                "success_threshold",
                "below `success_threshold`",
            ),
        ];
        for (set, config, key, expected) in cases {
            let problems = CircuitBreaker::check(set, &config);
            assert_eq!(problems.len(), 1, "{set:?}: {problems:?}");
            assert_eq!(problems[0].0, key);
            assert!(problems[0].1.contains(expected), "{problems:?}");
        }
        // A combination the declaration made, with no key of it set, is not reported.
        assert!(CircuitBreaker::check(&["recovery_backoff"], &rated).is_empty());
    }
}
