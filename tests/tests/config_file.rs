//! Configuration files and overrides from code: loading, all-or-nothing validation, errors that
//! name the key and the accepted form, and running instances reconfigured in place.

use std::time::Duration;

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::config::{self, ConfigOverrides, Severity};
use resilience_runtime::rate_limit::Rate;
use resilience_runtime::retry::BackoffKind;
use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, registry, retry};
use resilience_tests::ServiceError;

#[circuit_breaker(name = "file-db", failure_threshold = 3, recovery_timeout = "30s")]
async fn file_db(fail: bool) -> Result<(), ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(())
    }
}

#[bulkhead(name = "file-pool", max_concurrent = 2)]
async fn file_pool() -> Result<(), ServiceError> {
    Ok(())
}

#[retry(
    name = "file-retry",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
async fn file_retry(calls: &std::sync::atomic::AtomicU32) -> Result<(), ServiceError> {
    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Err(ServiceError::Transient(String::from("down")))
}

#[rate_limit(name = "file-api", rate = "100/s")]
async fn file_api() -> Result<(), ServiceError> {
    Ok(())
}

/// A file in the temp directory, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_file_reconfigures_running_instances_of_every_kind() {
    assert_eq!(file_pool().await, Ok(()));
    let file = TempFile::new(
        "resilience.toml",
        r#"
        [global]
        disabled = false

        [circuit_breaker."file-db"]
        failure_threshold = 1

        [bulkhead.file-pool]
        max_concurrent = 8
        max_wait = "10ms"

        [retry.file-retry]
        max_attempts = 4
        backoff = "fixed"
        "#,
    );
    let report = config::load(&file.0).unwrap();
    let mut changed: Vec<(&str, &str, Vec<&str>)> = report
        .reconfigured
        .iter()
        .map(|change| (change.kind, change.name.as_str(), change.keys.clone()))
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            ("bulkhead", "file-pool", vec!["max_concurrent", "max_wait"]),
            ("circuit_breaker", "file-db", vec!["failure_threshold"]),
            ("retry", "file-retry", vec!["max_attempts", "backoff"]),
        ]
    );
    assert_eq!(report.disabled, Some(false));
    assert!(report.remembered.is_empty() && report.warnings.is_empty());

    let breaker = registry().circuit_breaker("file-db").unwrap();
    assert_eq!(
        breaker.config().recovery_timeout(),
        Duration::from_secs(30),
        "attribute"
    );
    assert_eq!(file_db(true).await, Err(ServiceError::Permanent));
    assert_eq!(
        breaker.state(),
        CircuitState::Open,
        "one failure opens it now"
    );

    assert_eq!(
        registry().bulkhead("file-pool").unwrap().config(),
        BulkheadConfig::new(8).with_max_wait(Duration::from_millis(10))
    );

    let calls = std::sync::atomic::AtomicU32::new(0);
    assert!(file_retry(&calls).await.is_err());
    assert_eq!(calls.into_inner(), 4);
    let policy = registry().retry("file-retry").unwrap().policy();
    assert_eq!(policy.backoff(), BackoffKind::Fixed);
    assert_eq!(
        policy.initial_delay(),
        Duration::from_millis(1),
        "attribute"
    );
}

