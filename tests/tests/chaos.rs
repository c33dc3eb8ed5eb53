//! `#[chaos]` as users write it: inert unless armed, reproducible, and seen by the layers
//! above it as the service's own failures.
//!
//! This crate's dev-dependency arms chaos with the `chaos` feature, but every test decides
//! for itself with `chaos::set_enabled`, so none depends on `RESILIENCE_CHAOS` or on the
//! order tests run in: tests that need chaos armed share a read lock, the one that disarms
//! it (and pulls the kill switch) takes the write lock and re-arms before releasing it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::chaos::ChaosMetrics;
use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{Error, chaos, circuit_breaker, config, registry, retry, timeout};
use resilience_tests::ServiceError;
use tokio::sync::{RwLock, RwLockReadGuard};
use tokio::time::{Instant, advance};

static ARMING: RwLock<()> = RwLock::const_new(());

/// Chaos armed for as long as the guard lives.
async fn armed() -> RwLockReadGuard<'static, ()> {
    let guard = ARMING.read().await;
    chaos::set_enabled(true);
    guard
}

/// Re-arms chaos when dropped, even if the test that disarmed it fails.
struct Rearm;

impl Drop for Rearm {
    fn drop(&mut self) {
        config::set_disabled(false);
        chaos::set_enabled(true);
    }
}

fn metrics(name: &str) -> ChaosMetrics {
    registry().chaos(name).expect("declared").metrics()
}

static BODY_RUNS: AtomicU32 = AtomicU32::new(0);

#[chaos(name = "chaos-always", error_rate = 1.0, error = ServiceError::injected, latency = "1s")]
async fn always_injects() -> Result<u32, ServiceError> {
    BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn disarmed_or_killed_it_injects_nothing() {
    let _exclusive = ARMING.write().await;
    let _rearm = Rearm;
    chaos::set_enabled(false);
    assert!(!chaos::is_enabled());
    let start = Instant::now();
    for _ in 0..100 {
        assert_eq!(always_injects().await, Ok(1));
    }
    assert_eq!(start.elapsed(), Duration::ZERO, "no latency injected");
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 100);
    assert_eq!(metrics("chaos-always"), ChaosMetrics::default());
    assert!(!registry().chaos("chaos-always").unwrap().snapshot().armed);

    // Armed, the kill switch makes it a pass-through too.
    chaos::set_enabled(true);
    config::set_disabled(true);
    assert_eq!(always_injects().await, Ok(1));
    assert_eq!(metrics("chaos-always").calls, 0);
    config::set_disabled(false);

    // Armed: every call waits a second and fails without running the body.
    assert_eq!(
        always_injects().await,
        Err(ServiceError::injected()),
        "armed, it injects"
    );
    assert_eq!(BODY_RUNS.load(Ordering::SeqCst), 101);
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[chaos(
    name = "chaos-replay",
    error_rate = 0.3,
    error = ServiceError::injected,
    latency = "10ms",
    latency_rate = 0.5,
    seed = 42
)]
async fn replayed(id: u32) -> Result<u32, ServiceError> {
    Ok(id)
}

/// Each call's outcome and how long it took.
async fn run_replayed() -> Vec<(bool, Duration)> {
    let mut outcomes = Vec::new();
    for id in 0..300 {
        let start = Instant::now();
        let ok = replayed(id).await.is_ok();
        outcomes.push((ok, start.elapsed()));
    }
    outcomes
}

#[tokio::test(start_paused = true)]
async fn seeded_runs_reproduce_exactly() {
    let _armed = armed().await;
    let first = run_replayed().await;
    let counts = metrics("chaos-replay");
    registry().chaos("chaos-replay").unwrap().reset();
    let second = run_replayed().await;
    assert_eq!(first, second, "the same seed gives the same injections");
    assert_eq!(metrics("chaos-replay"), counts);
    // Both faults happened, and not on every call.
    let failed = first.iter().filter(|(ok, _)| !ok).count();
    let delayed = first.iter().filter(|(_, took)| !took.is_zero()).count();
    assert!((1..300).contains(&failed) && (1..300).contains(&delayed));
    assert_eq!(counts.errors_injected, failed as u64);
    assert_eq!(counts.latencies_injected, delayed as u64);
}

#[chaos(name = "chaos-rate", error_rate = 0.2, error = ServiceError::injected)]
async fn fifth_fails(id: u32) -> Result<u32, ServiceError> {
    Ok(id)
}

#[tokio::test(start_paused = true)]
async fn the_error_rate_holds_over_ten_thousand_calls() {
    let _armed = armed().await;
    let calls = 10_000;
    let mut failed = 0_u32;
    for id in 0..calls {
        match fifth_fails(id).await {
            Ok(value) => assert_eq!(value, id),
            Err(error) => {
                assert_eq!(error, ServiceError::injected());
                failed += 1;
            }
        }
    }
    let rate = f64::from(failed) / f64::from(calls);
    println!("injected error rate over {calls} calls: {rate:.4}");
    // 0.2 ± 0.015, over three and a half standard deviations (0.004) either side.
    assert!((0.185..=0.215).contains(&rate), "rate {rate}");
    let counts = metrics("chaos-rate");
    assert_eq!(counts.calls, u64::from(calls));
    assert_eq!(counts.errors_injected, u64::from(failed));
}

static RETRIED_BODY_RUNS: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "chaos-retry",
    max_attempts = 5,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when = ServiceError::is_transient
)]
#[chaos(name = "chaos-under-retry", error_rate = 0.2, error = ServiceError::injected)]
async fn retried(id: u32) -> Result<u32, ServiceError> {
    RETRIED_BODY_RUNS.fetch_add(1, Ordering::SeqCst);
    Ok(id)
}

