//! Hedging is cancellation-safe: the losers are dropped as soon as the winner answers, and
//! everything they held below the hedge is back: a bulkhead's slots, a rate limit's
//! reserved permit, a half-open breaker's trial. The same when the whole call is dropped
//! mid-flight, or an attempt panics.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, bulkhead, circuit_breaker, hedge, rate_limit, registry};
use tokio::time::{Instant, sleep};

const MS: fn(u64) -> Duration = Duration::from_millis;

/// The slots of `hc-pool` in use now.
fn in_flight() -> usize {
    registry().bulkhead("hc-pool").unwrap().in_flight()
}

static POOL_ATTEMPTS: AtomicU32 = AtomicU32::new(0);
/// The most slots in use seen from inside an attempt.
static POOL_PEAK: AtomicUsize = AtomicUsize::new(0);

/// The first attempt of each call is stuck for a second; hedges answer in 10 ms, unless
/// `all_stuck`.
#[hedge(name = "hc-hedge", delay = "50ms", max_hedges = 2)]
#[bulkhead(name = "hc-pool", max_concurrent = 8)]
async fn over_pool(all_stuck: bool) -> Result<u32, Error> {
    let attempt = POOL_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    POOL_PEAK.fetch_max(in_flight(), Ordering::SeqCst);
    let first = attempt.is_multiple_of(3) || all_stuck;
    sleep(MS(if first { 1_000 } else { 10 })).await;
    Ok(attempt)
}

/// The bulkhead tests share `hc-pool`: one at a time.
static POOL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(start_paused = true)]
async fn the_losers_slots_are_back_when_the_winner_answers() {
    let _pool = POOL.lock().await;
    POOL_ATTEMPTS.store(0, Ordering::SeqCst);
    POOL_PEAK.store(0, Ordering::SeqCst);
    let start = Instant::now();
    let call = tokio::spawn(over_pool(false));
    sleep(MS(55)).await;
    // The stuck first attempt and its hedge each hold a slot.
    assert_eq!(in_flight(), 2);
    assert_eq!(call.await.unwrap().unwrap(), 1);
    assert_eq!(start.elapsed(), MS(60));
    // The first attempt was dropped with the answer: its slot is free at once.
    assert_eq!(in_flight(), 0);
    assert_eq!(POOL_PEAK.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn every_slot_is_back_when_the_call_is_dropped_mid_flight() {
    let _pool = POOL.lock().await;
    POOL_ATTEMPTS.store(0, Ordering::SeqCst);
    let call = tokio::spawn(over_pool(true));
    sleep(MS(120)).await;
    // Three attempts (at 0, 50 and 100 ms), none answered yet.
    assert_eq!(POOL_ATTEMPTS.load(Ordering::SeqCst), 3);
    assert_eq!(in_flight(), 3);
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    assert_eq!(in_flight(), 0);

    // The same with the call's future dropped in place, by an outer time limit.
    POOL_ATTEMPTS.store(0, Ordering::SeqCst);
    let cut = tokio::time::timeout(MS(70), over_pool(true)).await;
    assert!(cut.is_err());
    assert_eq!(POOL_ATTEMPTS.load(Ordering::SeqCst), 2);
    assert_eq!(in_flight(), 0);
}

static PANICS: AtomicU32 = AtomicU32::new(0);

/// The first attempt holds a slot; the hedge panics.
#[hedge(name = "hc-panics", delay = "50ms")]
#[bulkhead(name = "hc-panic-pool", max_concurrent = 4)]
async fn hedge_panics() -> Result<(), Error> {
    if PANICS.fetch_add(1, Ordering::SeqCst) == 1 {
        sleep(MS(5)).await;
        panic!("the hedge panics");
    }
    sleep(MS(1_000)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn every_slot_is_back_when_an_attempt_panics() {
    let pool = registry().bulkhead("hc-panic-pool").unwrap();
    let call = tokio::spawn(hedge_panics());
    sleep(MS(52)).await;
    assert_eq!(pool.in_flight(), 2);
    assert!(call.await.unwrap_err().is_panic());
    assert_eq!(pool.in_flight(), 0);
    assert_eq!(PANICS.load(Ordering::SeqCst), 2);
}

static PACED_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// One permit every 100 ms, burst 1, waited for: the first attempt takes the permit and
/// answers at 60 ms; the hedge (at 10 ms) waits for the next permit, due at 100 ms.
#[hedge(name = "hc-paced-hedge", delay = "10ms")]
#[rate_limit(
    name = "hc-limit",
    rate = "1/100ms",
    burst = 1,
    on_limit = "wait",
    max_wait = "1s"
)]
async fn paced() -> Result<u32, Error> {
    let attempt = PACED_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    sleep(MS(60)).await;
    Ok(attempt)
}

/// The same limit, unhedged.
#[rate_limit(name = "hc-limit")]
async fn paced_plain() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_losers_reserved_permit_goes_to_the_next_caller() {
    let start = Instant::now();
    assert_eq!(paced().await.unwrap(), 0);
    assert_eq!(start.elapsed(), MS(60));
    // The hedge never got its permit: it was waiting when the first attempt answered.
    assert_eq!(PACED_ATTEMPTS.load(Ordering::SeqCst), 1);
    let hedge = registry().hedge("hc-paced-hedge").unwrap().metrics();
    assert_eq!((hedge.hedges_started, hedge.hedges_won), (1, 0));
    // The permit it reserved, due at 100 ms, goes to the next caller, not one 100 ms later.
    paced_plain().await.unwrap();
    assert_eq!(start.elapsed(), MS(100));
    let limiter = registry().rate_limiter("hc-limit").unwrap().metrics();
    assert_eq!((limiter.permitted, limiter.cancelled), (2, 1));
}

static TRIALS: AtomicU32 = AtomicU32::new(0);

/// Under a half-open breaker, each attempt takes a trial permit.
#[hedge(name = "hc-trial-hedge", delay = "50ms")]
#[circuit_breaker(
    name = "hc-breaker",
    failure_threshold = 1,
    success_threshold = 3,
    half_open_max_calls = 3
)]
async fn trial() -> Result<u32, Error> {
    let attempt = TRIALS.fetch_add(1, Ordering::SeqCst);
    sleep(MS(if attempt == 0 { 1_000 } else { 10 })).await;
    Ok(attempt)
}

#[tokio::test(start_paused = true)]
async fn a_losers_trial_permit_is_given_back() {
    let breaker = registry().circuit_breaker("hc-breaker").unwrap();
    breaker.half_open();
    let left = || breaker.metrics().trial_permits_left;
    assert_eq!(left(), Some(3));
    let call = tokio::spawn(trial());
    sleep(MS(55)).await;
    // The stuck first attempt and the hedge each hold a trial.
    assert_eq!(left(), Some(1));
    assert_eq!(call.await.unwrap().unwrap(), 1);
    // The winner's trial counted as a success; the loser's was given back, unjudged.
    assert_eq!(left(), Some(2));
    let metrics = breaker.metrics();
    assert_eq!((metrics.successful, metrics.failed), (1, 0));
}