/// `[global] clock`, checked like `disabled`. Only `"tokio"` is applied here: the CPU
/// counter would ignore the paused clock the other tests of this binary use (`cpu_clock.rs`
/// applies `"cpu"`).
#[tokio::test(start_paused = true)]
async fn the_clock_key_is_checked_like_disabled() {
    let report = config::load_str("[global]\nclock = \"tokio\"").unwrap();
    assert_eq!(report.clock, Some(ClockSource::Tokio));
    assert_eq!(report.to_string(), "clock: tokio\n");
    assert_eq!(clock::source(), ClockSource::Tokio);
    let start = clock::instant_now();
    tokio::time::advance(Duration::from_millis(1500)).await;
    assert_eq!(clock::instant_now() - start, Duration::from_millis(1500));

    let error =
        config::load_str("[global]\nclock = \"tsc\"\n[bulkhead.file-pool]\nmax_concurrent = 3")
            .unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration rejected, nothing applied: global.clock: unknown clock \"tsc\"; expected \
         \"tokio\" or \"cpu\" (accepted: tokio (tokio's clock, the default) or cpu (the CPU's \
         time-stamp counter))"
    );
    let error = config::load_str("[global]\nclock = true").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("global.clock: `clock` expects \"tokio\" or \"cpu\""),
        "{error}"
    );
    let error = config::load_str("[global]\nclok = \"cpu\"").unwrap_err();
    assert_eq!(
        error.to_string(),
        "configuration rejected, nothing applied: global.clok: unknown key \"clok\"; did you \
         mean \"clock\"?"
    );
    assert_eq!(clock::source(), ClockSource::Tokio);
    let dry_run = config::dry_run_str("[global]\nclock = \"cpu\"").unwrap();
    assert_eq!(dry_run.clock, Some(ClockSource::CpuCounter));
}

#[test]
fn one_bad_value_rejects_the_whole_file() {
    let breaker = registry().register_circuit_breaker(
        "file-all-or-nothing",
        CircuitBreakerConfig::new().with_failure_threshold(5),
    );
    let pool = registry().register_bulkhead("file-all-or-nothing", BulkheadConfig::new(2));
    let file = TempFile::new(
        "bad.toml",
        r#"
        [bulkhead.file-all-or-nothing]
        max_concurrent = 9

        [circuit_breaker."file-all-or-nothing"]
        failure_threshold = 0
        recovery_timeout = "5s"
        "#,
    );
    let error = config::load(&file.0).unwrap_err();
    let path = file.0.display();
    assert_eq!(
        error.to_string(),
        format!(
            "configuration rejected, nothing applied: {path}: \
             circuit_breaker.\"file-all-or-nothing\".failure_threshold: 0 is out of range: \
             `failure_threshold` must be between 1 and 1000000 consecutive failures \
             (accepted: a whole number from 1 to 1000000)"
        )
    );
    assert_eq!(pool.max_concurrent(), 2, "nothing applied");
    assert_eq!(breaker.config().failure_threshold(), 5);
    assert_eq!(breaker.config().recovery_timeout(), Duration::from_secs(60));

    // Every problem is listed, not just the first.
    let error = config::load_str(
        r#"
        [bulkhead.file-all-or-nothing]
        max_concurrent = 0
        max_wiat = "1s"
        [circut_breaker.x]
        failure_threshold = 1
        "#,
    )
    .unwrap_err();
    assert_eq!(error.issues().len(), 3, "{error}");
    assert!(
        error
            .issues()
            .iter()
            .all(|issue| issue.severity == Severity::Error)
    );
}