#[tokio::test(start_paused = true)]
async fn a_retry_above_absorbs_twenty_percent_injected_failures() {
    let _armed = armed().await;
    let calls = 10_000_u32;
    let mut succeeded = 0_u32;
    for id in 0..calls {
        if retried(id).await == Ok(id) {
            succeeded += 1;
        }
    }
    let success = f64::from(succeeded) / f64::from(calls);
    let retry = registry().retry("chaos-retry").unwrap().metrics();
    let injected = metrics("chaos-under-retry");
    println!(
        "retry(max_attempts = 5) over chaos(error_rate = 0.2): {succeeded}/{calls} succeeded \
         ({:.2}%), {} retries, {} errors injected",
        success * 100.0,
        retry.retries,
        injected.errors_injected
    );
    assert!(success >= 0.995, "success {success}");
    // Every injected error was retried or ended a call, and the body ran once per success.
    assert_eq!(RETRIED_BODY_RUNS.load(Ordering::SeqCst), succeeded);
    assert_eq!(injected.calls, u64::from(calls) + retry.retries);
    assert_eq!(
        injected.errors_injected,
        retry.retries + u64::from(calls - succeeded)
    );
}

#[chaos(name = "chaos-latency", latency = "200ms", latency_rate = 0.5)]
async fn sometimes_slow() -> Result<(), ServiceError> {
    Ok(())
}

#[timeout("100ms")]
#[chaos(name = "chaos-latency-timeout", latency = "200ms")]
async fn slower_than_its_timeout() -> Result<(), ServiceError> {
    BODY_RUNS_UNDER_TIMEOUT.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

static BODY_RUNS_UNDER_TIMEOUT: AtomicU32 = AtomicU32::new(0);

#[tokio::test(start_paused = true)]
async fn injected_latency_is_seen_on_the_paused_clock() {
    let _armed = armed().await;
    let start = Instant::now();
    for _ in 0..100 {
        sometimes_slow().await.unwrap();
    }
    let counts = metrics("chaos-latency");
    assert!((20..=80).contains(&counts.latencies_injected), "{counts:?}");
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(200) * u32::try_from(counts.latencies_injected).unwrap()
    );
    assert_eq!(counts.injected_latency, start.elapsed());

    // A timeout above it cancels the injected wait, and the body never runs.
    let result = slower_than_its_timeout().await;
    assert!(
        matches!(result, Err(ServiceError::Resilience(Error::Timeout { .. }))),
        "{result:?}"
    );
    assert_eq!(BODY_RUNS_UNDER_TIMEOUT.load(Ordering::SeqCst), 0);
}

