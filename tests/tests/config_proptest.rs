//! Property tests of the configuration loaders (environment variables and TOML), through
//! `config::dry_run_env` / `config::dry_run_str`, which read and check a source exactly as
//! startup and `config::load_str` do but apply nothing (no process environment, no registry):
//!
//! - any variable value and any TOML text gives a configuration or an error, never a panic;
//!   every error names its variable or key, and every accepted configuration is in range;
//! - a generated out-of-range value or wrong type is rejected with one error naming exactly
//!   `RESILIENCE_<KIND>_<NAME>_<KEY>` or `kind."name".key`;
//! - a generated valid value is accepted with exactly that value.
//!
//! `PROPTEST_CASES=10000 cargo test -p resilience-tests --test config_proptest` for a longer
//! run.

#[path = "support/config_ranges.rs"]
mod config_ranges;

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::select;
use resilience_runtime::circuit_breaker::SlidingWindow;
use resilience_runtime::config::{self, ConfigError, DryRun, dry_run_env, dry_run_str};
use resilience_runtime::retry::Jitter;

use config_ranges::assert_in_range;

/// Every configurable key, by kind.
const KEYS: &[(&str, &[&str])] = &[
    (
        "circuit_breaker",
        &[
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
        ],
    ),
    (
        "rate_limiter",
        &[
            "rate",
            "burst",
            "on_limit",
            "max_wait",
            "max_queue",
            "max_keys",
            "idle_ttl",
            "backend",
            "on_backend_error",
        ],
    ),
    ("bulkhead", &["max_concurrent", "max_wait"]),
    (
        "retry",
        &[
            "preset",
            "max_attempts",
            "backoff",
            "initial_delay",
            "max_delay",
            "multiplier",
            "jitter",
            "jitter_factor",
            "max_elapsed",
        ],
    ),
];

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        // Integration tests have no lib.rs for proptest to put regressions beside.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A kind and one of its keys.
fn kind_and_key() -> impl Strategy<Value = (&'static str, &'static str)> {
    select(
        KEYS.iter()
            .flat_map(|(kind, keys)| keys.iter().map(move |key| (*kind, *key)))
            .collect::<Vec<_>>(),
    )
}

/// An instance name. It ends in a digit, so that no key word ends it and its variable
/// splits one way only (`..._DB_MAX_RECOVERY_TIMEOUT` could be `db-max` + `recovery_timeout`).
fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,6}([-_.:][a-z0-9]{1,5}){0,2}-[0-9]{1,3}"
}

/// `name` as in a variable: upper-cased, runs of other characters than letters and digits
/// turned into `_`.
fn normalized(name: &str) -> String {
    let prefix = config::variable_name("bulkhead", name, "max_wait");
    prefix["RESILIENCE_BULKHEAD_".len()..prefix.len() - "_MAX_WAIT".len()].to_owned()
}

/// A value as the test writes it: rendered as an environment variable's text or a TOML value.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i128),
    Float(f64),
    Text(String),
    Bool(bool),
    /// A TOML value of a type no key takes: an array, a date, an inline table.
    Toml(&'static str),
}

impl Value {
    fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    fn duration(duration: Duration) -> Self {
        Self::Text(resilience_syntax::format_duration(duration))
    }

    /// The variable's text.
    fn env(&self) -> String {
        match self {
            Self::Int(value) => value.to_string(),
            Self::Float(value) => value.to_string(),
            Self::Text(text) => text.clone(),
            Self::Bool(value) => value.to_string(),
            Self::Toml(value) => (*value).to_owned(),
        }
    }

    /// The TOML literal.
    fn toml(&self) -> String {
        match self {
            Self::Int(value) => value.to_string(),
            Self::Float(value) if value.is_nan() => String::from("nan"),
            Self::Float(value) if value.is_infinite() => {
                String::from(if *value > 0.0 { "inf" } else { "-inf" })
            }
            Self::Float(value) => format!("{value:?}"),
            Self::Text(text) => toml_string(text),
            Self::Bool(value) => value.to_string(),
            Self::Toml(value) => (*value).to_owned(),
        }
    }
}

