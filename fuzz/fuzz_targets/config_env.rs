//! Any set of environment variables, mostly `RESILIENCE_<KIND>_<NAME>_<KEY>` ones: a
//! configuration in range, or errors that each name one of the variables given.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use resilience_fuzz::assert_sound;
use resilience_runtime::config::dry_run_env;

#[derive(Debug, Arbitrary)]
enum Kind {
    CircuitBreaker,
    RateLimiter,
    Bulkhead,
    Retry,
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Key {
    Known(u8),
    Other(String),
}

/// Every configurable key, and a few that are not.
const KEYS: &[&str] = &[
    "failure_threshold",
    "failure_rate",
    "window",
    "minimum_calls",
    "slow_call_duration",
    "slow_call_rate",
    "recovery_timeout",
    "recovery_backoff",
    "max_recovery_timeout",
    "success_threshold",
    "half_open_max_calls",
    "max_wait_in_half_open",
    "rate",
    "burst",
    "on_limit",
    "max_wait",
    "max_queue",
    "max_keys",
    "idle_ttl",
    "backend",
    "on_backend_error",
    "max_concurrent",
    "preset",
    "max_attempts",
    "backoff",
    "initial_delay",
    "max_delay",
    "multiplier",
    "jitter",
    "jitter_factor",
    "max_elapsed",
    "when",
    "name",
    "key",
];

#[derive(Debug, Arbitrary)]
enum Variable {
    /// `RESILIENCE_<KIND>_<NAME>_<KEY>`.
    Setting {
        kind: Kind,
        name: String,
        key: Key,
        value: String,
    },
    /// `RESILIENCE_DISABLED`.
    Disabled(String),
    /// Any name and value, as raw bytes (not always UTF-8).
    Raw(Vec<u8>, Vec<u8>),
}

impl Variable {
    fn pair(&self) -> (std::ffi::OsString, std::ffi::OsString) {
        use std::os::unix::ffi::OsStringExt;
        match self {
            Self::Setting {
                kind,
                name,
                key,
                value,
            } => {
                let kind = match kind {
                    Kind::CircuitBreaker => "circuit_breaker",
                    Kind::RateLimiter => "rate_limiter",
                    Kind::Bulkhead => "bulkhead",
                    Kind::Retry => "retry",
                    Kind::Other(other) => other,
                };
                let key = match key {
                    Key::Known(index) => KEYS[usize::from(*index) % KEYS.len()],
                    Key::Other(other) => other,
                };
                (
                    resilience_runtime::config::variable_name(kind, name, key).into(),
                    value.into(),
                )
            }
            Self::Disabled(value) => ("RESILIENCE_DISABLED".into(), value.into()),
            Self::Raw(name, value) => (
                std::ffi::OsString::from_vec(name.clone()),
                std::ffi::OsString::from_vec(value.clone()),
            ),
        }
    }
}

fuzz_target!(|variables: Vec<Variable>| {
    let pairs: Vec<_> = variables.iter().map(Variable::pair).collect();
    let result = dry_run_env(pairs.clone());
    assert_sound(&result);
    if let Err(error) = &result {
        let names: Vec<String> = pairs
            .iter()
            .filter_map(|(name, _)| name.clone().into_string().ok())
            .collect();
        for issue in error.issues() {
            assert!(
                names.contains(&issue.at),
                "{issue} names none of the variables {names:?}"
            );
        }
    }
});
