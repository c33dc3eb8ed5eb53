//! `testing::scope()`: tests in one binary that use the same names run in parallel, each with
//! its own instances.

use std::sync::Barrier;
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{Error, circuit_breaker, registry, testing};

#[circuit_breaker(
    name = "scoped-inventory-db",
    failure_threshold = 2,
    recovery_timeout = "1h"
)]
async fn query(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::timeout(Duration::from_millis(1)))
    }
}

// A site that only names the breaker adopts the scope's instance too.
#[circuit_breaker(name = "scoped-inventory-db")]
async fn save() -> Result<(), Error> {
    Ok(())
}

/// Both tests reach this barrier inside their scopes, so they overlap for certain.
static BOTH_IN_SCOPE: Barrier = Barrier::new(2);

#[tokio::test]
async fn one_test_trips_its_own_breaker() {
    let _scope = testing::scope();
    BOTH_IN_SCOPE.wait();
    let _ = query(false).await;
    let _ = query(false).await;
    let breaker = registry().circuit_breaker("scoped-inventory-db").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    assert!(matches!(save().await, Err(Error::CircuitOpen { .. })));
    BOTH_IN_SCOPE.wait();
}

#[tokio::test]
async fn another_test_with_the_same_name_is_unaffected() {
    let scope = testing::scope();
    BOTH_IN_SCOPE.wait();
    BOTH_IN_SCOPE.wait(); // the other test has opened its breaker by now
    query(true).await.unwrap();
    save().await.unwrap();
    let breaker = registry().circuit_breaker("scoped-inventory-db").unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().successful, 2);
    assert_eq!(
        breaker.config().failure_threshold(),
        2,
        "declared as the attribute says"
    );

    // Nested: a fresh namespace again; after both, the process's registry, untouched.
    {
        let _inner = testing::scope();
        assert_eq!(
            registry()
                .circuit_breaker("scoped-inventory-db")
                .unwrap()
                .metrics()
                .successful,
            0
        );
    }
    drop(scope);
    let process = registry().circuit_breaker("scoped-inventory-db").unwrap();
    assert_eq!(process.metrics().successful, 0);
    assert_eq!(process.state(), CircuitState::Closed);
}
