//! A seeded simulation on the paused clock: a steady offered load (8 callers, 200 calls/s in
//! all, each call its own task, arrivals drawn in their slots from a seeded generator) on a
//! service that is healthy for 10 s, fails every attempt of the calls of the next 60 s, then
//! recovers, failing 10% of attempts for 30 s. `max_attempts = 5`.
//!
//! - During the outage a plain retry makes 5 attempts per call; with `budget = "20%"` (and
//!   the default minimum, 10/s over 10 s) at most 1.2 + 10/200 = 1.25.
//! - After it, once the outage's retries have left the window, the budget refuses no retry
//!   again and the calls succeed as they did before the outage.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use resilience_runtime::{registry, retry};
use resilience_tests::ServiceError;
use tokio::time::{Instant, sleep, sleep_until};

const SEED: u64 = 0x0b0d_9e75_eed5;
const CALLERS: u64 = 8;
/// Each caller's period: 8 callers every 40 ms make 200 calls/s.
const PERIOD: Duration = Duration::from_millis(40);
const HEALTHY: Duration = Duration::from_secs(10);
const OUTAGE: Duration = Duration::from_secs(60);
const RECOVERY: Duration = Duration::from_secs(30);
/// Of the recovery, the part after the outage's retries have left the window.
const SETTLED: Duration = Duration::from_secs(12);

/// splitmix64: the same seed and draw order give the same run.
struct Draws(AtomicU64);

impl Draws {
    fn next(&self) -> u64 {
        let mut z = self.0.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The phases of the run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Healthy,
    Outage,
    Recovering,
    Settled,
}

impl Phase {
    const ALL: [Self; 4] = [Self::Healthy, Self::Outage, Self::Recovering, Self::Settled];

    fn at(elapsed: Duration) -> Self {
        if elapsed < HEALTHY {
            Self::Healthy
        } else if elapsed < HEALTHY + OUTAGE {
            Self::Outage
        } else if elapsed < HEALTHY + OUTAGE + SETTLED {
            Self::Recovering
        } else {
            Self::Settled
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// The simulated service and what the run counted, per phase of the call's start.
struct Service {
    start: Instant,
    draws: Draws,
    calls: [AtomicU64; 4],
    attempts: [AtomicU64; 4],
    succeeded: [AtomicU64; 4],
}

impl Service {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            draws: Draws(AtomicU64::new(SEED)),
            calls: Default::default(),
            attempts: Default::default(),
            succeeded: Default::default(),
        }
    }

    /// One attempt of a call started in `phase`: 5 ms, then the outcome of that phase (every
    /// attempt of a call of the outage fails, even one that runs after it).
    async fn attempt(&self, phase: Phase) -> Result<(), ServiceError> {
        self.attempts[phase.index()].fetch_add(1, Ordering::Relaxed);
        sleep(Duration::from_millis(5)).await;
        let failing = match phase {
            Phase::Healthy => false,
            Phase::Outage => true,
            Phase::Recovering | Phase::Settled => self.draws.next().is_multiple_of(10),
        };
        if failing {
            Err(ServiceError::Transient(String::from("unavailable")))
        } else {
            Ok(())
        }
    }

    fn per_call(&self, phase: Phase) -> f64 {
        let i = phase.index();
        self.attempts[i].load(Ordering::Relaxed) as f64
            / self.calls[i].load(Ordering::Relaxed) as f64
    }

    fn success_rate(&self, phase: Phase) -> f64 {
        let i = phase.index();
        self.succeeded[i].load(Ordering::Relaxed) as f64
            / self.calls[i].load(Ordering::Relaxed) as f64
    }
}

#[retry(
    name = "sim-budget",
    max_attempts = 5,
    initial_delay = "100ms",
    jitter = "none",
    budget = "20%"
)]
async fn with_budget(service: &Service, phase: Phase) -> Result<(), ServiceError> {
    service.attempt(phase).await
}

