//! The registry as an operator sees it: lookups, manual control and the snapshot.

use std::time::Duration;

use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use resilience_tests::ServiceError;

#[circuit_breaker(name = "registry-db", failure_threshold = 2)]
#[retry(
    name = "registry-retry",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
#[rate_limit(name = "registry-api", rate = "100/s")]
#[bulkhead(name = "registry-pool", max_concurrent = 3)]
async fn query(fail: bool) -> Result<u32, ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(1)
    }
}

#[tokio::test(start_paused = true)]
async fn every_named_instance_is_in_the_snapshot_as_json() {
    assert_eq!(query(false).await, Ok(1));
    assert_eq!(query(true).await, Err(ServiceError::Permanent));

    let snapshot = registry().snapshot();
    let json = serde_json::to_value(&snapshot).unwrap();
    let find = |kind: &str, name: &str| {
        json[kind]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} {name} missing from {json:#}"))
    };
    let breaker = find("circuit_breakers", "registry-db");
    assert_eq!(breaker["state"], "closed");
    assert_eq!(breaker["metrics"]["successful"], 1);
    assert_eq!(breaker["metrics"]["failed"], 1);
    let retry = find("retries", "registry-retry");
    assert_eq!(retry["metrics"]["calls"], 2);
    assert_eq!(retry["metrics"]["retries"], 1);
    let limiter = find("rate_limiters", "registry-api");
    assert_eq!(limiter["config"]["rate"], "100/s");
    assert_eq!(limiter["metrics"]["permitted"], 3);
    let pool = find("bulkheads", "registry-pool");
    assert_eq!(pool["metrics"]["in_flight"], 0);
    assert_eq!(pool["metrics"]["permitted"], 3);

    let table = snapshot.to_string();
    for name in [
        "registry-db",
        "registry-retry",
        "registry-api",
        "registry-pool",
    ] {
        assert!(table.contains(name), "{name} missing from\n{table}");
    }
}

#[circuit_breaker(name = "registry-controlled", failure_threshold = 3)]
async fn controlled() -> Result<u32, ServiceError> {
    Ok(2)
}

#[tokio::test(start_paused = true)]
async fn handles_control_the_shared_breaker() {
    let breaker = registry()
        .circuit_breaker("registry-controlled")
        .expect("declared by an attribute");
    breaker.force_open();
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);
    let result = controlled().await;
    assert!(
        matches!(
            result,
            Err(ServiceError::Resilience(Error::CircuitOpen {
                name: "registry-controlled",
                ..
            }))
        ),
        "{result:?}"
    );
    breaker.reset();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(controlled().await, Ok(2));
}

#[test]
fn declared_instances_exist_before_their_first_call() {
    // `never_called` has not run, yet its declaration is already in the registry.
    #[bulkhead(name = "registry-never-called", max_concurrent = 7)]
    fn never_called() -> Result<(), ServiceError> {
        Ok(())
    }
    let _ = never_called;
    let pool = registry()
        .bulkhead("registry-never-called")
        .expect("declared");
    assert_eq!(pool.max_concurrent(), 7);
    assert!(registry().circuit_breaker("registry-unknown").is_none());
}

#[test]
fn instances_registered_from_code_are_shared_with_attributes() {
    let config = CircuitBreakerConfig::new()
        .with_failure_threshold(1)
        .with_recovery_timeout(Duration::from_secs(60));
    let from_code = registry().register_circuit_breaker(String::from("registry-from-code"), config);

    #[circuit_breaker(name = "registry-from-code")]
    fn guarded() -> Result<(), ServiceError> {
        Err(ServiceError::Permanent)
    }
    assert_eq!(guarded(), Err(ServiceError::Permanent));
    assert_eq!(from_code.state(), CircuitState::Open);
    assert!(matches!(
        guarded(),
        Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
    ));
}

#[circuit_breaker(name = "registry-covered-db", failure_threshold = 1)]
#[retry(
    name = "registry-covered-retry",
    max_attempts = 2,
    initial_delay = "1ms",
    jitter = "none"
)]
#[rate_limit(name = "registry-covered-api", rate = "50/s", burst = 5)]
#[bulkhead(name = "registry-covered-pool", max_concurrent = 2, max_wait = "10ms")]
async fn covered() -> Result<u32, ServiceError> {
    Err(ServiceError::Permanent)
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_covers_config_state_and_counters_of_every_kind() {
    assert_eq!(covered().await, Err(ServiceError::Permanent));
    assert!(covered().await.is_err()); // rejected by the open breaker
    let snapshot = registry().snapshot();
    let json = serde_json::to_value(&snapshot).unwrap();
    let entry = |kind: &str, name: &str| {
        json[kind]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{kind} {name} missing"))
    };
    let has = |entry: &serde_json::Value, path: &str, fields: &[&str]| {
        for field in fields {
            assert!(
                entry[path].get(field).is_some(),
                "{path}.{field} missing from {entry:#}"
            );
        }
    };

    let breaker = entry("circuit_breakers", "registry-covered-db");
    assert_eq!(breaker["state"], "open");
    assert_eq!(breaker["config"]["failure_threshold"], 1);
    has(
        &breaker,
        "config",
        &[
            "window",
            "minimum_calls",
            "recovery_timeout",
            "success_threshold",
        ],
    );
    assert_eq!(breaker["metrics"]["failed"], 1, "judged after the retries");
    assert_eq!(breaker["metrics"]["not_permitted"], 1);
    has(
        &breaker,
        "metrics",
        &[
            "successful",
            "slow",
            "ignored",
            "failure_rate",
            "transitions",
            "open_wait",
        ],
    );
    let transitions = breaker["recent_transitions"].as_array().unwrap();
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0]["reason"], "1 consecutive failures");

    let retry = entry("retries", "registry-covered-retry");
    assert_eq!(retry["policy"]["max_attempts"], 2);
    has(
        &retry,
        "policy",
        &["backoff", "initial_delay", "max_delay", "jitter"],
    );
    assert_eq!(
        retry["metrics"]["calls"], 1,
        "the second call never reached the retry"
    );
    assert_eq!(retry["metrics"]["retries"], 1);
    assert_eq!(retry["metrics"]["exhausted"], 1);
    has(
        &retry,
        "metrics",
        &["succeeded", "succeeded_after_retry", "failed"],
    );

    let limiter = entry("rate_limiters", "registry-covered-api");
    assert_eq!(limiter["config"]["rate"], "50/s");
    assert_eq!(limiter["config"]["burst"], 5);
    has(&limiter, "config", &["on_limit", "max_wait"]);
    assert_eq!(limiter["metrics"]["permitted"], 2);
    has(
        &limiter,
        "metrics",
        &[
            "rejected",
            "waited",
            "total_wait",
            "cancelled",
            "tracked_keys",
        ],
    );

    let pool = entry("bulkheads", "registry-covered-pool");
    assert_eq!(pool["config"]["max_concurrent"], 2);
    has(&pool, "config", &["max_wait"]);
    assert_eq!(pool["metrics"]["permitted"], 2);
    assert_eq!(pool["metrics"]["in_flight"], 0);
    has(&pool, "metrics", &["rejected", "waiting", "peak_in_flight"]);

    let tables = snapshot.to_string();
    for header in ["ignored", "waiting", "gave up", "recent transitions"] {
        assert!(tables.contains(header), "{header} missing from\n{tables}");
    }
    assert!(tables.contains("registry-covered-db  open"), "{tables}");
}
