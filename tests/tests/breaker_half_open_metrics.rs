//! In half-open a breaker's metrics show its trial calls and the permits left, not the window
//! from before it opened.

use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{Error, circuit_breaker, registry};

#[circuit_breaker(
    name = "half-open-metrics-db",
    failure_rate = 50,
    window = 10,
    minimum_calls = 5,
    recovery_timeout = "10s",
    half_open_max_calls = 3
)]
async fn query(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::timeout(Duration::from_millis(1)))
    }
}

#[circuit_breaker(
    name = "half-open-metrics-counted",
    failure_threshold = 2,
    recovery_timeout = "10s",
    success_threshold = 3
)]
async fn counted(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::timeout(Duration::from_millis(1)))
    }
}

#[tokio::test(start_paused = true)]
async fn half_open_shows_the_trial_calls_and_the_permits_left() {
    for _ in 0..5 {
        let _ = query(false).await;
    }
    let breaker = registry().circuit_breaker("half-open-metrics-db").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    let open = breaker.metrics();
    assert_eq!((open.failure_rate, open.calls_in_window), (Some(100.0), 5));
    assert_eq!(open.trial_permits_left, None);

    tokio::time::advance(Duration::from_secs(10)).await;
    query(true).await.unwrap(); // the first trial call moves it to half-open
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let trial = breaker.metrics();
    assert_eq!(trial.calls_in_window, 1);
    assert_eq!(trial.failure_rate, Some(0.0));
    assert_eq!(trial.trial_permits_left, Some(2));

    let _ = query(false).await;
    let trial = breaker.metrics();
    assert_eq!(trial.calls_in_window, 2);
    assert_eq!(trial.failure_rate, Some(50.0));
    assert_eq!(trial.trial_permits_left, Some(1));
    let snapshot = registry().snapshot();
    let shown = snapshot
        .circuit_breakers
        .iter()
        .find(|breaker| breaker.name == "half-open-metrics-db")
        .unwrap();
    assert_eq!(shown.metrics, trial);
}

#[tokio::test(start_paused = true)]
async fn the_consecutive_model_shows_its_trial_successes() {
    let _ = counted(false).await;
    let _ = counted(false).await;
    let breaker = registry()
        .circuit_breaker("half-open-metrics-counted")
        .unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    tokio::time::advance(Duration::from_secs(10)).await;
    counted(true).await.unwrap();
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let trial = breaker.metrics();
    assert_eq!(trial.calls_in_window, 1);
    assert_eq!(trial.failure_rate, None);
    assert_eq!(trial.trial_permits_left, Some(2));
}
