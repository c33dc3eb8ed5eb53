//! Retry budgets under an outage, side by side: 8 callers offer 1 000 calls/s in all (each
//! call its own task); the service is healthy for 1 s, then every attempt of the calls of the
//! next 5 s fails. Every contender makes at most 5 attempts per call, with exponential backoff
//! from 10 ms and no jitter, and the budgets count over a 1 s window (the shortest tower's
//! `TpsBudget` takes), so the run takes seconds on tokio's real clock rather than minutes:
//!
//! - no budget (`#[retry]` alone);
//! - ours, `#[retry(budget = "20%", budget_window = "1s")]` (with the default minimum, 10/s);
//! - tower's `TpsBudget::new(1 s, 10/s, 20%)` in a `tower::retry::Policy`, deposited once
//!   per call (the TPS budget's ratio is of retries to calls);
//! - tower-resilience's retry budget: a token bucket, refilled at a rate and by successes,
//!   which knows no share of the calls; shown at the minimum's rate alone (10/s) and at the
//!   rate our budget allows at this load (20% of 1 000/s plus 10/s).
//!
//! It prints the attempts per call of the calls made during the outage (target with the
//! 20% budget: at most 1.2 plus the minimum's share, 10/1 000).
//!
//! ```text
//! cargo bench -p resilience-benches --bench overload_budget
//! ```

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, retry};
use tokio::time::{Instant, Sleep, sleep, sleep_until};
use tower::retry::budget::{Budget, TpsBudget};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_resilience::retry::{RetryBudgetBuilder, RetryLayer as PeerRetryLayer};

const CALLERS: u32 = 8;
/// Each caller's period: 8 callers every 8 ms make 1 000 calls/s.
const PERIOD: Duration = Duration::from_millis(8);
const HEALTHY: Duration = Duration::from_secs(1);
const OUTAGE: Duration = Duration::from_secs(5);
const MAX_ATTEMPTS: u32 = 5;
const INITIAL_DELAY: Duration = Duration::from_millis(10);

/// What one contender's run counted: the calls started during the outage and their attempts.
#[derive(Default)]
struct Counts {
    outage_calls: AtomicU64,
    outage_attempts: AtomicU64,
}

/// When the run started: the phase of a call is read from it.
#[derive(Clone, Copy)]
struct Run {
    start: Instant,
}

impl Run {
    fn in_outage(self) -> bool {
        let elapsed = self.start.elapsed();
        elapsed >= HEALTHY && elapsed < HEALTHY + OUTAGE
    }
}

/// One attempt of a call (`in_outage`: the call started during the outage): 1 ms, then the
/// outcome of its phase.
async fn attempt(counts: &Counts, in_outage: bool) -> Result<u32, Error> {
    if in_outage {
        counts.outage_attempts.fetch_add(1, Ordering::Relaxed);
    }
    sleep(Duration::from_millis(1)).await;
    if in_outage {
        Err(Error::timeout(Duration::from_millis(1)))
    } else {
        Ok(1)
    }
}

#[retry(
    name = "overload-plain",
    max_attempts = 5,
    initial_delay = "10ms",
    jitter = "none"
)]
async fn plain(counts: &Counts, in_outage: bool) -> Result<u32, Error> {
    attempt(counts, in_outage).await
}

#[retry(
    name = "overload-budget",
    max_attempts = 5,
    initial_delay = "10ms",
    jitter = "none",
    budget = "20%",
    budget_window = "1s"
)]
async fn budgeted(counts: &Counts, in_outage: bool) -> Result<u32, Error> {
    attempt(counts, in_outage).await
}

