//! Adaptive concurrency under overload, side by side: the scenario of
//! `tests/tests/overload_adaptive.rs`, with its own copy of the service model (a bench cannot
//! reach a test file's items). A service serves 20 calls at once at 50 ms and shares itself
//! beyond (a call that starts with `n` calls inside takes `50 ms × max(1, n / 20)`, times a
//! jitter of up to 10%); callers give up on an answer after 1 s; it is offered 1 200 calls/s
//! (3× its capacity of 400/s) for 10 s, then 200/s for 10 s. The arrivals and each call's
//! jitter come from seeded draws of their own (the test draws both from one sequence), so every
//! contender, one after the other in this process, is offered the very same calls:
//!
//! - ours: `#[bulkhead(max_concurrent = 500)]`, and `adaptive = "aimd" | "gradient" | "vegas"`
//!   with the same `max_concurrent`;
//! - tower-resilience's `AdaptiveLimiterLayer` with its AIMD and its Vegas, each bounded to
//!   `min_limit(1)` and `max_limit(500)`, everything else at its defaults;
//! - tower's `ConcurrencyLimitLayer` at 500 (the static limit's peer) and at 20 (the capacity:
//!   the best a static limit does, for a user who knows the capacity in advance).
//!
//! Every contender rejects rather than queues when it is full, as our bulkhead does without
//! `max_wait`: tower's layers wait in `poll_ready`, so they sit under tower's `LoadShed`.
//!
//! The runs are on tokio's paused clock (hence the `paused-clock` feature, tokio's
//! `test-util`), except tower-resilience's: its layer times calls with `std::time::Instant`,
//! which a paused clock does not move, so its two runs (and ours with `"vegas"` again, to show
//! what the real clock changes) take the scenario's 20 s of real time each.
//!
//! It prints BENCHMARKS.md's table (goodput, p99 of the admitted calls, the limit at the end
//! of the overload, recovery: from the fall in load to the last rejection), then the range
//! each limit moved in during the overload.
//!
//! ```text
//! cargo bench -p resilience-benches --features paused-clock --bench overload_adaptive
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, bulkhead, registry};
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until};
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShed;
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_resilience::adaptive::{AdaptiveLimiterLayer, Aimd, ConcurrencyAlgorithm, Vegas};

/// The latency of a call with the service to itself.
const BASE: Duration = Duration::from_millis(50);
/// Calls the service serves at once at `BASE`.
const CAPACITY: usize = 20;
/// After this long an answer is of no use to its caller.
const DEADLINE: Duration = Duration::from_secs(1);
/// The calls per second the service completes at full use: 20 every 50 ms.
const CAPACITY_PER_SECOND: f64 = CAPACITY as f64 / 0.05;
/// The phases: (length, calls per second offered).
const OVERLOAD: (Duration, f64) = (Duration::from_secs(10), 3.0 * CAPACITY_PER_SECOND);
const CALM: (Duration, f64) = (Duration::from_secs(10), 0.5 * CAPACITY_PER_SECOND);
/// Every contender's limit stays at or under this.
const MAX_CONCURRENT: usize = 500;
const SEED: u64 = 0x0ada_971e_5eed;

/// Calls inside the service; zero again after each contender's run.
static IN_SERVICE: AtomicUsize = AtomicUsize::new(0);

/// splitmix64's mix of `n`: a uniform draw in [0, 1), the same for the same `n`.
fn uniform(n: u64) -> f64 {
    let mut z = n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The arrivals: a seeded sequence of draws, its own, so the admissions of a contender
/// cannot change the calls offered to it.
struct Arrivals(u64);

impl Arrivals {
    /// A Poisson draw of mean `mean` (Knuth's method; the means here are small).
    fn poisson(&mut self, mean: f64) -> usize {
        let mut next = || {
            self.0 += 1;
            uniform(self.0)
        };
        let (limit, mut product, mut count) = ((-mean).exp(), next(), 0);
        while product > limit {
            product *= next();
            count += 1;
        }
        count
    }
}

/// The service, serving the run's call number `call`: processor sharing beyond `CAPACITY`
/// calls, and the call's own jitter (the same for the same call in every contender's run).
async fn service(call: u64) -> Result<(), Error> {
    let sharing = IN_SERVICE.fetch_add(1, Ordering::Relaxed) + 1;
    let jitter = 1.0 + 0.1 * uniform(!SEED ^ call);
    let factor = (sharing as f64 / CAPACITY as f64).max(1.0) * jitter;
    sleep(BASE.mul_f64(factor)).await;
    IN_SERVICE.fetch_sub(1, Ordering::Relaxed);
    Ok(())
}

#[bulkhead(name = "bench-adaptive-static", max_concurrent = 500)]
async fn fixed(call: u64) -> Result<(), Error> {
    service(call).await
}

#[bulkhead(name = "bench-adaptive-aimd", max_concurrent = 500, adaptive = "aimd")]
async fn aimd(call: u64) -> Result<(), Error> {
    service(call).await
}

#[bulkhead(
    name = "bench-adaptive-gradient",
    max_concurrent = 500,
    adaptive = "gradient"
)]
async fn gradient(call: u64) -> Result<(), Error> {
    service(call).await
}