/// A TOML basic string holding `text` exactly.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// `settings` of instance `name` of `kind` as environment variables.
fn env_vars(kind: &str, name: &str, settings: &[(&str, Value)]) -> Vec<(String, String)> {
    settings
        .iter()
        .map(|(key, value)| (config::variable_name(kind, name, key), value.env()))
        .collect()
}

/// `settings` of instance `name` of `kind` as a TOML document.
fn toml_doc(kind: &str, name: &str, settings: &[(&str, Value)]) -> String {
    let mut doc = format!("[{kind}.{}]\n", toml_string(name));
    for (key, value) in settings {
        doc.push_str(&format!("{key} = {}\n", value.toml()));
    }
    doc
}

/// Where an error about `key` of `name` must point, in a TOML document.
fn toml_path(kind: &str, name: &str, key: &str) -> String {
    format!("{kind}.{name:?}.{key}")
}

/// The error has exactly one issue, at `at`, with a message, and its text names `at`.
fn assert_rejected_at(result: Result<DryRun, ConfigError>, at: &str, source: &str) {
    let error = match result {
        Ok(dry_run) => panic!("accepted {source}\n{dry_run:#?}"),
        Err(error) => error,
    };
    let places: Vec<&str> = error
        .issues()
        .iter()
        .map(|issue| issue.at.as_str())
        .collect();
    assert_eq!(places, [at], "{source}\n{error}");
    assert!(!error.issues()[0].message.trim().is_empty(), "{error}");
    assert!(error.to_string().contains(at), "{error}");
}

/// Checks an error from a source whose every issue must be at one of `places`.
fn assert_issues_among(error: &ConfigError, places: &[String], source: &str) {
    assert!(!error.issues().is_empty(), "{source}");
    for issue in error.issues() {
        assert!(
            places.contains(&issue.at),
            "{source}\nissue at {:?} names none of {places:?}: {issue}",
            issue.at
        );
        assert!(!issue.message.trim().is_empty(), "{source}: {issue}");
    }
}

/// Text likely to be close to valid values: numbers, durations, rates, words.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "-?[0-9]{1,25}(\\.[0-9]{0,12})?([eE][-+]?[0-9]{1,3})?",
        "[0-9.]{1,8}(ns|us|µs|ms|s|m|min|h|d|sec){1,3}",
        "[0-9]{1,12}/([0-9]{1,4})?(s|min|h|day|ms|m)",
        select(vec![
            "exponential",
            "linear",
            "fixed",
            "decorrelated",
            "full",
            "equal",
            "proportional",
            "none",
            "conservative",
            "aggressive",
            "patient",
            "wait",
            "reject",
            "queue",
            "local",
            "redis",
            "allow",
            "deny",
            "NaN",
            "inf",
            "",
        ])
        .prop_map(String::from),
    ]
}

/// Any TOML value, of every type.
fn toml_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|value| Value::Int(value.into())),
        (-5i64..200_000).prop_map(|value| Value::Int(value.into())),
        any::<f64>().prop_map(Value::Float),
        value_text().prop_map(Value::Text),
        any::<bool>().prop_map(Value::Bool),
        select(vec!["[1, 2]", "1979-05-27", "{ a = 1 }", "[]", "07:32:00"]).prop_map(Value::Toml),
    ]
}

