//! `circuit_breaker` keys: the `#[circuit_breaker]` attribute's, with its ranges and rules
//! (all from `resilience_syntax::rules::circuit_breaker`, which the attribute checks too).

use resilience_syntax::rules::circuit_breaker::{self as rules, View};
// What the unit tests below name from here.
use resilience_syntax::rules::{InForce, Written};
#[cfg(test)]
use {
    super::value::Raw, resilience_syntax::rules::circuit_breaker::MAX_HALF_OPEN_CALLS,
    std::time::Duration,
};

use super::keys::{Configurable, Key, KindSpec, NAME_AND_CRATE, Setting, key};
use super::value::WindowValue;
use crate::circuit_breaker::{Backend, CircuitBreaker, CircuitBreakerConfig};

const KEYS: &[Key] = &[
    key!(rules::BACKEND),
    key!(rules::BACKEND_TIMEOUT),
    key!(rules::FAILURE_THRESHOLD),
    key!(rules::FAILURE_RATE),
    key!(rules::WINDOW),
    key!(rules::MINIMUM_CALLS),
    key!(rules::SLOW_CALL_DURATION),
    key!(rules::SLOW_CALL_RATE),
    key!(rules::RECOVERY_TIMEOUT),
    key!(rules::RECOVERY_BACKOFF),
    key!(rules::MAX_RECOVERY_TIMEOUT),
    key!(rules::SUCCESS_THRESHOLD),
    key!(rules::HALF_OPEN_MAX_CALLS),
    key!(rules::MAX_WAIT_IN_HALF_OPEN),
    key!(rules::SYNC_INTERVAL),
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
        (
            "record_if_ok",
            "`record_if_ok` is a path to a fn in the code and is set only in the attribute",
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
            ("backend", Setting::Word(name)) => config.with_backend(if *name == "redis" {
                Backend::Redis
            } else {
                Backend::Local
            }),
            ("backend_timeout", Setting::Duration(timeout)) => {
                config.with_backend_timeout(*timeout)
            }
            ("sync_interval", Setting::Duration(interval)) => config.with_sync_interval(*interval),
            _ => config,
        }
    }

    fn check(set: &[&'static str], config: &CircuitBreakerConfig) -> Vec<(&'static str, String)> {
        // Configuration knows only the values in force, not which layer set them, so its
        // messages never add ", the default" as the attribute's do.
        let view = View {
            set: Written(set),
            failure_rate: config.failure_rate().map(u64::from),
            slow_call_rate: config.explicit_slow_call_rate().map(u64::from),
            slow_call_duration: config.slow_call_duration(),
            recovery_timeout: InForce {
                value: config.recovery_timeout(),
                is_default: false,
            },
            recovery_backoff: config.recovery_backoff(),
            max_recovery_timeout: config.explicit_max_recovery_timeout(),
            success_threshold: Some(InForce {
                value: u64::from(config.success_threshold()),
                is_default: false,
            }),
            half_open_max_calls: config.explicit_half_open_max_calls().map(u64::from),
            backend: match config.backend() {
                Backend::Local => "local",
                Backend::Redis => "redis",
            },
        };
        let mut problems: Vec<(&'static str, String)> = rules::COMBINATIONS
            .iter()
            .filter_map(|rule| (rule.check)(&view))
            .map(|problem| (problem.key, problem.message))
            .collect();
        if set.contains(&"backend")
            && config.backend() == Backend::Redis
            && !cfg!(feature = "redis")
        {
            problems.push((
                "backend",
                String::from("`backend = \"redis\"` needs resilience-runtime's `redis` feature"),
            ));
        }
        problems
    }

    fn in_force(&self) -> CircuitBreakerConfig {
        self.config()
    }

    fn fixed_while_running(
        before: &CircuitBreakerConfig,
        after: &CircuitBreakerConfig,
    ) -> Vec<(&'static str, String)> {
        // The link to the fleet is made with the breaker, once.
        [
            ("backend", before.backend() != after.backend()),
            (
                "backend_timeout",
                before.backend_timeout() != after.backend_timeout(),
            ),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(key, _)| {
            (
                key,
                format!(
                    "`{key}` of a running circuit breaker cannot change: set it before the \
                     breaker is created (environment variables, or config::load/apply before \
                     the registry starts)"
                ),
            )
        })
        .collect()
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
            ("sync_interval", "5ms", "from 10ms to 500ms"),
            ("sync_interval", "1s", "from 10ms to 500ms"),
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
            ("sync_interval", "250ms"),
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
            .with_max_wait_in_half_open(Duration::from_secs(30))
            .with_sync_interval(Duration::from_millis(250));
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