#[bulkhead(
    name = "bench-adaptive-vegas",
    max_concurrent = 500,
    adaptive = "vegas"
)]
async fn vegas(call: u64) -> Result<(), Error> {
    service(call).await
}

/// The same bulkhead as `vegas`, for the run on the real clock.
#[bulkhead(
    name = "bench-adaptive-vegas-real-clock",
    max_concurrent = 500,
    adaptive = "vegas"
)]
async fn vegas_real_clock(call: u64) -> Result<(), Error> {
    service(call).await
}

/// What one contender's run measured.
struct Figures {
    /// Calls of the overload phase answered within the deadline, per second.
    goodput: f64,
    /// The p99 latency of the overload phase's admitted calls.
    p99: Duration,
    /// The limit at the end of the overload phase.
    limit_under_overload: usize,
    /// The lowest and highest limit read every 100 ms of the overload after its first second.
    limit_range: (usize, usize),
    /// From the fall in load to the last rejection after it (zero if none).
    recovery: Duration,
}

/// One call's record: when it started, and its latency if admitted.
type Record = (Instant, Option<Duration>);

/// Offers the scenario's load to `call` (given the call's number, it answers whether the
/// call was admitted); `limit` reads the contender's limit.
async fn offer<F, Fut>(call: F, limit: impl Fn() -> usize) -> Figures
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = bool> + Send + 'static,
{
    let mut arrivals = Arrivals(SEED);
    let mut offered = 0;
    let start = Instant::now();
    let calm_from = start + OVERLOAD.0;
    let end = calm_from + CALM.0;
    let mut calls: JoinSet<Record> = JoinSet::new();
    let mut tick = start;
    let mut limit_under_overload = 0;
    let mut limit_range = (usize::MAX, 0);
    while tick < end {
        let per_second = if tick < calm_from { OVERLOAD.1 } else { CALM.1 };
        for _ in 0..arrivals.poisson(per_second / 1000.0) {
            let call = call(offered);
            offered += 1;
            calls.spawn(async move {
                let began = Instant::now();
                let admitted = call.await.then(|| began.elapsed());
                (began, admitted)
            });
        }
        tick += Duration::from_millis(1);
        let into_run = tick - start;
        if into_run >= Duration::from_secs(1)
            && tick <= calm_from
            && into_run.as_millis().is_multiple_of(100)
        {
            let limit = limit();
            limit_range = (limit_range.0.min(limit), limit_range.1.max(limit));
        }
        if tick == calm_from {
            limit_under_overload = limit();
        }
        sleep_until(tick).await;
    }
    let records: Vec<Record> = calls.join_all().await;
    debug_assert_eq!(IN_SERVICE.load(Ordering::Relaxed), 0);

    let overload = records.iter().filter(|(began, _)| *began < calm_from);
    let mut admitted: Vec<Duration> = overload.filter_map(|(_, latency)| *latency).collect();
    admitted.sort();
    let good = admitted
        .iter()
        .filter(|latency| **latency <= DEADLINE)
        .count();
    let last_rejection = records
        .iter()
        .filter(|(began, latency)| *began >= calm_from && latency.is_none())
        .map(|(began, _)| *began)
        .max();
    Figures {
        goodput: good as f64 / OVERLOAD.0.as_secs_f64(),
        p99: admitted
            .get(admitted.len() * 99 / 100)
            .copied()
            .unwrap_or_default(),
        limit_under_overload,
        limit_range,
        recovery: last_rejection.map_or(Duration::ZERO, |last| last - calm_from),
    }
}

