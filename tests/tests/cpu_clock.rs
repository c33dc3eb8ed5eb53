//! The opt-in CPU-counter clock (`clock::set_source(ClockSource::CpuCounter)`), as a service
//! would use it from `main`. The source is process-wide and ignores tokio's paused clock, so
//! these tests have a binary of their own, run on the real clock, and take turns.
//!
//! Nothing here asserts speed or elapsed time: only that readings are ordered, that they
//! agree with the system's monotonic clock within a calibration bound, and that the policies
//! decide as they do on tokio's clock.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::config::{self, ConfigOverrides};
use resilience_runtime::{Error, circuit_breaker, rate_limit, registry, timeout};
use resilience_tests::ServiceError;

/// How far a counter reading may sit outside the two system readings around it: far above
/// what calibration and one re-anchor interval's drift allow (microseconds). A correctness
/// bound, not a speed one.
const CALIBRATION_BOUND: Duration = Duration::from_millis(1);

/// Tests switch the source: one at a time.
static SOURCE: Mutex<()> = Mutex::new(());

/// The CPU counter, for the calling test alone.
fn on_the_counter() -> MutexGuard<'static, ()> {
    let turn = SOURCE.lock().unwrap_or_else(PoisonError::into_inner);
    clock::set_source(ClockSource::CpuCounter);
    assert_eq!(clock::source(), ClockSource::CpuCounter);
    turn
}

/// Runs `test` on a runtime whose clock runs (as in a service), holding the turn outside it.
fn on_a_running_clock(test: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(test);
}

#[rate_limit(name = "cpu-api", rate = "2/h", burst = 2, on_limit = "reject")]
async fn cpu_api() -> Result<(), ServiceError> {
    Ok(())
}

#[circuit_breaker(
    name = "cpu-db",
    failure_rate = 50,
    window = "1h",
    minimum_calls = 2,
    recovery_timeout = "1h"
)]
async fn cpu_db() -> Result<(), ServiceError> {
    Err(ServiceError::Permanent)
}

#[timeout("5s")]
async fn cpu_quick() -> Result<u32, ServiceError> {
    Ok(7)
}

#[timeout("10ms")]
async fn cpu_stuck() -> Result<u32, ServiceError> {
    std::future::pending().await
}

#[test]
fn readings_never_go_back_on_one_thread() {
    let _turn = on_the_counter();
    // Long enough on the clock itself to cross several re-anchors (every 100 ms).
    let first = clock::instant_now();
    let mut last = first;
    let mut reads = 0_u64;
    while last - first < Duration::from_millis(350) {
        let reading = clock::instant_now();
        assert!(
            reading >= last,
            "read {reading:?} after {last:?} (read {reads})"
        );
        last = reading;
        reads += 1;
    }
    assert!(reads > 1);
}

#[test]
fn readings_follow_the_monotonic_clock() {
    let _turn = on_the_counter();
    for _ in 0..10_000 {
        // Outside a runtime, tokio's instant is the system's monotonic clock.
        let before = tokio::time::Instant::now();
        let reading = clock::instant_now();
        let after = tokio::time::Instant::now();
        assert!(
            reading + CALIBRATION_BOUND >= before && reading <= after + CALIBRATION_BOUND,
            "{reading:?} not within {CALIBRATION_BOUND:?} of [{before:?}, {after:?}]"
        );
    }
}

#[test]
fn a_limiter_decides_on_the_counter() {
    let _turn = on_the_counter();
    on_a_running_clock(async {
        assert_eq!(cpu_api().await, Ok(()));
        assert_eq!(cpu_api().await, Ok(()));
        match cpu_api().await {
            Err(ServiceError::Resilience(Error::RateLimited { retry_after, .. })) => {
                let retry_after = retry_after.expect("a local limiter knows when");
                assert!(
                    retry_after > Duration::from_secs(60)
                        && retry_after <= Duration::from_secs(1800),
                    "{retry_after:?}"
                );
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        let metrics = registry().rate_limiter("cpu-api").unwrap().metrics();
        assert_eq!((metrics.permitted, metrics.rejected), (2, 1));
    });
}

#[test]
fn a_time_window_breaker_opens_on_the_counter() {
    let _turn = on_the_counter();
    on_a_running_clock(async {
        assert_eq!(cpu_db().await, Err(ServiceError::Permanent));
        assert_eq!(cpu_db().await, Err(ServiceError::Permanent));
        let breaker = registry().circuit_breaker("cpu-db").unwrap();
        assert_eq!(breaker.state(), CircuitState::Open);
        assert!(matches!(
            cpu_db().await,
            Err(ServiceError::Resilience(Error::CircuitOpen { .. }))
        ));
    });
}

#[test]
fn timeouts_count_on_the_counter() {
    let _turn = on_the_counter();
    on_a_running_clock(async {
        assert_eq!(cpu_quick().await, Ok(7));
        // The deadline, on the counter's scale, becomes a tokio timer that fires.
        assert_eq!(
            cpu_stuck().await,
            Err(ServiceError::Resilience(Error::timeout(
                Duration::from_millis(10)
            )))
        );
    });
}

#[test]
fn configuration_chooses_the_source() {
    let _turn = on_the_counter();
    let report = config::load_str("[global]\nclock = \"tokio\"").unwrap();
    assert_eq!(report.clock, Some(ClockSource::Tokio));
    assert_eq!(clock::source(), ClockSource::Tokio);
    let report = config::apply(ConfigOverrides::new().clock(ClockSource::CpuCounter)).unwrap();
    assert_eq!(report.clock, Some(ClockSource::CpuCounter));
    assert_eq!(clock::source(), ClockSource::CpuCounter);
    // A bad value changes nothing.
    let error = config::load_str("[global]\nclock = \"tsc\"").unwrap_err();
    assert!(error.to_string().contains("(accepted: tokio"), "{error}");
    assert_eq!(clock::source(), ClockSource::CpuCounter);
}

#[test]
fn switching_back_to_tokio_follows_a_paused_clock_again() {
    let _turn = on_the_counter();
    clock::set_source(ClockSource::Tokio);
    assert_eq!(clock::source(), ClockSource::Tokio);
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(async {
            let start = clock::instant_now();
            assert_eq!(start, tokio::time::Instant::now());
            tokio::time::advance(Duration::from_secs(3600)).await;
            assert_eq!(clock::instant_now() - start, Duration::from_secs(3600));
        });
    // And to the counter once more: anchored afresh, on the monotonic clock.
    clock::set_source(ClockSource::CpuCounter);
    let before = tokio::time::Instant::now();
    let reading = clock::instant_now();
    assert!(reading + CALIBRATION_BOUND >= before);
    assert!(reading <= tokio::time::Instant::now() + CALIBRATION_BOUND);
}