#[retry(
    name = "sim-plain",
    max_attempts = 5,
    initial_delay = "100ms",
    jitter = "none"
)]
async fn without_budget(service: &Service, phase: Phase) -> Result<(), ServiceError> {
    service.attempt(phase).await
}

/// Offers the load to the retry with or without a budget for the whole run and waits for every call to end.
async fn offer(service: Arc<Service>, budget: bool) {
    let end = service.start + HEALTHY + OUTAGE + RECOVERY;
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let service = Arc::clone(&service);
            tokio::spawn(async move {
                let mut calls = Vec::new();
                let mut slot = service.start;
                while slot < end {
                    // Somewhere in this caller's slot, as the generator draws.
                    let offset = service.draws.next() % PERIOD.as_micros() as u64;
                    sleep_until(slot + Duration::from_micros(offset)).await;
                    let service = Arc::clone(&service);
                    calls.push(tokio::spawn(async move {
                        let phase = Phase::at(service.start.elapsed());
                        service.calls[phase.index()].fetch_add(1, Ordering::Relaxed);
                        let outcome = if budget {
                            with_budget(&service, phase).await
                        } else {
                            without_budget(&service, phase).await
                        };
                        if outcome.is_ok() {
                            service.succeeded[phase.index()].fetch_add(1, Ordering::Relaxed);
                        }
                    }));
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
}

#[tokio::test(start_paused = true)]
async fn a_twenty_percent_budget_holds_an_outage_to_one_and_a_quarter_attempts_per_call() {
    let plain = Arc::new(Service::new());
    offer(Arc::clone(&plain), false).await;
    let budgeted = Arc::new(Service::new());
    let settled = budgeted.start + HEALTHY + OUTAGE + SETTLED;
    let refused_when_settled = tokio::spawn(async move {
        sleep_until(settled).await;
        registry()
            .retry("sim-budget")
            .unwrap()
            .metrics()
            .budget_exhausted
    });
    offer(Arc::clone(&budgeted), true).await;

    for phase in Phase::ALL {
        let calls = budgeted.calls[phase.index()].load(Ordering::Relaxed);
        println!(
            "{phase:?}: {calls} calls; attempts per call {:.3} plain, {:.3} with the budget; success {:.4} plain, {:.4} with it",
            plain.per_call(phase),
            budgeted.per_call(phase),
            plain.success_rate(phase),
            budgeted.success_rate(phase),
        );
    }
    let outage_calls = budgeted.calls[Phase::Outage.index()].load(Ordering::Relaxed);
    assert_eq!(outage_calls, 12_000, "200 calls/s for 60 s");
    assert_eq!(plain.per_call(Phase::Outage), 5.0);
    let target = 1.2 + 10.0 / 200.0;
    let per_call = budgeted.per_call(Phase::Outage);
    assert!(
        per_call <= target,
        "{per_call:.3} attempts per call, target {target}"
    );
    // The budget is not a cap that merely happens to hold: it spends close to all it allows.
    assert!(per_call >= 1.2, "{per_call:.3} attempts per call");

    // Recovered: the budget refuses nothing once the outage's retries have left its window,
    // and calls succeed as often as a plain retry makes them.
    let retry = registry().retry("sim-budget").unwrap();
    let refused = retry.metrics().budget_exhausted;
    assert!(refused > 0, "the outage exhausted the budget");
    assert_eq!(
        refused,
        refused_when_settled.await.unwrap(),
        "no refusal since"
    );
    assert!(!retry.budget().unwrap().exhausted);
    for service in [&plain, &budgeted] {
        assert!(service.success_rate(Phase::Settled) >= 0.999);
    }
    assert!(
        budgeted.per_call(Phase::Settled) > 1.05,
        "the recovery's failures are retried"
    );
    assert_eq!(budgeted.success_rate(Phase::Healthy), 1.0);
}