/// Our bulkhead `name`'s limit.
fn our_limit(name: &'static str) -> impl Fn() -> usize {
    move || registry().bulkhead(name).map_or(0, |handle| handle.limit())
}

/// Offers the load to a tower service (cloned per call, as a caller sharing it does).
async fn offer_tower<S>(service: S, limit: impl Fn() -> usize) -> Figures
where
    S: Service<u64, Response = ()> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    offer(
        |call| {
            let mut service = service.clone();
            async move {
                let response = match service.ready().await {
                    Ok(ready) => ready.call(call),
                    Err(_) => return false,
                };
                // A rejected call's wait for a permit goes with the clone; an admitted
                // call's permit lives in its response.
                drop(service);
                response.await.is_ok()
            }
        },
        limit,
    )
    .await
}

/// Runs tower-resilience's `AdaptiveLimiterLayer` over `algorithm` (on the runtime's clock).
async fn offer_peer<A>(algorithm: A) -> Figures
where
    A: ConcurrencyAlgorithm + 'static,
{
    let limited = AdaptiveLimiterLayer::new(algorithm).layer(service_fn(service));
    let handle = limited.clone();
    offer_tower(LoadShed::new(limited), move || handle.limit()).await
}

fn paused_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime")
}

fn real_clock_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// Prints the table of the runs, then the range of each contender's limit.
fn print(runs: &[(String, Figures)]) {
    println!(
        "| contender | goodput (of {CAPACITY_PER_SECOND:.0}/s) | p99 | limit at the end of the overload | recovery |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, figures) in runs {
        println!(
            "| {name} | {:.0} ({:.0}%) | {:.0} ms | {} | {} ms |",
            figures.goodput,
            figures.goodput * 100.0 / CAPACITY_PER_SECOND,
            figures.p99.as_secs_f64() * 1e3,
            figures.limit_under_overload,
            figures.recovery.as_millis()
        );
    }
    println!();
    println!("| contender | limit during the overload (every 100 ms after the first second) |");
    println!("|---|---:|");
    for (name, Figures { limit_range, .. }) in runs {
        println!("| {name} | {}–{} |", limit_range.0, limit_range.1);
    }
}

fn main() {
    let mut runs = Vec::new();
    let paused = paused_runtime();
    let static_name = "bench-adaptive-static";
    let figures = paused.block_on(offer(
        |call| async move { fixed(call).await.is_ok() },
        our_limit(static_name),
    ));
    runs.push((String::from("`#[bulkhead(max_concurrent = 500)]`"), figures));
    let figures = paused.block_on(offer(
        |call| async move { aimd(call).await.is_ok() },
        our_limit("bench-adaptive-aimd"),
    ));
    runs.push((String::from("`adaptive = \"aimd\"`"), figures));
    let figures = paused.block_on(offer(
        |call| async move { gradient(call).await.is_ok() },
        our_limit("bench-adaptive-gradient"),
    ));
    runs.push((String::from("`adaptive = \"gradient\"`"), figures));
    let figures = paused.block_on(offer(
        |call| async move { vegas(call).await.is_ok() },
        our_limit("bench-adaptive-vegas"),
    ));
    runs.push((String::from("`adaptive = \"vegas\"`"), figures));

    for limit in [MAX_CONCURRENT, CAPACITY] {
        let limited = ConcurrencyLimitLayer::new(limit).layer(service_fn(service));
        let figures = paused.block_on(offer_tower(LoadShed::new(limited), move || limit));
        runs.push((
            format!("tower `ConcurrencyLimitLayer::new({limit})`"),
            figures,
        ));
    }

    let real = real_clock_runtime();
    let figures = real.block_on(offer_peer(
        Aimd::builder()
            .min_limit(1)
            .max_limit(MAX_CONCURRENT)
            .build()
            .expect("a valid AIMD configuration"),
    ));
    runs.push((String::from("tower-resilience AIMD (real clock)"), figures));
    let figures = real.block_on(offer_peer(
        Vegas::builder()
            .min_limit(1)
            .max_limit(MAX_CONCURRENT)
            .build()
            .expect("a valid Vegas configuration"),
    ));
    runs.push((String::from("tower-resilience Vegas (real clock)"), figures));
    let figures = real.block_on(offer(
        |call| async move { vegas_real_clock(call).await.is_ok() },
        our_limit("bench-adaptive-vegas-real-clock"),
    ));
    runs.push((String::from("`adaptive = \"vegas\"` (real clock)"), figures));

    print(&runs);
}
