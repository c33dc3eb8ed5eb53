//! Soak tests: each reliability promise of `RELIABILITY.md`, held over thousands of calls with
//! faults injected by a seeded generator, written as users write them (attributes plus
//! registry handles) on tokio's paused clock, plus one multi-threaded stress test.
//!
//! Each test prints what it measured with `eprintln!`; `RELIABILITY.md` quotes the figures:
//! `cargo test -p resilience-tests --test soak -- --nocapture`.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use resilience_runtime::circuit_breaker::{CircuitEvent, CircuitState};
use resilience_runtime::{Error, bulkhead, circuit_breaker, rate_limit, registry, retry};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until};

const RELAXED: Ordering = Ordering::Relaxed;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum SoakError {
    #[error("transient failure")]
    Transient,
    #[error("the service is down")]
    Outage,
    #[error(transparent)]
    Resilience(#[from] Error),
}

impl SoakError {
    fn is_circuit_open(&self) -> bool {
        matches!(self, Self::Resilience(Error::CircuitOpen { .. }))
    }
}

/// SplitMix64 over an atomic counter: the same sequence for the same seed, and shareable
/// between tasks (on the paused current-thread runtime their order is fixed, so every run
/// injects the same faults).
struct SplitMix64(AtomicU64);

impl SplitMix64 {
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    const fn new(seed: u64) -> Self {
        Self(AtomicU64::new(seed))
    }

    fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(Self::GAMMA, RELAXED)
            .wrapping_add(Self::GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the modulo bias is below 1e-15 for the small `n` used here).
    fn below(&self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent / 100`.
    fn percent(&self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn millis_below(&self, n: u64) -> Duration {
        Duration::from_millis(self.below(n))
    }
}

/// A body inside a [`Probe`].
struct Inside<'a>(&'a Probe);

impl Drop for Inside<'_> {
    fn drop(&mut self) {
        self.0.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Concurrency inside a body: how many run right now, and the most ever at once.
struct Probe {
    inside: AtomicUsize,
    peak: AtomicUsize,
}

impl Probe {
    const fn new() -> Self {
        Self {
            inside: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }
    }

    /// Counts a body in until the guard drops (also when the body is cancelled).
    fn enter(&self) -> Inside<'_> {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        Inside(self)
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    100.0 * part as f64 / whole as f64
}

// ---------------------------------------------------------------------------------------------
// Retry: ≥ 99.5% success with 20% transient failures and five attempts
// ---------------------------------------------------------------------------------------------

const RETRY_CALLS: u64 = 20_000;

#[retry(
    name = "soak-retry",
    max_attempts = 5,
    backoff = "exponential",
    initial_delay = "10ms",
    max_delay = "1s",
    jitter = "full"
)]
async fn transiently_failing(faults: &SplitMix64, failures: &AtomicU64) -> Result<(), SoakError> {
    if faults.percent(20) {
        failures.fetch_add(1, RELAXED);
        Err(SoakError::Transient)
    } else {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn soak_retry_succeeds_in_at_least_99_5_percent_under_20_percent_transient_failures() {
    let faults = SplitMix64::new(0x5EED_0001);
    let injected = AtomicU64::new(0);
    let start = Instant::now();
    let mut failed = 0;
    for _ in 0..RETRY_CALLS {
        if transiently_failing(&faults, &injected).await.is_err() {
            failed += 1;
        }
    }
    let succeeded = RETRY_CALLS - failed;
    let metrics = registry().retry("soak-retry").expect("declared").metrics();
    let attempts = metrics.calls + metrics.retries;
    let injected = injected.load(RELAXED);
    eprintln!(
        "soak retry: {succeeded}/{RETRY_CALLS} calls succeeded ({:.3}%), {failed} gave up after \
         5 attempts; {injected} of {attempts} attempts failed ({:.2}% injected); {:.3} attempts \
         per call; {:?} of paused time",
        percent(succeeded, RETRY_CALLS),
        percent(injected, attempts),
        attempts as f64 / RETRY_CALLS as f64,
        start.elapsed(),
    );
    assert!(
        succeeded * 1000 >= RETRY_CALLS * 995,
        "{succeeded} of {RETRY_CALLS}"
    );
    // The faults were really injected at about the promised rate (20% ± 1%).
    assert!((19 * attempts..=21 * attempts).contains(&(100 * injected)));
    assert_eq!(
        (metrics.calls, metrics.succeeded, metrics.failed),
        (RETRY_CALLS, succeeded, failed)
    );
    assert_eq!(
        metrics.exhausted, failed,
        "every failed call used its 5 attempts"
    );
}

// ---------------------------------------------------------------------------------------------
// Circuit breaker: an outage opens it after exactly its threshold, rejects fast, then closes
// ---------------------------------------------------------------------------------------------

const BREAKER_THRESHOLD: u64 = 5;
const BREAKER_RECOVERY: Duration = Duration::from_secs(1);
const CALL_EVERY: Duration = Duration::from_millis(10);
const BODY_TAKES: Duration = Duration::from_millis(5);
const OUTAGES: u32 = 20;
const HEALTHY_CALLS: u32 = 100;
const OUTAGE_LENGTH: Duration = Duration::from_secs(5);

struct Service {
    down: AtomicBool,
    bodies: AtomicU64,
}

#[circuit_breaker(
    name = "soak-breaker",
    failure_threshold = 5,
    recovery_timeout = "1s",
    success_threshold = 2
)]
async fn backend(service: &Service) -> Result<(), SoakError> {
    service.bodies.fetch_add(1, RELAXED);
    sleep(BODY_TAKES).await;
    if service.down.load(RELAXED) {
        Err(SoakError::Outage)
    } else {
        Ok(())
    }
}

/// One call of `backend`: its result, whether its body ran, and how long it took.
async fn timed_call(service: &Service) -> (Result<(), SoakError>, bool, Duration) {
    let bodies = service.bodies.load(RELAXED);
    let start = Instant::now();
    let result = backend(service).await;
    let ran = service.bodies.load(RELAXED) != bodies;
    (result, ran, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn soak_breaker_opens_after_its_threshold_rejects_fast_and_closes_after_each_outage() {
    let breaker = registry()
        .circuit_breaker("soak-breaker")
        .expect("declared");
    let edges = Arc::new(Mutex::new(Vec::new()));
    let _subscription = breaker.subscribe({
        let edges = Arc::clone(&edges);
        move |event: &CircuitEvent| edges.lock().unwrap().push((event.from, event.to))
    });
    let service = Service {
        down: AtomicBool::new(false),
        bodies: AtomicU64::new(0),
    };
    let mut next = Instant::now();
    let mut tick = async || {
        next += CALL_EVERY;
        sleep_until(next).await;
    };
    let (mut rejections, mut trials, mut calls) = (0_u64, 0_u64, 0_u64);
    let mut slowest_close = Duration::ZERO;
    for outage in 0..OUTAGES {
        for _ in 0..HEALTHY_CALLS {
            let (result, ran, _) = timed_call(&service).await;
            assert_eq!((result, ran), (Ok(()), true), "healthy, outage {outage}");
            calls += 1;
            tick().await;
        }
        edges.lock().unwrap().clear();
        service.down.store(true, RELAXED);
        let outage_ends = Instant::now() + OUTAGE_LENGTH;
        let mut into_outage = 0;
        while breaker.state() == CircuitState::Closed {
            let (result, ran, _) = timed_call(&service).await;
            assert_eq!((result, ran), (Err(SoakError::Outage), true));
            into_outage += 1;
            calls += 1;
            tick().await;
        }
        assert_eq!(into_outage, BREAKER_THRESHOLD, "opened after its threshold");
        while Instant::now() < outage_ends {
            let (result, ran, took) = timed_call(&service).await;
            calls += 1;
            match result {
                Err(error) if error.is_circuit_open() => {
                    assert!(!ran, "a rejection never runs the body");
                    assert_eq!(took, Duration::ZERO, "a rejection takes no time");
                    rejections += 1;
                }
                // The half-open trial, once per recovery timeout.
                other => {
                    assert_eq!((other, ran), (Err(SoakError::Outage), true));
                    trials += 1;
                }
            }
            tick().await;
        }
        service.down.store(false, RELAXED);
        let ended = Instant::now();
        while breaker.state() != CircuitState::Closed {
            let (result, ran, took) = timed_call(&service).await;
            calls += 1;
            assert!(
                result.is_ok() || (result.as_ref().is_err_and(SoakError::is_circuit_open) && !ran),
                "{result:?}"
            );
            if !ran {
                assert_eq!(took, Duration::ZERO);
                rejections += 1;
            }
            tick().await;
        }
        let closed_after = ended.elapsed();
        slowest_close = slowest_close.max(closed_after);
        // The last trial started at most one call interval before the outage ended.
        assert!(
            closed_after <= BREAKER_RECOVERY + 3 * CALL_EVERY,
            "{closed_after:?}"
        );
        let edges: Vec<_> = std::mem::take(&mut *edges.lock().unwrap());
        use CircuitState::{Closed, HalfOpen, Open};
        assert_eq!(edges.first(), Some(&(Closed, Open)));
        assert_eq!(
            edges[edges.len() - 2..],
            [(Open, HalfOpen), (HalfOpen, Closed)]
        );
        for failed_trial in edges[1..edges.len() - 2].chunks(2) {
            assert_eq!(failed_trial, [(Open, HalfOpen), (HalfOpen, Open)]);
        }
    }
    let metrics = breaker.metrics();
    eprintln!(
        "soak breaker: {OUTAGES} outages of {OUTAGE_LENGTH:?}, {calls} calls: opened after exactly \
         {BREAKER_THRESHOLD} failed calls each time; {rejections} rejections, none ran the body, \
         each took 0 ns of paused time; {trials} failed half-open trials; closed at most \
         {slowest_close:?} after an outage ended (recovery_timeout {BREAKER_RECOVERY:?})"
    );
    assert_eq!(metrics.not_permitted, rejections);
    assert_eq!(breaker.state(), CircuitState::Closed);
}

// ---------------------------------------------------------------------------------------------
// Rate limiter: shared by 8 tasks, never over the limit in any of 10,000 windows
// ---------------------------------------------------------------------------------------------

/// The limiters' shape: `rate = "3/30ms"` with a burst of 3, i.e. one permit every 10ms and
/// up to 3 at once.
const RATE_COUNT: u64 = 3;
const PERIOD: Duration = Duration::from_millis(30);
const BURST: u64 = 3;
const INTERVAL_NANOS: u64 = PERIOD.as_nanos() as u64 / RATE_COUNT;
const WINDOWS: u64 = 10_000;
const LIMITER_TASKS: u64 = 8;
/// The most admissions one window of one period can hold: a full burst at its start, plus
/// the permits that accrue during it.
const WINDOW_LIMIT: u64 = BURST + RATE_COUNT - 1;

/// When each admitted call's body ran, in nanoseconds since the test started.
struct Admissions {
    start: Instant,
    at: Mutex<Vec<u64>>,
}

impl Admissions {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            at: Mutex::new(Vec::new()),
        }
    }

    fn record(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap();
        self.at.lock().unwrap().push(nanos);
    }

    fn run_is_over(&self) -> bool {
        self.start.elapsed() >= PERIOD * u32::try_from(WINDOWS).unwrap()
    }
}

#[rate_limit(
    name = "soak-limit-reject",
    rate = "3/30ms",
    burst = 3,
    on_limit = "reject"
)]
async fn limited_reject(admissions: &Admissions) -> Result<(), SoakError> {
    admissions.record();
    Ok(())
}

#[rate_limit(
    name = "soak-limit-wait",
    rate = "3/30ms",
    burst = 3,
    on_limit = "wait",
    max_wait = "1s"
)]
async fn limited_wait(admissions: &Admissions) -> Result<(), SoakError> {
    admissions.record();
    Ok(())
}

/// What the admission times show about the GCRA limit.
struct LimitReport {
    admitted: u64,
    max_in_window: u64,
    windows_at_rate: u64,
    over_limit: u64,
}

/// Checks every admission against the limit: in every window of one period, at most the
/// burst plus the permits that accrue during it (`BURST + RATE_COUNT - 1`), in the fixed
/// windows `[k·PERIOD, (k+1)·PERIOD)` and in the sliding ones starting at each admission
/// (which is where the most calls fit); in general, `j - i` admissions after admission `i`
/// come no sooner than `(j - i - BURST + 1)` intervals later.
fn check_limit(times: &[u64]) -> LimitReport {
    let window = u64::try_from(PERIOD.as_nanos()).unwrap();
    let limit = WINDOW_LIMIT;
    let mut per_window = vec![0_u64; usize::try_from(WINDOWS).unwrap()];
    for &at in times {
        if let Some(count) = per_window.get_mut(usize::try_from(at / window).unwrap()) {
            *count += 1;
        }
    }
    let mut over_limit = per_window.iter().filter(|&&count| count > limit).count() as u64;
    for (i, &first) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|&&at| at < first + window)
            .count() as u64;
        if in_window > limit {
            over_limit += 1;
        }
        for (later, &at) in times[i..].iter().enumerate().skip(1) {
            let intervals = (later as u64 + 1).saturating_sub(BURST);
            if intervals > RATE_COUNT + 1 {
                break;
            }
            if at - first < intervals * INTERVAL_NANOS {
                over_limit += 1;
            }
        }
    }
    LimitReport {
        admitted: per_window.iter().sum(),
        max_in_window: per_window.iter().copied().max().unwrap_or(0),
        windows_at_rate: per_window.iter().filter(|&&c| c == RATE_COUNT).count() as u64,
        over_limit,
    }
}

fn report_limit(mode: &str, name: &str, report: &LimitReport, calls: u64) {
    let capacity = BURST + WINDOWS * RATE_COUNT;
    eprintln!(
        "soak limiter ({mode}): {LIMITER_TASKS} tasks, {calls} calls, {} admitted in {WINDOWS} \
         windows of {PERIOD:?} ({:.2}% of the {capacity} the limit allows); most in one window \
         {} (limit {}), {} windows at exactly the rate; {} admissions over the limit; metrics \
         {:?}",
        report.admitted,
        percent(report.admitted, capacity),
        report.max_in_window,
        WINDOW_LIMIT,
        report.windows_at_rate,
        report.over_limit,
        registry().rate_limiter(name).expect("declared").metrics(),
    );
}

#[tokio::test(start_paused = true)]
async fn soak_limiter_shared_by_8_tasks_rejecting_never_admits_over_the_limit() {
    let admissions = Arc::new(Admissions::new());
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for task in 0..LIMITER_TASKS {
        let (admissions, calls) = (Arc::clone(&admissions), Arc::clone(&calls));
        tasks.spawn(async move {
            let jitter = SplitMix64::new(0x5EED_0100 + task);
            while !admissions.run_is_over() {
                calls.fetch_add(1, RELAXED);
                match limited_reject(&admissions).await {
                    Ok(()) => sleep(jitter.millis_below(4)).await,
                    // Back off for the hinted time, plus up to 3ms so the tasks spread out.
                    Err(SoakError::Resilience(error)) => {
                        let hint = error.retry_after().expect("a finite hint");
                        sleep(hint + jitter.millis_below(4)).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        });
    }
    tasks.join_all().await;
    let times = admissions.at.lock().unwrap().clone();
    let report = check_limit(&times);
    let calls = calls.load(RELAXED);
    report_limit("reject", "soak-limit-reject", &report, calls);
    assert_eq!(report.over_limit, 0);
    assert!(report.max_in_window <= WINDOW_LIMIT);
    let metrics = registry()
        .rate_limiter("soak-limit-reject")
        .expect("declared")
        .metrics();
    assert_eq!(metrics.permitted, times.len() as u64);
    assert_eq!(metrics.permitted + metrics.rejected, calls);
    // Not vacuous: the contended limiter admitted at least 90% of what it allows.
    assert!(10 * report.admitted >= 9 * WINDOWS * RATE_COUNT);
}

#[tokio::test(start_paused = true)]
async fn soak_limiter_shared_by_8_tasks_waiting_never_admits_over_the_limit() {
    let admissions = Arc::new(Admissions::new());
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for task in 0..LIMITER_TASKS {
        let (admissions, calls) = (Arc::clone(&admissions), Arc::clone(&calls));
        tasks.spawn(async move {
            let think = SplitMix64::new(0x5EED_0200 + task);
            while !admissions.run_is_over() {
                calls.fetch_add(1, RELAXED);
                limited_wait(&admissions)
                    .await
                    .expect("8 waiters wait at most 80ms");
                sleep(think.millis_below(4)).await;
            }
        });
    }
    tasks.join_all().await;
    let times = admissions.at.lock().unwrap().clone();
    let report = check_limit(&times);
    let calls = calls.load(RELAXED);
    report_limit("wait", "soak-limit-wait", &report, calls);
    assert_eq!(report.over_limit, 0);
    assert!(report.max_in_window <= WINDOW_LIMIT);
    let metrics = registry()
        .rate_limiter("soak-limit-wait")
        .expect("declared")
        .metrics();
    assert_eq!((metrics.permitted, metrics.rejected), (calls, 0));
    // Waiters always queue, so the limiter runs at its rate: at least 99% of what it allows.
    assert!(100 * report.admitted >= 99 * WINDOWS * RATE_COUNT);
}

// ---------------------------------------------------------------------------------------------
// Bulkhead: 10,000 concurrent tasks never exceed max_concurrent, and do reach it
// ---------------------------------------------------------------------------------------------

const BULKHEAD_TASKS: u64 = 10_000;
const BULKHEAD_MAX: usize = 16;

static POOL_PROBE: Probe = Probe::new();
static POOL_FAULTS: SplitMix64 = SplitMix64::new(0x5EED_0300);

#[bulkhead(name = "soak-bulkhead", max_concurrent = 16, max_wait = "60s")]
async fn pooled() -> Result<(), SoakError> {
    let _inside = POOL_PROBE.enter();
    sleep(Duration::from_millis(1) + POOL_FAULTS.millis_below(10)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn soak_bulkhead_under_10_000_concurrent_tasks_never_exceeds_max_concurrent() {
    let pool = registry().bulkhead("soak-bulkhead").expect("declared");
    let start = Instant::now();
    let mut tasks = JoinSet::new();
    for _ in 0..BULKHEAD_TASKS {
        tasks.spawn(pooled());
    }
    let results = tasks.join_all().await;
    let metrics = pool.metrics();
    eprintln!(
        "soak bulkhead: {BULKHEAD_TASKS} concurrent tasks, max_concurrent {BULKHEAD_MAX}: peak \
         {} in the bodies, {} by the bulkhead's count; {} permitted, {} rejected; {:?} of paused \
         time",
        POOL_PROBE.peak(),
        metrics.peak_in_flight,
        metrics.permitted,
        metrics.rejected,
        start.elapsed(),
    );
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(POOL_PROBE.peak(), BULKHEAD_MAX, "never above, and reached");
    assert_eq!(metrics.peak_in_flight, BULKHEAD_MAX);
    assert_eq!((metrics.permitted, metrics.rejected), (BULKHEAD_TASKS, 0));
    assert_eq!((metrics.in_flight, metrics.waiting), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// No leaks: 50% of calls cancelled at random points, 1% of bodies panicking
// ---------------------------------------------------------------------------------------------

const LEAK_CALLS: u64 = 20_000;
const LEAK_WORKERS: u64 = 16;
const LEAK_BURST: u64 = 20;
const INJECTED_PANIC: &str = "soak: injected panic";

/// The injected faults of the leak test: random (`RANDOM`), or one scripted outcome for every
/// body (`CALM`, `FAIL`, `PANIC`).
struct Chaos {
    rng: SplitMix64,
    mode: AtomicU8,
    /// Bodies that ran to the fault roll (not cancelled before it).
    rolls: AtomicU64,
}

const RANDOM: u8 = 0;
const CALM: u8 = 1;
const FAIL: u8 = 2;
const PANIC: u8 = 3;

static CHAOS: Chaos = Chaos {
    rng: SplitMix64::new(0x5EED_0400),
    mode: AtomicU8::new(RANDOM),
    rolls: AtomicU64::new(0),
};

#[circuit_breaker(
    name = "soak-leak-breaker",
    failure_threshold = 3,
    recovery_timeout = "50ms",
    success_threshold = 2
)]
#[rate_limit(
    name = "soak-leak-limiter",
    rate = "300/s",
    burst = 20,
    max_wait = "50ms"
)]
#[bulkhead(name = "soak-leak-bulkhead", max_concurrent = 4, max_wait = "20ms")]
async fn fragile() -> Result<(), SoakError> {
    sleep(Duration::from_millis(5) + CHAOS.rng.millis_below(20)).await;
    match CHAOS.mode.load(RELAXED) {
        CALM => return Ok(()),
        FAIL => return Err(SoakError::Transient),
        PANIC => panic!("{INJECTED_PANIC}"),
        _ => {}
    }
    CHAOS.rolls.fetch_add(1, RELAXED);
    match CHAOS.rng.below(100) {
        0 => panic!("{INJECTED_PANIC}"),
        1..=15 => Err(SoakError::Transient),
        _ => Ok(()),
    }
}

/// Keeps the injected panics out of the output; any other panic is reported as usual.
fn silence_injected_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let injected = payload.downcast_ref::<&str>() == Some(&INJECTED_PANIC)
                || payload.downcast_ref::<String>().map(String::as_str) == Some(INJECTED_PANIC);
            if !injected {
                report(info);
            }
        }));
    });
}

#[derive(Debug, Default)]
struct LeakTally {
    ok: u64,
    failed: u64,
    circuit_open: u64,
    rate_limited: u64,
    bulkhead_full: u64,
    dropped: u64,
    aborted: u64,
    panicked: u64,
}

#[tokio::test(start_paused = true)]
async fn soak_no_permit_leaks_after_50_percent_cancellations_and_1_percent_panics() {
    silence_injected_panics();
    let breaker = registry()
        .circuit_breaker("soak-leak-breaker")
        .expect("declared");
    // Periods entered and left half-open.
    let half_open = Arc::new(Mutex::new((0_u64, 0_u64)));
    let _subscription = breaker.subscribe({
        let half_open = Arc::clone(&half_open);
        move |event: &CircuitEvent| {
            let mut half_open = half_open.lock().unwrap();
            half_open.0 += u64::from(event.to == CircuitState::HalfOpen);
            half_open.1 += u64::from(event.from == CircuitState::HalfOpen);
        }
    });
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for worker in 0..LEAK_WORKERS {
        workers.spawn(async move {
            let rng = SplitMix64::new(0x5EED_0500 + worker);
            let mut tally = LeakTally::default();
            for _ in 0..LEAK_CALLS / LEAK_WORKERS {
                let deadline = Duration::from_millis(1) + rng.millis_below(15);
                // A quarter of the calls are dropped inside their task when a random short
                // deadline passes, a quarter are aborted from outside after one; either way
                // the call's future is dropped at whatever await it reached.
                let mode = rng.below(4);
                let call = tokio::spawn(async move {
                    if mode == 0 {
                        tokio::select! {
                            biased;
                            result = fragile() => Some(result),
                            () = sleep(deadline) => None,
                        }
                    } else {
                        Some(fragile().await)
                    }
                });
                if mode == 1 {
                    sleep(deadline).await;
                    call.abort();
                }
                match call.await {
                    Ok(Some(Ok(()))) => tally.ok += 1,
                    Ok(Some(Err(SoakError::Resilience(error)))) => match error {
                        Error::CircuitOpen { .. } => tally.circuit_open += 1,
                        Error::RateLimited { .. } => tally.rate_limited += 1,
                        _ => tally.bulkhead_full += 1,
                    },
                    Ok(Some(Err(_))) => tally.failed += 1,
                    Ok(None) => tally.dropped += 1,
                    Err(error) if error.is_panic() => tally.panicked += 1,
                    Err(_) => tally.aborted += 1,
                }
                sleep(rng.millis_below(10)).await;
            }
            tally
        });
    }
    let mut tally = LeakTally::default();
    for worker in workers.join_all().await {
        tally.ok += worker.ok;
        tally.failed += worker.failed;
        tally.circuit_open += worker.circuit_open;
        tally.rate_limited += worker.rate_limited;
        tally.bulkhead_full += worker.bulkhead_full;
        tally.dropped += worker.dropped;
        tally.aborted += worker.aborted;
        tally.panicked += worker.panicked;
    }
    let storm = start.elapsed();
    let breaker_after_storm = breaker.metrics();
    let limiter_after_storm = registry()
        .rate_limiter("soak-leak-limiter")
        .expect("declared")
        .metrics();
    let pool_after_storm = registry()
        .bulkhead("soak-leak-bulkhead")
        .expect("declared")
        .metrics();
    CHAOS.mode.store(CALM, RELAXED);

    // Every bulkhead slot is back, and nobody is left waiting anywhere.
    let pool = registry().bulkhead("soak-leak-bulkhead").expect("declared");
    let limiter = registry()
        .rate_limiter("soak-leak-limiter")
        .expect("declared");
    assert_eq!((pool.in_flight(), pool.metrics().waiting), (0, 0));
    assert!(pool.metrics().peak_in_flight <= 4);
    assert_eq!(limiter.metrics().waiting, 0);

    // After idling, the limiter has exactly its burst: no reservation of a cancelled waiter
    // is still held, and no give-back made room beyond the burst.
    sleep(Duration::from_secs(1)).await;
    let immediate = (0..2 * LEAK_BURST)
        .take_while(|_| limiter.try_acquire().is_ok())
        .count() as u64;
    assert_eq!(immediate, LEAK_BURST);

    // Every half-open period of the storm ended: no trial permit leaked for good.
    let (into_half_open, out_of_half_open) = *half_open.lock().unwrap();
    assert_eq!(
        into_half_open,
        out_of_half_open + u64::from(breaker.state() == CircuitState::HalfOpen)
    );

    // And the sharpest case: both trial permits of a half-open breaker go to calls that die,
    // one panicking and one aborted mid-body. Both permits come back: two calm calls close it.
    sleep(Duration::from_millis(100)).await;
    breaker.reset();
    CHAOS.mode.store(FAIL, RELAXED);
    for _ in 0..3 {
        assert_eq!(fragile().await, Err(SoakError::Transient));
    }
    assert_eq!(breaker.state(), CircuitState::Open);
    sleep(Duration::from_millis(60)).await;
    CHAOS.mode.store(PANIC, RELAXED);
    assert!(tokio::spawn(fragile()).await.unwrap_err().is_panic());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    CHAOS.mode.store(CALM, RELAXED);
    let aborted = tokio::spawn(fragile());
    sleep(Duration::from_millis(1)).await;
    aborted.abort();
    assert!(aborted.await.unwrap_err().is_cancelled());
    assert_eq!(breaker.state(), CircuitState::HalfOpen);
    let mut calls_to_close = 0;
    while breaker.state() != CircuitState::Closed {
        assert!(calls_to_close < 2, "still {:?}", breaker.state());
        fragile().await.expect("calm calls succeed");
        calls_to_close += 1;
    }
    assert_eq!(calls_to_close, 2);
    assert_eq!((pool.in_flight(), limiter.metrics().waiting), (0, 0));
    eprintln!(
        "soak leaks: {LEAK_CALLS} calls through breaker → limiter → bulkhead ({:?} of paused \
         time): {} ok, {} failed, rejected {} by the breaker, {} by the limiter and {} by the \
         bulkhead, {} dropped at a deadline, {} aborted, \
         {} panicked ({:.2}% of calls cancelled, {:.2}% of {} bodies panicked); breaker went half-open {} times, {} \
         transitions; afterwards: bulkhead in_flight 0, limiter gave exactly its burst of \
         {immediate}, every half-open period ended; with both trial permits lost to a panic and \
         an abort, the breaker closed after {calls_to_close} calm calls; limiter {:?}; bulkhead {:?}",
        storm,
        tally.ok,
        tally.failed,
        tally.circuit_open,
        tally.rate_limited,
        tally.bulkhead_full,
        tally.dropped,
        tally.aborted,
        tally.panicked,
        percent(tally.dropped + tally.aborted, LEAK_CALLS),
        percent(tally.panicked, CHAOS.rolls.load(RELAXED)),
        CHAOS.rolls.load(RELAXED),
        into_half_open,
        breaker_after_storm.transitions,
        limiter_after_storm,
        pool_after_storm,
    );
    // The faults were real: many cancellations, some panics, and the breaker cycled.
    assert!(100 * (tally.dropped + tally.aborted) >= 35 * LEAK_CALLS);
    assert!(tally.panicked >= LEAK_CALLS / 400);
    assert!(into_half_open >= 10);
    assert_eq!(pool.in_flight(), 0);
}

// ---------------------------------------------------------------------------------------------
// Multi-threaded stress: real threads, real time, no timing assertions
// ---------------------------------------------------------------------------------------------

const STRESS_TASKS: u64 = 32;
const STRESS_CALLS: u64 = 5_000;
const STRESS_MAX: usize = 4;
const STRESS_BUDGET: Duration = Duration::from_secs(2);

static STRESS_PROBE: Probe = Probe::new();
static STRESS_CALM: AtomicBool = AtomicBool::new(false);

#[bulkhead(name = "soak-stress-bulkhead", max_concurrent = 4, max_wait = "1s")]
#[circuit_breaker(
    name = "soak-stress-breaker",
    failure_threshold = 3,
    recovery_timeout = "1ms",
    success_threshold = 2
)]
async fn contended(rng: &SplitMix64) -> Result<(), SoakError> {
    let inside = STRESS_PROBE.enter();
    for _ in 0..rng.below(3) {
        tokio::task::yield_now().await;
    }
    drop(inside);
    if !STRESS_CALM.load(RELAXED) && rng.percent(10) {
        Err(SoakError::Transient)
    } else {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak_stress_multi_thread_bulkhead_peak_and_breaker_transitions() {
    let breaker = registry()
        .circuit_breaker("soak-stress-breaker")
        .expect("declared");
    let pool = registry()
        .bulkhead("soak-stress-bulkhead")
        .expect("declared");
    let edges = Arc::new(Mutex::new(Vec::new()));
    let _subscription = breaker.subscribe({
        let edges = Arc::clone(&edges);
        move |event: &CircuitEvent| edges.lock().unwrap().push((event.from, event.to))
    });
    let started = std::time::Instant::now();
    let calls = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for task in 0..STRESS_TASKS {
        let calls = Arc::clone(&calls);
        tasks.spawn(async move {
            let rng = SplitMix64::new(0x5EED_0600 + task);
            for _ in 0..STRESS_CALLS {
                if started.elapsed() > STRESS_BUDGET {
                    break;
                }
                calls.fetch_add(1, RELAXED);
                if rng.percent(10) {
                    // Cancelled after a few polls at most.
                    let _ =
                        tokio::time::timeout(Duration::from_micros(rng.below(50)), contended(&rng))
                            .await;
                } else {
                    let _ = contended(&rng).await;
                }
            }
        });
    }
    tasks.join_all().await;
    let storm = started.elapsed();
    let calls = calls.load(RELAXED);
    let metrics = pool.metrics();
    assert!(STRESS_PROBE.peak() <= STRESS_MAX, "{}", STRESS_PROBE.peak());
    assert!(metrics.peak_in_flight <= STRESS_MAX);
    assert_eq!((metrics.in_flight, metrics.waiting), (0, 0));

    // Calm again: the breaker closes (no trial permit leaked), by polling, not by timing.
    STRESS_CALM.store(true, RELAXED);
    let rng = SplitMix64::new(0x5EED_0700);
    let mut calm_calls = 0_u64;
    while breaker.state() != CircuitState::Closed {
        assert!(
            started.elapsed() < STRESS_BUDGET * 5,
            "stuck {:?}",
            breaker.state()
        );
        let _ = contended(&rng).await;
        calm_calls += 1;
        tokio::task::yield_now().await;
    }

    // Every transition was a legal edge, each starting where the previous one ended.
    use CircuitState::{Closed, HalfOpen, Open};
    let edges = edges.lock().unwrap().clone();
    let mut state = Closed;
    for &(from, to) in &edges {
        assert_eq!(from, state, "{edges:?}");
        assert!(
            matches!(
                (from, to),
                (Closed, Open) | (Open, HalfOpen) | (HalfOpen, Open) | (HalfOpen, Closed)
            ),
            "{from:?} → {to:?}"
        );
        state = to;
    }
    assert_eq!(state, Closed);
    let breaker_metrics = breaker.metrics();
    assert_eq!(breaker_metrics.transitions, edges.len() as u64);
    eprintln!(
        "soak stress (4 worker threads, {storm:?}): {calls} calls by {STRESS_TASKS} tasks; \
         bulkhead peak {} in the bodies and {} by its count (max {STRESS_MAX}), {} permitted, {} \
         rejected; breaker: {} transitions, all legal, {} calls rejected while open, closed \
         {calm_calls} calm calls later",
        STRESS_PROBE.peak(),
        metrics.peak_in_flight,
        metrics.permitted,
        metrics.rejected,
        edges.len(),
        breaker_metrics.not_permitted,
    );
}
