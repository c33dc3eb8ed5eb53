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
