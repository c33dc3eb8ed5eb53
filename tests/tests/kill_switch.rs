//! `RESILIENCE_DISABLED=1` turns every layer into a pass-through; releasing the switch brings
//! each back with nothing leaked. One test: the switch is process-wide.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{
    Error, bulkhead, circuit_breaker, config, hedge, rate_limit, registry, retry, timeout,
};
use resilience_tests::ServiceError;

#[circuit_breaker(name = "off-db", failure_threshold = 1, recovery_timeout = "1h")]
async fn off_db() -> Result<(), ServiceError> {
    Err(ServiceError::Permanent)
}

#[rate_limit(name = "off-api", rate = "1/h", on_limit = "reject")]
async fn off_api() -> Result<(), ServiceError> {
    Ok(())
}

#[bulkhead(name = "off-pool", max_concurrent = 1)]
async fn off_pool(hold: Duration) -> Result<(), ServiceError> {
    tokio::time::sleep(hold).await;
    Ok(())
}

#[bulkhead(name = "off-sync-pool", max_concurrent = 1)]
fn off_sync_pool() -> Result<usize, ServiceError> {
    Ok(registry().bulkhead("off-sync-pool").unwrap().in_flight())
}

#[retry(
    name = "off-retry",
    max_attempts = 5,
    initial_delay = "1ms",
    jitter = "none"
)]
async fn off_retry(calls: &AtomicU32) -> Result<(), ServiceError> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(ServiceError::Transient(String::from("down")))
}

#[timeout("10ms")]
async fn off_timeout() -> Result<&'static str, ServiceError> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok("finished")
}

#[hedge(name = "off-hedge", delay = "10ms", max_hedges = 4)]
async fn off_hedge(calls: &AtomicU32) -> Result<(), ServiceError> {
    calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn every_layer_passes_through_while_disabled() {
    // SAFETY: before anything reads the environment; this binary has a single test.
    unsafe { std::env::set_var("RESILIENCE_DISABLED", "1") };
    assert!(
        config::is_disabled(),
        "read when configuration is first used"
    );

    // Breaker: every failure passes, nothing is recorded, it never opens.
    for _ in 0..3 {
        assert_eq!(off_db().await, Err(ServiceError::Permanent));
    }
    let breaker = registry().circuit_breaker("off-db").unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failed, 0);

    // Rate limiter: one per hour, yet every call passes.
    for _ in 0..5 {
        assert_eq!(off_api().await, Ok(()));
    }

    // Bulkhead: one slot, yet both calls run at once; the slots are still counted.
    let pool = registry().bulkhead("off-pool").unwrap();
    let (a, b) = tokio::join!(
        off_pool(Duration::from_millis(5)),
        off_pool(Duration::from_millis(5))
    );
    assert_eq!((a, b), (Ok(()), Ok(())));
    assert_eq!(pool.metrics().peak_in_flight, 2);
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(off_sync_pool(), Ok(1));

    // Retry: one attempt.
    let calls = AtomicU32::new(0);
    assert!(off_retry(&calls).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Timeout: never fires.
    assert_eq!(off_timeout().await, Ok("finished"));

    // Hedge: the first attempt alone.
    let calls = AtomicU32::new(0);
    assert_eq!(off_hedge(&calls).await, Ok(()));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Released: every layer is back, and nothing leaked meanwhile.
    let held = tokio::spawn(off_pool(Duration::from_secs(60)));
    tokio::task::yield_now().await;
    assert_eq!(pool.in_flight(), 1);
    config::set_disabled(false);
    assert!(!config::is_disabled());
    assert!(matches!(
        off_pool(Duration::ZERO).await,
        Err(ServiceError::Resilience(Error::BulkheadFull { .. }))
    ));
    held.abort();
    let _ = held.await;
    assert_eq!(
        pool.in_flight(),
        0,
        "the call admitted while disabled gave its slot back"
    );
    assert_eq!(off_pool(Duration::ZERO).await, Ok(()));

    assert_eq!(off_db().await, Err(ServiceError::Permanent));
    assert_eq!(breaker.state(), CircuitState::Open);
    assert!(matches!(
        off_timeout().await,
        Err(ServiceError::Resilience(Error::Timeout { .. }))
    ));
    let calls = AtomicU32::new(0);
    assert!(off_retry(&calls).await.is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let calls = AtomicU32::new(0);
    assert_eq!(off_hedge(&calls).await, Ok(()));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "the first attempt and four hedges"
    );
    assert_eq!(off_api().await, Ok(()), "the first permit in an hour");
    assert!(matches!(
        off_api().await,
        Err(ServiceError::Resilience(Error::RateLimited { .. }))
    ));

    // From a file, and code wins over the environment on a reload.
    config::load_str("[global]\ndisabled = true").unwrap();
    assert!(config::is_disabled());
    assert_eq!(off_api().await, Ok(()));
    config::set_disabled(false);
    config::reload_env().unwrap();
    assert!(
        !config::is_disabled(),
        "RESILIENCE_DISABLED=1 does not win over code"
    );
    let error = config::load_str("[global]\ndisabled = 1").unwrap_err();
    assert_eq!(
        error.issues()[0].to_string(),
        "global.disabled: expected true or false"
    );
}