/// A table of bad values: each is rejected alone, the error names the key and, for a value
/// of the wrong form, the accepted form, in the attribute's words.
#[test]
fn every_bad_value_names_its_key_and_the_accepted_form() {
    registry().register_circuit_breaker("file-table", CircuitBreakerConfig::new());
    registry().register_bulkhead("file-table", BulkheadConfig::new(1));
    registry().register_retry("file-table", resilience_runtime::retry::RetryPolicy::new());
    let cases: &[(&str, &str, &str, &str)] = &[
        // kind, key, value as TOML, expected in the message
        (
            "circuit_breaker",
            "failure_threshold",
            "0",
            "must be between 1 and 1000000",
        ),
        (
            "circuit_breaker",
            "failure_threshold",
            "-1",
            "not a negative",
        ),
        (
            "circuit_breaker",
            "failure_threshold",
            "\"10\"",
            "did you mean `10`?",
        ),
        (
            "circuit_breaker",
            "failure_threshold",
            "2.5",
            "expected a whole number",
        ),
        (
            "circuit_breaker",
            "failure_rate",
            "0",
            "percentage from 1 to 100",
        ),
        (
            "circuit_breaker",
            "failure_rate",
            "101",
            "percentage from 1 to 100",
        ),
        (
            "circuit_breaker",
            "window",
            "0",
            "between 1 and 100000 calls",
        ),
        ("circuit_breaker", "window", "\"90ms\"", "whole seconds"),
        ("circuit_breaker", "window", "\"2h\"", "at most \"1h\""),
        ("circuit_breaker", "window", "true", "a number of calls"),
        (
            "circuit_breaker",
            "minimum_calls",
            "0",
            "between 1 and 1000000",
        ),
        (
            "circuit_breaker",
            "slow_call_duration",
            "\"0s\"",
            "greater than zero",
        ),
        ("circuit_breaker", "slow_call_rate", "0", "percentage"),
        (
            "circuit_breaker",
            "recovery_timeout",
            "30",
            "durations are strings with a unit: did you mean \"30ms\"?",
        ),
        (
            "circuit_breaker",
            "recovery_timeout",
            "\"30sec\"",
            "did you mean \"30s\"?",
        ),
        (
            "circuit_breaker",
            "recovery_timeout",
            "\"30 s\"",
            "unexpected whitespace",
        ),
        (
            "circuit_breaker",
            "recovery_timeout",
            "\"\"",
            "empty duration",
        ),
        (
            "circuit_breaker",
            "recovery_backoff",
            "1.0",
            "greater than 1",
        ),
        ("circuit_breaker", "recovery_backoff", "20", "at most 10"),
        (
            "circuit_breaker",
            "recovery_backoff",
            "\"2\"",
            "did you mean `2`?",
        ),
        (
            "circuit_breaker",
            "max_recovery_timeout",
            "\"forever\"",
            "expected a number in duration",
        ),
        (
            "circuit_breaker",
            "success_threshold",
            "16384",
            "between 1 and 16383",
        ),
        (
            "circuit_breaker",
            "half_open_max_calls",
            "0",
            "between 1 and 16383",
        ),
        (
            "circuit_breaker",
            "max_wait_in_half_open",
            "\"0ms\"",
            "greater than zero",
        ),
        (
            "circuit_breaker",
            "record_if",
            "\"f\"",
            "set only in the attribute",
        ),
        (
            "circuit_breaker",
            "record_if_ok",
            "\"f\"",
            "set only in the attribute",
        ),
        (
            "circuit_breaker",
            "failure_treshold",
            "1",
            "did you mean \"failure_threshold\"?",
        ),
        ("bulkhead", "max_concurrent", "0", "must be at least 1"),
        ("bulkhead", "max_concurrent", "4294967296", "out of range"),
        ("bulkhead", "max_wait", "\"5 ms\"", "unexpected whitespace"),
        ("bulkhead", "name", "\"x\"", "identity"),
        ("retry", "max_attempts", "0", "must be at least 1"),
        (
            "retry",
            "backoff",
            "\"exponental\"",
            "did you mean \"exponential\"?",
        ),
        ("retry", "backoff", "2", "expects one of"),
        ("retry", "initial_delay", "\"100\"", "missing unit"),
        ("retry", "max_delay", "\"10xs\"", "unknown unit"),
        ("retry", "multiplier", "1", "greater than 1"),
        ("retry", "multiplier", "101.0", "at most 100"),
        ("retry", "jitter", "\"fll\"", "did you mean \"full\"?"),
        ("retry", "jitter_factor", "0.0", "greater than 0"),
        ("retry", "max_elapsed", "\"0s\"", "greater than zero"),
        ("retry", "preset", "\"lazy\"", "expected one of"),
        ("retry", "when", "\"f\"", "set only in the attribute"),
        ("retry", "when_ok", "\"f\"", "set only in the attribute"),
        ("retry", "max_attempts", "[1]", "not array"),
        ("rate_limiter", "rate", "\"100\"", "missing \"/\""),
        ("rate_limiter", "rate", "\"0/s\"", "at least 1"),
        (
            "rate_limiter",
            "rate",
            "\"10/dya\"",
            "did you mean \"10/day\"?",
        ),
        ("rate_limiter", "rate", "100", "expected a rate such as"),
        ("rate_limiter", "burst", "0", "must be at least 1"),
        (
            "rate_limiter",
            "on_limit",
            "\"wiat\"",
            "did you mean \"wait\"?",
        ),
        (
            "rate_limiter",
            "key",
            "\"tenant\"",
            "set only in the attribute",
        ),
    ];
    for (kind, key, value, expected) in cases {
        let error = config::load_str(&format!("[{kind}.file-table]\n{key} = {value}\n"))
            .expect_err(&format!("{kind}.{key} = {value}"));
        let message = error.to_string();
        let at = format!("{kind}.\"file-table\".{key}: ");
        assert!(message.contains(&at), "{message}\n  should name {at}");
        assert!(
            message.contains(expected),
            "{message}\n  should say {expected}"
        );
        let issue = &error.issues()[0];
        let value_problem = ![
            "record_if",
            "record_if_ok",
            "when",
            "when_ok",
            "key",
            "name",
            "failure_treshold",
        ]
        .contains(key)
            && !value.starts_with('[');
        assert_eq!(issue.accepted.is_some(), value_problem, "{message}");
    }
    // The same checks from code.
    let error = config::apply(
        ConfigOverrides::new()
            .retry("file-table", "max_attempts", 0)
            .retry("file-table", "initial_delay", "100"),
    )
    .unwrap_err();
    let messages: Vec<String> = error.issues().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "retry.\"file-table\".max_attempts: 0 is out of range: `max_attempts` counts every call including the first, so it must be at least 1 (accepted: a whole number from 1 to 4294967295 (every call, including the first))",
            "retry.\"file-table\".initial_delay: missing unit in duration \"100\"; did you mean \"100ms\" or \"100s\"? (accepted: a duration string such as \"250ms\", \"2s\" or \"1m30s\")",
        ]
    );
}