proptest! {
    #![proptest_config(cases())]

    /// Any text in any variable: a configuration in range, or errors naming that variable.
    #[test]
    fn any_env_value_is_read_or_rejected_by_name(
        (kind, key) in kind_and_key(),
        name in name(),
        text in value_text(),
    ) {
        let variable = config::variable_name(kind, &name, key);
        match dry_run_env([(variable.as_str(), text.as_str())]) {
            Ok(dry_run) => assert_in_range(&dry_run),
            Err(error) => assert_issues_among(&error, std::slice::from_ref(&variable), &format!("{variable}={text:?}")),
        }
    }

    /// Any variables at all, `RESILIENCE_*` or not: errors name one of them.
    #[test]
    fn any_env_variables_are_read_or_rejected_by_name(
        vars in prop::collection::vec(
            (
                prop_oneof![
                    "RESILIENCE_[A-Z_]{0,40}",
                    "RESILIENCE_(CIRCUIT_BREAKER|RATE_LIMITER|BULKHEAD|RETRY)_[A-Z0-9_]{1,40}",
                    any::<String>(),
                ],
                value_text(),
            ),
            0..6,
        ),
    ) {
        match dry_run_env(vars.clone()) {
            Ok(dry_run) => assert_in_range(&dry_run),
            Err(error) => {
                let names: Vec<String> = vars.iter().map(|(name, _)| name.clone()).collect();
                assert_issues_among(&error, &names, &format!("{vars:?}"));
            }
        }
    }

    /// Any text as a TOML document: a configuration in range, or errors with a message.
    #[test]
    fn any_toml_text_is_read_or_rejected(text in prop_oneof![
        any::<String>(),
        "(\\[[a-z_.\"-]{0,30}\\]\n)?([a-z_]{0,20} = [-0-9a-z\".\\[\\]/]{0,12}\n){0,4}",
    ]) {
        match dry_run_str(&text) {
            Ok(dry_run) => assert_in_range(&dry_run),
            Err(error) => {
                for issue in error.issues() {
                    prop_assert!(!issue.message.trim().is_empty(), "{:?}: {}", text, issue);
                    prop_assert!(!issue.at.is_empty(), "{:?}: {}", text, issue);
                }
            }
        }
    }

    /// Well-formed TOML with any keys and values of any type: errors name the key path.
    #[test]
    fn any_toml_key_and_value_is_read_or_rejected_by_path(
        entries in prop::collection::btree_map(
            (kind_and_key(), name()),
            toml_value(),
            1..6,
        ),
    ) {
        let mut doc = String::new();
        let mut places = Vec::new();
        for (((kind, key), name), value) in &entries {
            doc.push_str(&toml_doc(kind, name, &[(key, value.clone())]));
            places.push(toml_path(kind, name, key));
        }
        // One table per instance: merge repeated headers by rebuilding from a parsed table
        // would hide what is tested, so only documents with distinct instances are kept.
        let mut headers: Vec<_> = entries.keys().map(|((kind, _), name)| (*kind, name)).collect();
        let before = headers.len();
        headers.sort();
        headers.dedup();
        prop_assume!(headers.len() == before);
        match dry_run_str(&doc) {
            Ok(dry_run) => assert_in_range(&dry_run),
            Err(error) => assert_issues_among(&error, &places, &doc),
        }
    }
}

