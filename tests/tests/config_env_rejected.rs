//! Wrong `RESILIENCE_*` variables at startup: reported with a did-you-mean, never a panic, and
//! none of the environment's settings apply (not even the valid ones). One test: the
//! environment is read once.

use resilience_runtime::config::{self, Severity};
use resilience_runtime::{bulkhead, circuit_breaker, registry};
use resilience_tests::ServiceError;

#[circuit_breaker(name = "rejected-db", failure_threshold = 3)]
async fn rejected_db() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "rejected-pool", max_concurrent = 1)]
async fn rejected_pool() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test]
async fn wrong_variables_reject_the_whole_environment() {
    let variables = [
        ("RESILIENCE_BULKHEAD_REJECTED_POOL_MAX_CONCURRENT", "5"),
        ("RESILIENCE_BULKHED_REJECTED_POOL_MAX_WAIT", "1s"),
        (
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DB_FAILURE_THRESHOLD",
            "0",
        ),
        (
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DB_RECOVERY_TIMEOUT",
            "30 s",
        ),
        (
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DV_SUCCESS_THRESHOLD",
            "3",
        ),
    ];
    for (name, value) in variables {
        // SAFETY: before anything reads the environment; this binary has a single test.
        unsafe { std::env::set_var(name, value) };
    }
    assert_eq!(rejected_db().await, Ok(()));
    assert_eq!(rejected_pool().await, Ok(()));
    assert_eq!(
        registry()
            .bulkhead("rejected-pool")
            .unwrap()
            .max_concurrent(),
        1,
        "the valid variable did not apply either"
    );
    assert_eq!(
        registry()
            .circuit_breaker("rejected-db")
            .unwrap()
            .config()
            .failure_threshold(),
        3
    );
    let issues: Vec<(Severity, String)> = config::issues()
        .into_iter()
        .map(|issue| (issue.severity, issue.to_string()))
        .collect();
    let expected = [
        (
            Severity::Error,
            "RESILIENCE_BULKHED_REJECTED_POOL_MAX_WAIT: unknown variable; did you mean RESILIENCE_BULKHEAD_REJECTED_POOL_MAX_WAIT?",
        ),
        (
            Severity::Error,
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DB_FAILURE_THRESHOLD: 0 is out of range: `failure_threshold` must be between 1 and 1000000 consecutive failures (accepted: a whole number from 1 to 1000000)",
        ),
        (
            Severity::Error,
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DB_RECOVERY_TIMEOUT: unexpected whitespace in duration \"30 s\"; write it as \"30s\" (accepted: a duration greater than zero, such as \"250ms\", \"2s\" or \"1m30s\")",
        ),
        (
            Severity::Warning,
            "RESILIENCE_CIRCUIT_BREAKER_REJECTED_DV_SUCCESS_THRESHOLD: no circuit breaker is named REJECTED_DV so far (did you mean REJECTED_DB?); the variable applies to one created later under a name that normalises to REJECTED_DV",
        ),
    ];
    assert_eq!(
        issues,
        expected.map(|(severity, message)| (severity, message.to_owned()))
    );
}