#[circuit_breaker(
    name = "chaos-outage-breaker",
    failure_threshold = 3,
    recovery_timeout = "2s",
    success_threshold = 2
)]
#[chaos(name = "chaos-outage", outage = "5s", period = "60s", error = ServiceError::injected)]
async fn behind_an_outage() -> Result<(), ServiceError> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_outage_opens_the_breaker_above_and_it_closes_after() {
    let _armed = armed().await;
    let breaker = registry().circuit_breaker("chaos-outage-breaker").unwrap();
    // The outage runs from the first call (t = 0) to t = 5s.
    for _ in 0..3 {
        assert_eq!(behind_an_outage().await, Err(ServiceError::injected()));
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    let rejected = behind_an_outage().await;
    assert!(
        matches!(
            rejected,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ),
        "{rejected:?}"
    );
    assert_eq!(
        metrics("chaos-outage").outage_calls,
        3,
        "the open breaker shields it"
    );

    // t = 3s: the trial call still meets the outage, and the breaker opens again.
    advance(Duration::from_secs(3)).await;
    assert_eq!(behind_an_outage().await, Err(ServiceError::injected()));
    assert_eq!(breaker.state(), CircuitState::Open);

    // t = 6s: the outage is over; two trial successes close the breaker.
    advance(Duration::from_secs(3)).await;
    assert_eq!(behind_an_outage().await, Ok(()));
    assert_eq!(behind_an_outage().await, Ok(()));
    assert_eq!(breaker.state(), CircuitState::Closed);
    let counts = metrics("chaos-outage");
    assert_eq!((counts.calls, counts.outage_calls), (6, 4));

    // t = 60s: the next period starts with another outage.
    advance(Duration::from_secs(54)).await;
    assert_eq!(behind_an_outage().await, Err(ServiceError::injected()));
}

#[chaos(name = "chaos-sync", error_rate = 1.0, error = ServiceError::injected)]
fn sync_always_fails(id: u32) -> Result<u32, ServiceError> {
    Ok(id)
}

#[tokio::test(start_paused = true)]
async fn sync_fns_and_the_snapshot_report_what_was_injected() {
    let _armed = armed().await;
    for id in 0..5 {
        assert_eq!(sync_always_fails(id), Err(ServiceError::injected()));
    }
    let snapshot = registry().snapshot();
    let entry = snapshot
        .chaos
        .iter()
        .find(|chaos| chaos.name == "chaos-sync")
        .expect("listed in the snapshot");
    assert!(entry.armed);
    assert_eq!(entry.config.error_rate(), 1.0);
    assert_eq!(entry.metrics.calls, 5);
    assert_eq!(entry.metrics.errors_injected, 5);

    let json = serde_json::to_value(&snapshot).unwrap();
    let listed = json["chaos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|chaos| chaos["name"] == "chaos-sync")
        .expect("in the JSON");
    assert_eq!(listed["metrics"]["errors_injected"], 5);
    assert_eq!(listed["seed"], entry.seed);

    let tables = snapshot.to_string();
    let row = tables
        .lines()
        .find(|line| line.trim_start().starts_with("chaos-sync "))
        .expect("a row in the chaos table");
    assert!(tables.contains("\nChaos\n"), "{tables}");
    assert!(row.contains("errors 100%"), "{row}");
}
