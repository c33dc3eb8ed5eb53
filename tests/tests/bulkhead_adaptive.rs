//! Adaptive bulkheads (`#[bulkhead(adaptive = ..)]`): the limit moves with latency and errors,
//! the handle, snapshot and configuration show and change it without resetting it, the tower
//! layer learns the same way, an outer breaker and retry treat its rejections as a static
//! bulkhead's, and no permit is lost to a dropped or panicking call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::bulkhead::{Adaptive, BulkheadConfig};
use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::tower::BulkheadLayer;
use resilience_runtime::{Error, bulkhead, circuit_breaker, registry, retry};
use tokio::time::sleep;
use tower::{BoxError, Service, ServiceExt, service_fn};

/// Calls in the service behind the sites below, and the latency it adds beyond `FAST_UNTIL`.
static IN_SERVICE: AtomicUsize = AtomicUsize::new(0);

/// 10 ms with up to `capacity` calls inside, proportionally longer beyond.
async fn shared_service(capacity: usize) -> Result<(), Error> {
    let inside = IN_SERVICE.fetch_add(1, Ordering::SeqCst) + 1;
    let factor = (inside as f64 / capacity as f64).max(1.0);
    sleep(Duration::from_millis(10).mul_f64(factor)).await;
    IN_SERVICE.fetch_sub(1, Ordering::SeqCst);
    Ok(())
}

#[bulkhead(name = "adaptive-moves", max_concurrent = 100, adaptive = "aimd")]
async fn moving(fail: bool) -> Result<(), Error> {
    shared_service(8).await?;
    if fail {
        return Err(Error::timeout(Duration::from_millis(10)));
    }
    Ok(())
}

/// `calls` calls at once, `rounds` times; the limit after each round.
async fn rounds(rounds: usize, calls: usize, fail: bool) -> Vec<usize> {
    let pool = registry().bulkhead("adaptive-moves").unwrap();
    let mut limits = Vec::new();
    for _ in 0..rounds {
        let tasks: Vec<_> = (0..calls).map(|_| tokio::spawn(moving(fail))).collect();
        for task in tasks {
            let _ = task.await.unwrap();
        }
        limits.push(pool.limit());
    }
    limits
}

#[tokio::test(start_paused = true)]
async fn the_limit_grows_with_fast_calls_settles_at_the_capacity_and_falls_on_failures() {
    let pool = registry().bulkhead("adaptive-moves").unwrap();
    assert_eq!((pool.limit(), pool.max_concurrent()), (1, 100));
    assert_eq!(pool.adaptive(), Some(Adaptive::Aimd));
    // A service fast up to 8 calls at once, then slower in proportion: the limit grows from
    // 1 and settles where the latency passes 1.5× the no-load latency.
    let limits = rounds(60, 30, false).await;
    assert!(limits[5] > 4, "{limits:?}");
    let settled = *limits.last().unwrap();
    assert!((8..=14).contains(&settled), "{limits:?}");
    assert_eq!(pool.metrics().limit, settled);
    // Timeouts (failures) cut it, once per round trip, down to its minimum.
    let limits = rounds(30, 30, true).await;
    assert_eq!(*limits.last().unwrap(), 1, "{limits:?}");
    assert_eq!(pool.in_flight(), 0);
}