/// A key set to a value out of its range (or of a type it does not take), with the other
/// keys it needs to be meaningful.
#[derive(Debug, Clone)]
struct Bad {
    kind: &'static str,
    key: &'static str,
    value: Value,
    needs: Vec<(&'static str, Value)>,
    /// Whether the value is out of range in both sources; a wrong TOML type (a string where
    /// a number goes) is fine as an environment variable's text.
    env_too: bool,
}

fn bad(
    kind: &'static str,
    key: &'static str,
    values: impl Strategy<Value = Value>,
) -> impl Strategy<Value = Bad> {
    values.prop_map(move |value| Bad {
        kind,
        key,
        value,
        needs: Vec::new(),
        env_too: true,
    })
}

fn ints(range: impl Strategy<Value = i128>) -> impl Strategy<Value = Value> {
    range.prop_map(Value::Int)
}

fn floats(range: impl Strategy<Value = f64>) -> impl Strategy<Value = Value> {
    range.prop_map(Value::Float)
}

/// Below `min`, negative, or above `max` (up to beyond u64 for the environment; TOML
/// integers stop at i64).
fn out_of(min: i128, max: i128) -> impl Strategy<Value = Value> {
    prop_oneof![
        ints(i128::from(i64::MIN)..min),
        ints(max + 1..=i128::from(i64::MAX)),
        Just(Value::Int(0)).prop_filter("in range", move |_| min > 0),
        Just(Value::Int(max + 1)),
    ]
}

fn bad_value() -> impl Strategy<Value = Bad> {
    let whole_counts = prop_oneof![
        bad("retry", "max_attempts", out_of(1, u32::MAX.into())),
        bad("circuit_breaker", "failure_threshold", out_of(1, 1_000_000)),
        bad("circuit_breaker", "failure_rate", out_of(1, 100)),
        bad("circuit_breaker", "minimum_calls", out_of(1, 1_000_000)),
        bad("circuit_breaker", "success_threshold", out_of(1, 16_383)),
        bad("circuit_breaker", "half_open_max_calls", out_of(1, 16_383)),
        bad("bulkhead", "max_concurrent", out_of(1, u32::MAX.into())),
        bad("rate_limiter", "burst", out_of(1, u32::MAX.into())),
        bad("rate_limiter", "max_keys", out_of(1, u32::MAX.into())),
    ];
    let rated = || vec![("failure_rate", Value::Int(50))];
    let numbers = prop_oneof![
        bad(
            "retry",
            "multiplier",
            prop_oneof![
                floats(-1e300..=1.0),
                floats(100.000_001..1e300),
                Just(Value::Float(f64::NAN)),
                Just(Value::Float(f64::INFINITY)),
                ints(-1000i128..=1),
            ]
        ),
        bad(
            "circuit_breaker",
            "recovery_backoff",
            prop_oneof![
                floats(-10.0..=1.0),
                floats(10.000_001..1e9),
                ints(11i128..100),
            ]
        ),
        bad(
            "retry",
            "jitter_factor",
            prop_oneof![floats(-1.0..=0.0), floats(1.000_001..1e6)]
        )
        .prop_map(|mut bad| {
            bad.needs.push(("jitter", Value::text("proportional")));
            bad
        }),
    ];
    let times = prop_oneof![
        bad(
            "circuit_breaker",
            "recovery_timeout",
            Just(Value::text("0s"))
        ),
        bad(
            "circuit_breaker",
            "max_wait_in_half_open",
            Just(Value::text("0ms"))
        ),
        bad("rate_limiter", "idle_ttl", Just(Value::text("0h"))),
        bad("retry", "max_elapsed", Just(Value::text("0ns"))),
        bad(
            "circuit_breaker",
            "window",
            prop_oneof![
                ints(100_001i128..1_000_000_000),
                Just(Value::Int(0)),
                (3601u64..1_000_000).prop_map(|secs| Value::duration(Duration::from_secs(secs))),
                (1u32..1_000_000_000).prop_map(|nanos| Value::duration(Duration::new(1, nanos))),
            ]
        )
        .prop_map(move |mut bad| {
            bad.needs = rated();
            bad
        }),
        // max_delay below initial_delay.
        (1u64..u64::from(u32::MAX), any::<prop::sample::Index>()).prop_map(|(initial, below)| {
            Bad {
                kind: "retry",
                key: "max_delay",
                value: Value::duration(Duration::from_millis(
                    below.index(usize::try_from(initial).unwrap()) as u64,
                )),
                needs: vec![(
                    "initial_delay",
                    Value::duration(Duration::from_millis(initial)),
                )],
                env_too: true,
            }
        }),
        bad(
            "rate_limiter",
            "rate",
            prop_oneof![
                Just(Value::text("0/s")),
                (u64::from(u32::MAX) + 1..u64::MAX)
                    .prop_map(|count| Value::Text(format!("{count}/s"))),
                Just(Value::text("1/0s")),
            ]
        ),
    ];
    let wrong_types = (
        kind_and_key(),
        prop_oneof![
            Just(Value::Toml("[1, 2]")),
            Just(Value::Toml("1979-05-27")),
            Just(Value::Toml("{ a = 1 }")),
            any::<bool>().prop_map(Value::Bool),
        ],
    )
        .prop_map(|((kind, key), value)| Bad {
            kind,
            key,
            value,
            needs: Vec::new(),
            env_too: false,
        });
    let quoted_numbers = prop_oneof![
        Just("max_attempts"),
        Just("multiplier"),
        Just("jitter_factor"),
    ]
    .prop_flat_map(|key| (Just(key), 0u32..1000))
    .prop_map(|(key, n)| Bad {
        kind: "retry",
        key,
        value: Value::Text(n.to_string()),
        needs: Vec::new(),
        env_too: false,
    });
    prop_oneof![whole_counts, numbers, times, wrong_types, quoted_numbers]
}

proptest! {
    #![proptest_config(cases())]

    /// An out-of-range value or a wrong type is rejected with one error naming exactly its
    /// variable and its key path.
    #[test]
    fn out_of_range_values_are_rejected_naming_the_variable(bad in bad_value(), name in name()) {
        let mut settings = bad.needs.clone();
        settings.push((bad.key, bad.value.clone()));
        if bad.env_too {
            let vars = env_vars(bad.kind, &name, &settings);
            assert_rejected_at(dry_run_env(vars.clone()), &config::variable_name(bad.kind, &name, bad.key), &format!("{vars:?}"));
        }
        if let Value::Int(value) = bad.value
            && i64::try_from(value).is_err()
        {
            return Ok(()); // TOML integers are i64: a syntax error, tested below.
        }
        let doc = toml_doc(bad.kind, &name, &settings);
        assert_rejected_at(dry_run_str(&doc), &toml_path(bad.kind, &name, bad.key), &doc);
    }

    /// A whole number beyond u64 in a variable is out of range, named by its variable.
    #[test]
    fn huge_env_numbers_are_rejected_naming_the_variable(digits in "[1-9][0-9]{20,40}", name in name()) {
        let variable = config::variable_name("retry", &name, "max_attempts");
        let result = dry_run_env([(variable.as_str(), digits.as_str())]);
        assert_rejected_at(result.clone(), &variable, &digits);
        prop_assert!(result.unwrap_err().to_string().contains("out of range"));
    }

    /// A TOML integer beyond i64 is a TOML error that shows the line it is on.
    #[test]
    fn huge_toml_integers_show_their_line(digits in "[1-9][0-9]{19,40}", name in name()) {
        prop_assume!(digits.parse::<i64>().is_err());
        let doc = format!("[retry.{}]\nmax_attempts = {digits}\n", toml_string(&name));
        let message = dry_run_str(&doc).unwrap_err().to_string();
        prop_assert!(message.contains(&format!("max_attempts = {digits}")), "{}", message);
    }
}

/// A valid value for a key, and what the configuration must then hold.
#[derive(Debug, Clone)]
struct Good {
    kind: &'static str,
    key: &'static str,
    value: Value,
    needs: Vec<(&'static str, Value)>,
    expect: Expect,
}

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    MaxAttempts(u32),
    FailureThreshold(u32),
    FailureRate(u8),
    WindowCalls(u32),
    WindowSecs(u64),
    RecoveryTimeout(Duration),
    RecoveryBackoff(f64),
    HalfOpenMaxCalls(u32),
    MaxConcurrent(usize),
    BulkheadMaxWait(Duration),
    Multiplier(f64),
    Delays(Duration, Duration),
    JitterFactor(f64),
    Rate(u32, Duration),
    Burst(u32),
}

impl Expect {
    /// The instance's configuration in `dry_run` holds exactly the expected value.
    fn check(&self, dry_run: &DryRun, name: &str) {
        let breaker = || dry_run.circuit_breakers[name];
        let retry = || dry_run.retries[name];
        let limiter = || dry_run.rate_limiters[name];
        let actual = match self {
            Self::MaxAttempts(_) => Self::MaxAttempts(retry().max_attempts()),
            Self::FailureThreshold(_) => Self::FailureThreshold(breaker().failure_threshold()),
            Self::FailureRate(_) => Self::FailureRate(breaker().failure_rate().unwrap_or(0)),
            Self::WindowCalls(_) | Self::WindowSecs(_) => match breaker().window() {
                SlidingWindow::Calls(calls) => Self::WindowCalls(calls),
                SlidingWindow::Time(span) => Self::WindowSecs(span.as_secs()),
            },
            Self::RecoveryTimeout(_) => Self::RecoveryTimeout(breaker().recovery_timeout()),
            Self::RecoveryBackoff(_) => {
                Self::RecoveryBackoff(breaker().recovery_backoff().unwrap_or(0.0))
            }
            Self::HalfOpenMaxCalls(_) => Self::HalfOpenMaxCalls(breaker().half_open_max_calls()),
            Self::MaxConcurrent(_) => Self::MaxConcurrent(dry_run.bulkheads[name].max_concurrent()),
            Self::BulkheadMaxWait(_) => Self::BulkheadMaxWait(dry_run.bulkheads[name].max_wait()),
            Self::Multiplier(_) => Self::Multiplier(retry().multiplier()),
            Self::Delays(..) => Self::Delays(retry().initial_delay(), retry().max_delay()),
            Self::JitterFactor(_) => match retry().jitter() {
                Jitter::Proportional(factor) => Self::JitterFactor(factor),
                other => panic!("{other:?}"),
            },
            Self::Rate(..) => Self::Rate(limiter().rate().count(), limiter().rate().period()),
            Self::Burst(_) => Self::Burst(limiter().burst()),
        };
        assert_eq!(&actual, self, "{name}");
    }
}

fn good_value() -> impl Strategy<Value = Good> {
    let good = |kind, key, value: Value, expect| Good {
        kind,
        key,
        value,
        needs: Vec::new(),
        expect,
    };
    let counts = prop_oneof![
        (1..=u32::MAX).prop_map(move |n| good(
            "retry",
            "max_attempts",
            Value::Int(n.into()),
            Expect::MaxAttempts(n)
        )),
        (1..=1_000_000u32).prop_map(move |n| good(
            "circuit_breaker",
            "failure_threshold",
            Value::Int(n.into()),
            Expect::FailureThreshold(n)
        )),
        (1..=100u8).prop_map(move |n| good(
            "circuit_breaker",
            "failure_rate",
            Value::Int(n.into()),
            Expect::FailureRate(n)
        )),
        (1..=16_383u32).prop_map(move |n| good(
            "circuit_breaker",
            "half_open_max_calls",
            Value::Int(n.into()),
            Expect::HalfOpenMaxCalls(n)
        )),
        (1..=u32::MAX).prop_map(move |n| good(
            "bulkhead",
            "max_concurrent",
            Value::Int(n.into()),
            Expect::MaxConcurrent(n as usize)
        )),
        (1..=u32::MAX).prop_map(move |n| good(
            "rate_limiter",
            "burst",
            Value::Int(n.into()),
            Expect::Burst(n)
        )),
    ];
    let rated = |mut good: Good| {
        good.needs.push(("failure_rate", Value::Int(50)));
        good
    };
    let windows = prop_oneof![
        (1..=100_000u32).prop_map(move |n| rated(good(
            "circuit_breaker",
            "window",
            Value::Int(n.into()),
            Expect::WindowCalls(n)
        ))),
        (1..=3600u64).prop_map(move |secs| rated(good(
            "circuit_breaker",
            "window",
            Value::duration(Duration::from_secs(secs)),
            Expect::WindowSecs(secs)
        ))),
    ];
    let any_duration = || {
        prop_oneof![
            (0u64..100_000, 0u32..1_000_000_000)
                .prop_map(|(secs, nanos)| Duration::new(secs, nanos)),
            // Up to the longest a policy holds (`u64` nanoseconds, about 584 years); a longer
            // one is rejected (`config_durations.rs`).
            any::<u64>().prop_map(Duration::from_nanos),
            Just(resilience_syntax::rules::MAX_DURATION),
        ]
    };
    let times = prop_oneof![
        any_duration()
            .prop_filter("positive", |d| !d.is_zero())
            .prop_map(move |d| good(
                "circuit_breaker",
                "recovery_timeout",
                Value::duration(d),
                Expect::RecoveryTimeout(d)
            )),
        any_duration().prop_map(move |d| good(
            "bulkhead",
            "max_wait",
            Value::duration(d),
            Expect::BulkheadMaxWait(d)
        )),
        (any_duration(), any_duration()).prop_map(move |(a, b)| {
            let (initial, max) = (a.min(b), a.max(b));
            Good {
                kind: "retry",
                key: "max_delay",
                value: Value::duration(max),
                needs: vec![("initial_delay", Value::duration(initial))],
                expect: Expect::Delays(initial, max),
            }
        }),
    ];
    let numbers = prop_oneof![
        (1.0f64..=100.0)
            .prop_filter("above 1", |m| *m > 1.0)
            .prop_map(move |m| good(
                "retry",
                "multiplier",
                Value::Float(m),
                Expect::Multiplier(m)
            )),
        (2..=100i64).prop_map(move |m| good(
            "retry",
            "multiplier",
            Value::Int(m.into()),
            Expect::Multiplier(m as f64)
        )),
        (1.0f64..=10.0)
            .prop_filter("above 1", |f| *f > 1.0)
            .prop_map(move |f| good(
                "circuit_breaker",
                "recovery_backoff",
                Value::Float(f),
                Expect::RecoveryBackoff(f)
            )),
        (0.0f64..=1.0)
            .prop_filter("above 0", |f| *f > 0.0)
            .prop_map(move |f| Good {
                needs: vec![("jitter", Value::text("proportional"))],
                ..good(
                    "retry",
                    "jitter_factor",
                    Value::Float(f),
                    Expect::JitterFactor(f)
                )
            }),
    ];
    let rates = (
        1..=u32::MAX,
        any_duration().prop_map(|d| d.max(Duration::from_nanos(1))),
        any::<bool>(),
    )
        .prop_map(move |(count, period, canonical)| {
            // Either the canonical duration or the runtime's `Rate` display form.
            let text = if canonical {
                format!("{count}/{}", resilience_syntax::format_duration(period))
            } else {
                resilience_runtime::rate_limit::Rate::new(count, period).to_string()
            };
            good(
                "rate_limiter",
                "rate",
                Value::Text(text),
                Expect::Rate(count, period),
            )
        });
    prop_oneof![counts, windows, times, numbers, rates]
}

proptest! {
    #![proptest_config(cases())]

    /// A valid value is accepted, from a variable and from TOML, with exactly that value.
    #[test]
    fn valid_values_are_accepted_exactly(good in good_value(), name in name()) {
        let mut settings = good.needs.clone();
        settings.push((good.key, good.value.clone()));

        let vars = env_vars(good.kind, &name, &settings);
        let dry_run = dry_run_env(vars.clone()).unwrap_or_else(|error| panic!("{vars:?}\n{error}"));
        assert_in_range(&dry_run);
        good.expect.check(&dry_run, &normalized(&name));

        let doc = toml_doc(good.kind, &name, &settings);
        let dry_run = dry_run_str(&doc).unwrap_or_else(|error| panic!("{doc}\n{error}"));
        assert_in_range(&dry_run);
        good.expect.check(&dry_run, &name);
    }
}