#[test]
fn impossible_combinations_are_rejected_as_the_attribute_rejects_them() {
    registry().register_retry("file-combos", resilience_runtime::retry::RetryPolicy::new());
    registry().register_circuit_breaker("file-combos", CircuitBreakerConfig::new());
    let cases = [
        (
            "[retry.file-combos]\nbackoff = \"fixed\"\nmultiplier = 3.0",
            "retry.\"file-combos\".multiplier: `multiplier` only applies to `backoff = \"exponential\"`",
        ),
        (
            "[retry.file-combos]\nmax_delay = \"50ms\"",
            "retry.\"file-combos\".max_delay: `max_delay` (50ms) must be at least `initial_delay` (100ms)",
        ),
        (
            "[circuit_breaker.file-combos]\nwindow = 20",
            "circuit_breaker.\"file-combos\".window: `window` only applies with `failure_rate` or `slow_call_rate`",
        ),
        (
            "[circuit_breaker.file-combos]\nfailure_rate = 50\nfailure_threshold = 3",
            "circuit_breaker.\"file-combos\".failure_threshold: `failure_threshold` (consecutive failures) and `failure_rate` are two trip models; keep one",
        ),
    ];
    for (text, expected) in cases {
        let error = config::load_str(text).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("configuration rejected, nothing applied: {expected}")
        );
    }
    // Valid together.
    config::load_str("[circuit_breaker.file-combos]\nfailure_rate = 50\nwindow = \"30s\"").unwrap();
    let config = registry().circuit_breaker("file-combos").unwrap().config();
    assert_eq!(config.failure_rate(), Some(50));
}