#[bulkhead(
    name = "adaptive-shown",
    max_concurrent = 40,
    adaptive = "vegas",
    min_concurrent = 3
)]
async fn shown() -> Result<(), Error> {
    sleep(Duration::from_millis(5)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn the_snapshot_and_metrics_show_the_limit_in_force() {
    shown().await.unwrap();
    let pool = registry().bulkhead("adaptive-shown").unwrap();
    let snapshot = registry().snapshot();
    let entry = snapshot
        .bulkheads
        .iter()
        .find(|bulkhead| bulkhead.name == "adaptive-shown")
        .unwrap();
    assert_eq!(entry.metrics.limit, pool.limit());
    assert_eq!(entry.config.adaptive(), Some(Adaptive::Vegas));
    assert_eq!(entry.config.min_concurrent(), 3);
    let json = serde_json::to_value(entry).unwrap();
    assert_eq!(json["config"]["adaptive"], "vegas");
    assert_eq!(json["metrics"]["limit"], pool.limit());
    let table = snapshot.to_string();
    let row = table
        .lines()
        .find(|line| line.contains("adaptive-shown"))
        .unwrap();
    assert!(row.contains("vegas (min 3)"), "{row}");
    assert!(table.contains("limit"), "{table}");
}

#[bulkhead(name = "adaptive-live", max_concurrent = 64, adaptive = "aimd")]
async fn live() -> Result<(), Error> {
    sleep(Duration::from_millis(10)).await;
    Ok(())
}

async fn burst(calls: usize) {
    let tasks: Vec<_> = (0..calls).map(|_| tokio::spawn(live())).collect();
    for task in tasks {
        let _ = task.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn live_changes_keep_the_algorithm_state_and_switching_is_defined() {
    let pool = registry().bulkhead("adaptive-live").unwrap();
    for _ in 0..6 {
        burst(64).await;
    }
    let grown = pool.limit();
    assert!(grown > 20, "{grown}");

    // A higher max keeps the limit where it is; a lower one clamps it, not resets it.
    config::apply(ConfigOverrides::new().bulkhead("adaptive-live", "max_concurrent", 128)).unwrap();
    assert_eq!(pool.limit(), grown);
    pool.set_max_concurrent(16);
    assert_eq!(pool.limit(), 16);
    pool.set_max_concurrent(128);
    assert_eq!(
        pool.limit(),
        16,
        "raising the max again does not reset the limit"
    );
    // min_concurrent raises a limit below it.
    config::apply(ConfigOverrides::new().bulkhead("adaptive-live", "min_concurrent", 20)).unwrap();
    assert_eq!((pool.limit(), pool.min_concurrent()), (20, 20));
    // Off: the limit is max_concurrent; on again (another algorithm): it starts from there.
    config::apply(ConfigOverrides::new().bulkhead("adaptive-live", "adaptive", "off")).unwrap();
    assert_eq!((pool.adaptive(), pool.limit()), (None, 128));
    config::apply(ConfigOverrides::new().bulkhead("adaptive-live", "adaptive", "gradient"))
        .unwrap();
    assert_eq!(
        (pool.adaptive(), pool.limit()),
        (Some(Adaptive::Gradient), 128)
    );
    assert_eq!(pool.config().adaptive(), Some(Adaptive::Gradient));
    // A min above the max is refused, as the attribute refuses it.
    let refused =
        config::apply(ConfigOverrides::new().bulkhead("adaptive-live", "min_concurrent", 500));
    assert!(refused.is_err());
    assert_eq!(pool.min_concurrent(), 20);
    burst(8).await;
    assert_eq!(pool.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_tower_layer_adapts_as_the_attribute_does() {
    let layer = BulkheadLayer::new(
        "adaptive-tower",
        BulkheadConfig::new(50).with_adaptive(Adaptive::Aimd),
    );
    let pool = layer.bulkhead();
    let inner = service_fn(|fail: bool| async move {
        sleep(Duration::from_millis(10)).await;
        if fail {
            Err::<(), BoxError>("down".into())
        } else {
            Ok(())
        }
    });
    let service = tower::Layer::layer(&layer, inner);
    assert_eq!(pool.limit(), 1);
    for _ in 0..8 {
        let calls: Vec<_> = (0..50)
            .map(|_| {
                let mut service = service.clone();
                tokio::spawn(async move { service.ready().await?.call(false).await })
            })
            .collect();
        for call in calls {
            let _ = call.await.unwrap();
        }
    }
    let grown = pool.limit();
    assert!(grown > 10, "fast calls grow the limit: {grown}");
    for _ in 0..20 {
        let mut service = service.clone();
        let _ = service.ready().await.unwrap().call(true).await;
    }
    assert!(
        pool.limit() < grown / 2,
        "errors cut it: {grown} -> {}",
        pool.limit()
    );
    assert_eq!(pool.in_flight(), 0);
}

static BREAKER_CALLS: AtomicUsize = AtomicUsize::new(0);

#[circuit_breaker(name = "adaptive-stack-breaker", failure_threshold = 1)]
#[bulkhead(name = "adaptive-stack", max_concurrent = 8, adaptive = "gradient")]
async fn behind_a_breaker(hold: Duration) -> Result<(), Error> {
    BREAKER_CALLS.fetch_add(1, Ordering::SeqCst);
    sleep(hold).await;
    Ok(())
}

#[retry(
    name = "adaptive-stack-retry",
    max_attempts = 3,
    initial_delay = "10ms",
    jitter = "none"
)]
#[bulkhead(name = "adaptive-stack", max_concurrent = 8, adaptive = "gradient")]
async fn behind_a_retry(hold: Duration) -> Result<(), Error> {
    sleep(hold).await;
    Ok(())
}

/// The adaptive bulkhead starts at one slot: while one call holds it, the others are rejected.
#[tokio::test(start_paused = true)]
async fn its_rejections_are_no_failures_for_a_breaker_and_a_retry_waits_them_out() {
    let pool = registry().bulkhead("adaptive-stack").unwrap();
    assert_eq!(pool.limit(), 1);
    let holder = tokio::spawn(behind_a_breaker(Duration::from_secs(1)));
    tokio::task::yield_now().await;
    for _ in 0..3 {
        let rejected = behind_a_breaker(Duration::ZERO).await;
        assert!(
            matches!(rejected, Err(Error::BulkheadFull { .. })),
            "{rejected:?}"
        );
    }
    let breaker = registry()
        .circuit_breaker("adaptive-stack-breaker")
        .unwrap();
    assert_eq!(breaker.state(), CircuitState::Closed);
    assert_eq!(breaker.metrics().failed, 0);
    assert_eq!(BREAKER_CALLS.load(Ordering::SeqCst), 1);

    // A retry around the bulkhead retries a rejection as it retries a static one's: the slot
    // frees up after 15 ms, the third attempt (after 10 + 20 ms) gets it.
    let holder_done = holder.await.unwrap();
    assert_eq!(holder_done, Ok(()));
    let holder = tokio::spawn(behind_a_retry(Duration::from_millis(15)));
    tokio::task::yield_now().await;
    let retried = behind_a_retry(Duration::ZERO).await;
    assert_eq!(retried, Ok(()));
    let retry = registry().retry("adaptive-stack-retry").unwrap();
    assert!(retry.metrics().retries >= 1, "{:?}", retry.metrics());
    assert_eq!(holder.await.unwrap(), Ok(()));
    assert_eq!(pool.in_flight(), 0);
}

#[bulkhead(
    name = "adaptive-dropped",
    max_concurrent = 4,
    adaptive = "vegas",
    min_concurrent = 4
)]
async fn held(hold: Duration, panic: bool) -> Result<(), Error> {
    sleep(hold).await;
    assert!(!panic, "the call panics");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn permits_are_never_lost_to_dropped_or_panicking_calls() {
    let pool = registry().bulkhead("adaptive-dropped").unwrap();
    for _ in 0..10 {
        // Dropped at its await.
        let dropped = tokio::time::timeout(
            Duration::from_millis(1),
            held(Duration::from_secs(1), false),
        );
        assert!(dropped.await.is_err());
        // Panicking after an await.
        let panicked = tokio::spawn(held(Duration::from_millis(1), true));
        assert!(panicked.await.unwrap_err().is_panic());
    }
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(pool.limit(), 4, "neither taught the algorithm anything");
    let calls: Vec<_> = (0..4)
        .map(|_| tokio::spawn(held(Duration::from_millis(5), false)))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), Ok(()));
    }
    assert_eq!(pool.metrics().permitted, 24);
}
