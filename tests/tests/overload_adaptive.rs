//! A seeded simulation on the paused clock: a service that serves 20 calls at once at its
//! base latency and shares itself beyond (processor sharing: a call that starts with `n` calls
//! in the service takes `BASE × max(1, n / 20)`, times a jitter of up to 10%). Callers give up
//! on an answer after `DEADLINE`: a later one is no use to them.
//!
//! Offered three times its capacity for 10 s, then half of it for 10 s, a bulkhead of
//! `max_concurrent = 500` admits everything, the service's queue grows to 500, every call takes
//! 25 × `BASE` and misses its deadline: goodput falls to nothing. An adaptive bulkhead (same
//! `max_concurrent`) keeps the service near its capacity: goodput at least 80% of capacity and
//! the p99 latency of admitted calls at most twice `BASE`; after the load falls back, it stops
//! rejecting within 5 s.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, bulkhead, registry};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until};

/// The latency of a call with the service to itself.
const BASE: Duration = Duration::from_millis(50);
/// Calls the service serves at once at `BASE`.
const CAPACITY: usize = 20;
/// After this long an answer is of no use to its caller.
const DEADLINE: Duration = Duration::from_secs(1);
/// The phases: (length, calls per second offered).
const OVERLOAD: (Duration, f64) = (Duration::from_secs(10), 3.0 * CAPACITY_PER_SECOND);
const CALM: (Duration, f64) = (Duration::from_secs(10), 0.5 * CAPACITY_PER_SECOND);
/// The calls per second the service completes at full use: 20 every 50 ms.
const CAPACITY_PER_SECOND: f64 = CAPACITY as f64 / 0.05;
const SEED: u64 = 0x0ada_971e_5eed;

static DRAWS: AtomicU64 = AtomicU64::new(SEED);
static IN_SERVICE: AtomicUsize = AtomicUsize::new(0);

/// splitmix64 over a shared counter: a uniform draw in [0, 1).
fn uniform() -> f64 {
    let mut z = DRAWS.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// A Poisson draw of mean `mean` (Knuth's method; the means here are small).
fn poisson(mean: f64) -> usize {
    let (limit, mut product, mut count) = ((-mean).exp(), uniform(), 0);
    while product > limit {
        product *= uniform();
        count += 1;
    }
    count
}

/// The service: processor sharing beyond `CAPACITY` calls.
async fn service() -> Result<(), Error> {
    let sharing = IN_SERVICE.fetch_add(1, Ordering::Relaxed) + 1;
    let factor = (sharing as f64 / CAPACITY as f64).max(1.0) * (1.0 + 0.1 * uniform());
    sleep(BASE.mul_f64(factor)).await;
    IN_SERVICE.fetch_sub(1, Ordering::Relaxed);
    Ok(())
}

#[bulkhead(name = "sim-static", max_concurrent = 500)]
async fn fixed() -> Result<(), Error> {
    service().await
}

#[bulkhead(name = "sim-aimd", max_concurrent = 500, adaptive = "aimd")]
async fn aimd() -> Result<(), Error> {
    service().await
}

#[bulkhead(name = "sim-gradient", max_concurrent = 500, adaptive = "gradient")]
async fn gradient() -> Result<(), Error> {
    service().await
}

#[bulkhead(name = "sim-vegas", max_concurrent = 500, adaptive = "vegas")]
async fn vegas() -> Result<(), Error> {
    service().await
}

/// What one run measured.
#[derive(Debug)]
struct Run {
    /// Calls of the overload phase answered within the deadline, per second.
    goodput: f64,
    /// The p99 latency of the overload phase's admitted calls.
    p99: Duration,
    /// From the fall in load to the last rejection after it (zero if none).
    recovery: Duration,
    /// The bulkhead's limit at the end of the overload phase.
    limit_under_overload: usize,
}

/// One call's record: when it started, and its latency if admitted.
type Record = (Instant, Option<Duration>);

async fn run<F, Fut>(name: &'static str, call: F) -> Run
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    DRAWS.store(SEED, Ordering::Relaxed);
    let start = Instant::now();
    let calm_from = start + OVERLOAD.0;
    let end = calm_from + CALM.0;
    let mut calls: JoinSet<Record> = JoinSet::new();
    let mut tick = start;
    let mut limit_under_overload = 0;
    while tick < end {
        let per_second = if tick < calm_from { OVERLOAD.1 } else { CALM.1 };
        for _ in 0..poisson(per_second / 1000.0) {
            let call = call();
            calls.spawn(async move {
                let began = Instant::now();
                let admitted = call.await.ok().map(|()| began.elapsed());
                (began, admitted)
            });
        }
        tick += Duration::from_millis(1);
        if tick == calm_from {
            limit_under_overload = registry().bulkhead(name).unwrap().limit();
        }
        sleep_until(tick).await;
    }
    let records: Vec<Record> = calls.join_all().await;
    assert_eq!(IN_SERVICE.load(Ordering::Relaxed), 0);

    let overload = records.iter().filter(|(began, _)| *began < calm_from);
    let mut admitted: Vec<Duration> = overload.filter_map(|(_, latency)| *latency).collect();
    admitted.sort();
    let good = admitted
        .iter()
        .filter(|latency| **latency <= DEADLINE)
        .count();
    let p99 = admitted[admitted.len() * 99 / 100];
    let last_rejection = records
        .iter()
        .filter(|(began, latency)| *began >= calm_from && latency.is_none())
        .map(|(began, _)| *began)
        .max();
    Run {
        goodput: good as f64 / OVERLOAD.0.as_secs_f64(),
        p99,
        recovery: last_rejection.map_or(Duration::ZERO, |last| last - calm_from),
        limit_under_overload,
    }
}

fn meets_the_bar(name: &str, run: &Run) {
    assert!(
        (CAPACITY..2 * CAPACITY).contains(&run.limit_under_overload),
        "{name}: limit {} under overload",
        run.limit_under_overload
    );
    assert!(
        run.goodput >= 0.8 * CAPACITY_PER_SECOND,
        "{name}: goodput {:.0}/s of {CAPACITY_PER_SECOND}/s ({run:?})",
        run.goodput
    );
    assert!(run.p99 <= 2 * BASE, "{name}: p99 {:?} ({run:?})", run.p99);
    assert!(
        run.recovery <= Duration::from_secs(5),
        "{name}: still rejecting {:?} after the load fell ({run:?})",
        run.recovery
    );
}

#[tokio::test(start_paused = true)]
async fn adaptive_bulkheads_keep_goodput_and_latency_where_a_static_one_collapses() {
    let fixed = run("sim-static", fixed).await;
    let aimd = run("sim-aimd", aimd).await;
    let gradient = run("sim-gradient", gradient).await;
    let vegas = run("sim-vegas", vegas).await;
    println!("static   {fixed:?}\naimd     {aimd:?}\ngradient {gradient:?}\nvegas    {vegas:?}");

    // The static bulkhead admits the whole queue: every call is late.
    assert!(
        fixed.goodput < 0.2 * CAPACITY_PER_SECOND,
        "static goodput {:.0}/s",
        fixed.goodput
    );
    assert!(fixed.p99 > 10 * BASE, "static p99 {:?}", fixed.p99);

    meets_the_bar("aimd", &aimd);
    meets_the_bar("gradient", &gradient);
    meets_the_bar("vegas", &vegas);
}