#[test]
fn names_without_an_instance_are_remembered_for_later() {
    let report = config::apply(
        ConfigOverrides::new()
            .circuit_breaker("file-later", "failure_threshold", 9)
            .circuit_breaker("file-later", "recovery_timeout", Duration::from_secs(3)),
    )
    .unwrap();
    assert!(report.reconfigured.is_empty());
    assert_eq!(report.remembered[0].name, "file-later");
    assert_eq!(report.warnings[0].severity, Severity::Warning);
    assert!(report.warnings[0].to_string().starts_with(
        "circuit_breaker.\"file-later\": no circuit breaker is named \"file-later\" so far"
    ));

    let breaker = registry().register_circuit_breaker("file-later", CircuitBreakerConfig::new());
    assert_eq!(breaker.config().failure_threshold(), 9);
    assert_eq!(breaker.config().recovery_timeout(), Duration::from_secs(3));

    // A did-you-mean for a name close to a known one.
    let report = config::load_str("[circuit_breaker.file-dbb]\nfailure_threshold = 4").unwrap();
    assert!(
        report.warnings[0]
            .message
            .contains("(did you mean \"file-db\"?)"),
        "{}",
        report.warnings[0]
    );
}

#[test]
fn later_declarations_are_compared_with_the_declaration_not_the_configuration() {
    let declared = CircuitBreakerConfig::new().with_failure_threshold(4);
    registry().register_circuit_breaker("file-conflicts", declared);
    config::load_str("[circuit_breaker.file-conflicts]\nfailure_threshold = 8").unwrap();
    let before = registry().conflicts().len();
    let same = registry().register_circuit_breaker("file-conflicts", declared);
    assert_eq!(same.config().failure_threshold(), 8);
    assert_eq!(
        registry().conflicts().len(),
        before,
        "same declaration, no conflict"
    );
    registry().register_circuit_breaker("file-conflicts", declared.with_failure_threshold(6));
    let conflict = registry()
        .conflicts()
        .into_iter()
        .find(|conflict| conflict.name == "file-conflicts")
        .unwrap();
    assert!(
        conflict.kept.contains("failure_threshold: 4"),
        "{conflict:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_rate_limiter_changes_its_rate_and_burst_keeping_its_state() {
    for _ in 0..100 {
        assert_eq!(file_api().await, Ok(()));
    }
    let limiter = registry().rate_limiter("file-api").unwrap();
    let report = config::load_str(
        "[rate_limiter.file-api]
rate = \"5/s\"",
    )
    .unwrap();
    assert_eq!(report.reconfigured[0].keys, ["rate"]);
    let config = limiter.config();
    assert_eq!((config.rate(), config.burst()), (Rate::per_second(5), 5));
    // The burst of 100 was used up before the change: the next permit comes at the new rate
    // (with on_limit = "wait", after waiting for it).
    let start = tokio::time::Instant::now();
    assert_eq!(file_api().await, Ok(()));
    assert_eq!(start.elapsed(), Duration::from_millis(200));

    // What a running limiter cannot change is rejected, naming the key; nothing applies.
    let error =
        config::load_str("[rate_limiter.file-api]\nburst = 9\nmax_wait = \"1s\"").unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains(
            "rate_limiter.\"file-api\".max_wait: `max_wait` of a running rate limiter cannot change (only `rate` and `burst` can)"
        ),
        "{message}"
    );
    assert_eq!(limiter.config().burst(), 5);
}

#[test]
fn unreadable_and_malformed_files() {
    let missing = std::env::temp_dir().join("resilience-no-such-file.toml");
    let error = config::load(&missing).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("resilience-no-such-file.toml: cannot read the file"),
        "{error}"
    );
    let file = TempFile::new("syntax.toml", "[bulkhead.x\nmax_concurrent = 1");
    let error = config::load(&file.0).unwrap_err();
    assert!(error.to_string().contains("not valid TOML"), "{error}");
}