/// Offers the load to `call` for the whole run; answers the attempts per outage call.
async fn offer<F, Fut>(call: F) -> f64
where
    F: Fn(Arc<Counts>, bool) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let counts = Arc::new(Counts::default());
    let run = Run {
        start: Instant::now(),
    };
    // The calls of the outage end within their backoff (10 + 20 + 40 + 80 ms) after it.
    let end = run.start + HEALTHY + OUTAGE;
    let callers: Vec<_> = (0..CALLERS)
        .map(|caller| {
            let (counts, call) = (Arc::clone(&counts), call.clone());
            tokio::spawn(async move {
                let mut calls = Vec::new();
                // The callers' slots are spread over the period.
                let mut slot = run.start + PERIOD * caller / CALLERS;
                while slot < end {
                    sleep_until(slot).await;
                    let in_outage = run.in_outage();
                    if in_outage {
                        counts.outage_calls.fetch_add(1, Ordering::Relaxed);
                    }
                    calls.push(tokio::spawn(call(Arc::clone(&counts), in_outage)));
                    slot += PERIOD;
                }
                for call in calls {
                    call.await.unwrap();
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.unwrap();
    }
    counts.outage_attempts.load(Ordering::Relaxed) as f64
        / counts.outage_calls.load(Ordering::Relaxed) as f64
}

/// tower's retry policy around a `TpsBudget`: up to 5 attempts, exponential backoff, a retry
/// only when the budget allows one.
#[derive(Clone)]
struct TpsPolicy {
    budget: Arc<TpsBudget>,
    retries: u32,
}

impl<Req: Clone, Res, E> tower::retry::Policy<Req, Res, E> for TpsPolicy {
    type Future = Sleep;

    fn retry(&mut self, _: &mut Req, result: &mut Result<Res, E>) -> Option<Sleep> {
        if result.is_ok() || self.retries + 1 >= MAX_ATTEMPTS || !self.budget.withdraw() {
            return None;
        }
        let delay = INITIAL_DELAY * 2u32.pow(self.retries);
        self.retries += 1;
        Some(sleep(delay))
    }

    fn clone_request(&mut self, req: &Req) -> Option<Req> {
        Some(req.clone())
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut rows: Vec<(String, f64)> = Vec::new();

    rows.push((
        String::from("#[retry], no budget"),
        runtime.block_on(offer(|counts: Arc<Counts>, in_outage| async move {
            let _ = plain(&counts, in_outage).await;
        })),
    ));
    rows.push((
        String::from("#[retry(budget = \"20%\")], ours"),
        runtime.block_on(offer(|counts: Arc<Counts>, in_outage| async move {
            let _ = budgeted(&counts, in_outage).await;
        })),
    ));

    let tps = Arc::new(TpsBudget::new(Duration::from_secs(1), 10, 0.2));
    let tps_row = runtime.block_on(offer(move |counts: Arc<Counts>, in_outage| {
        let budget = Arc::clone(&tps);
        async move {
            // One deposit per call: retries may be 20% of them.
            budget.deposit();
            let policy = TpsPolicy { budget, retries: 0 };
            let service =
                tower::retry::RetryLayer::new(policy).layer(service_fn(move |in_outage: bool| {
                    let counts = Arc::clone(&counts);
                    async move { attempt(&counts, in_outage).await }
                }));
            let _ = service.oneshot(in_outage).await;
        }
    }));
    rows.push((String::from("tower TpsBudget(1 s, 10/s, 20%)"), tps_row));

    for (label, rate) in [("10/s", 10.0), ("210/s", 210.0)] {
        let max_tokens = rate as usize;
        let budget = RetryBudgetBuilder::new()
            .token_bucket()
            .tokens_per_second(rate)
            .max_tokens(max_tokens)
            .initial_tokens(max_tokens)
            .build()
            .unwrap();
        let peer = PeerRetryLayer::<bool, u32, Error>::builder()
            .max_attempts(MAX_ATTEMPTS as usize)
            .exponential_backoff(INITIAL_DELAY)
            .budget(budget)
            .build();
        let row = runtime.block_on(offer(move |counts: Arc<Counts>, in_outage| {
            let mut service = peer.layer(service_fn(move |in_outage: bool| {
                let counts = Arc::clone(&counts);
                async move { attempt(&counts, in_outage).await }
            }));
            async move {
                if let Ok(ready) = service.ready().await {
                    let _ = ready.call(in_outage).await;
                }
            }
        }));
        rows.push((format!("tower-resilience token bucket {label}"), row));
    }

    println!("outage: attempts per call (max_attempts = 5, 1 000 calls/s, window 1 s)");
    let target = 1.2 + 10.0 / 1000.0;
    for (label, per_call) in &rows {
        println!("  {label:<40} {per_call:.3}");
    }
    println!("  (target with the 20% budget: at most {target:.3})");
}
