//! Running instances reconfigured through their handles and through configuration keep their
//! state: a breaker its state, window and open-until time, a bulkhead its calls in flight,
//! a retry the policy of the calls already running.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::{Error, bulkhead, circuit_breaker, registry, retry};
use resilience_tests::ServiceError;

#[circuit_breaker(name = "reconf-db", failure_threshold = 2, recovery_timeout = "30s")]
async fn reconf_db(fail: bool) -> Result<(), ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(())
    }
}

#[circuit_breaker(
    name = "reconf-rated",
    failure_rate = 80,
    window = 10,
    minimum_calls = 10
)]
async fn reconf_rated(fail: bool) -> Result<(), ServiceError> {
    if fail {
        Err(ServiceError::Permanent)
    } else {
        Ok(())
    }
}

fn retry_after(result: Result<(), ServiceError>) -> Option<Duration> {
    match result {
        Err(ServiceError::Resilience(Error::CircuitOpen { retry_after, .. })) => retry_after,
        other => panic!("expected an open circuit, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_stays_open_until_the_same_time() {
    let _ = reconf_db(true).await;
    let _ = reconf_db(true).await;
    let breaker = registry().circuit_breaker("reconf-db").unwrap();
    assert_eq!(breaker.state(), CircuitState::Open);
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(
        retry_after(reconf_db(false).await),
        Some(Duration::from_secs(20))
    );

    let report = config::apply(
        ConfigOverrides::new()
            .circuit_breaker("reconf-db", "recovery_timeout", "5s")
            .circuit_breaker("reconf-db", "failure_threshold", 1),
    )
    .unwrap();
    assert_eq!(report.reconfigured.len(), 1);
    assert_eq!(breaker.state(), CircuitState::Open);
    assert_eq!(
        retry_after(reconf_db(false).await),
        Some(Duration::from_secs(20)),
        "the open-until time is kept"
    );
    tokio::time::advance(Duration::from_secs(20)).await;
    assert_eq!(
        reconf_db(false).await,
        Ok(()),
        "a trial call, when it was due"
    );
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    assert_eq!(reconf_db(false).await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
    // The new settings from here on: one failure opens it, for 5s.
    let _ = reconf_db(true).await;
    assert_eq!(
        retry_after(reconf_db(false).await),
        Some(Duration::from_secs(5))
    );
}

#[tokio::test(start_paused = true)]
async fn window_counts_survive_a_threshold_change() {
    for _ in 0..5 {
        let _ = reconf_rated(true).await;
    }
    for _ in 0..4 {
        let _ = reconf_rated(false).await;
    }
    let breaker = registry().circuit_breaker("reconf-rated").unwrap();
    assert_eq!(breaker.metrics().calls_in_window, 9);
    config::load_str("[circuit_breaker.reconf-rated]\nfailure_rate = 50").unwrap();
    assert_eq!(breaker.metrics().calls_in_window, 9, "the window is kept");
    assert_eq!(breaker.state(), CircuitState::Closed);
    let _ = reconf_rated(false).await;
    assert_eq!(breaker.state(), CircuitState::Open, "5 failed of 10: 50%");
}

#[bulkhead(name = "reconf-pool", max_concurrent = 4, max_wait = "1h")]
async fn reconf_pool(inside: &AtomicUsize, peak: &AtomicUsize) -> Result<(), ServiceError> {
    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
    peak.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(3)).await;
    inside.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

/// Calls hold the bulkhead while it is resized up and down, through its handle and through
/// configuration: every call completes, and at the end no slot is held.
#[tokio::test(start_paused = true)]
async fn resizing_a_busy_bulkhead_leaks_no_slot() {
    let inside = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let (inside, peak) = (Arc::clone(&inside), Arc::clone(&peak));
            tokio::spawn(async move {
                for _ in 0..5 {
                    reconf_pool(&inside, &peak).await.unwrap();
                }
            })
        })
        .collect();
    let pool = registry().bulkhead("reconf-pool").unwrap();
    for (step, size) in [1usize, 6, 2, 8, 1, 3].into_iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(2)).await;
        if step % 2 == 0 {
            pool.set_max_concurrent(size);
        } else {
            config::apply(ConfigOverrides::new().bulkhead("reconf-pool", "max_concurrent", size))
                .unwrap();
        }
        assert_eq!(pool.max_concurrent(), size);
    }
    for task in tasks {
        task.await.unwrap();
    }
    let metrics = pool.metrics();
    assert_eq!((metrics.in_flight, metrics.waiting), (0, 0));
    assert_eq!(metrics.permitted, 200);
    assert_eq!(inside.load(Ordering::SeqCst), 0);
    assert!(peak.load(Ordering::SeqCst) <= 8);
    // All three slots of the final size are free.
    let permits: Vec<_> = (0..3).map(|_| pool.try_acquire().unwrap()).collect();
    assert!(pool.try_acquire().is_err());
    drop(permits);
}

#[retry(
    name = "reconf-retry",
    max_attempts = 2,
    initial_delay = "10ms",
    jitter = "none"
)]
async fn reconf_retry(calls: &AtomicUsize) -> Result<(), ServiceError> {
    calls.fetch_add(1, Ordering::SeqCst);
    Err(ServiceError::Transient(String::from("down")))
}

#[tokio::test(start_paused = true)]
async fn a_retry_in_progress_keeps_its_policy() {
    let calls = Arc::new(AtomicUsize::new(0));
    let running = tokio::spawn({
        let calls = Arc::clone(&calls);
        async move { reconf_retry(&calls).await }
    });
    tokio::task::yield_now().await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "sleeping before its second attempt"
    );
    config::load_str("[retry.reconf-retry]\nmax_attempts = 5").unwrap();
    assert!(running.await.unwrap().is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the call kept its 2 attempts"
    );

    let again = AtomicUsize::new(0);
    assert!(reconf_retry(&again).await.is_err());
    assert_eq!(again.load(Ordering::SeqCst), 5);
    let metrics = registry().retry("reconf-retry").unwrap().metrics();
    assert_eq!((metrics.calls, metrics.retries), (2, 5), "counters kept");
}

#[test]
fn configuration_sets_only_its_keys_and_keeps_changes_made_by_hand() {
    let pool = registry().register_bulkhead(
        "reconf-by-hand",
        resilience_runtime::bulkhead::BulkheadConfig::new(2),
    );
    pool.set_max_concurrent(7);
    config::load_str("[bulkhead.reconf-by-hand]\nmax_wait = \"20ms\"").unwrap();
    assert_eq!(pool.max_concurrent(), 7, "not a key of the file");
    assert_eq!(pool.max_wait(), Duration::from_millis(20));
    config::load_str("[bulkhead.reconf-by-hand]\nmax_concurrent = 3").unwrap();
    assert_eq!(pool.max_concurrent(), 3);
}
