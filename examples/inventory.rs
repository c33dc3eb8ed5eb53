//! The main example: a flaky inventory service behind stacked resilience attributes.
//!
//! A simulated inventory database answers stock queries with about 20% transient failures,
//! occasional latency spikes and one outage window. Three thousand requests go through a
//! breaker, a retry, a per-attempt timeout, a rate limit and a bulkhead. The run uses tokio's
//! paused clock, so a minute of simulated traffic takes a few seconds of real time; the
//! service is seeded, so only the retry jitter differs from run to run.
//!
//! ```text
//! cargo run -p resilience-examples --example inventory
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, registry, retry, timeout};
use tokio::time::{Instant, sleep};

/// What the inventory service can fail with.
#[derive(Debug, thiserror::Error)]
enum InventoryError {
    #[error("transient database error")]
    Transient,
    #[error("database unavailable")]
    Unavailable,
    #[error("unknown sku {0}")]
    UnknownSku(u32),
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl InventoryError {
    /// Retry what may pass on its own; an unknown SKU will not.
    fn is_transient(&self) -> bool {
        !matches!(self, Self::UnknownSku(_))
    }
}

/// A seeded simulation of an inventory database.
struct InventoryDb {
    started: Instant,
    outage: std::ops::Range<Duration>,
    queries: AtomicU64,
    seed: u64,
}

impl InventoryDb {
    fn new(seed: u64) -> Self {
        Self {
            started: Instant::now(),
            outage: OUTAGE,
            queries: AtomicU64::new(0),
            seed,
        }
    }

    /// A deterministic pseudo-random number in `0..1` for the n-th query (SplitMix64).
    fn roll(&self, n: u64, salt: u64) -> f64 {
        let mut z = self
            .seed
            .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        #[allow(clippy::cast_precision_loss)] // 53 bits of randomness are plenty
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    async fn query(&self, sku: u32) -> Result<u32, InventoryError> {
        let n = self.queries.fetch_add(1, Ordering::Relaxed);
        let now = self.started.elapsed();
        if self.outage.contains(&now) {
            sleep(Duration::from_millis(20)).await;
            return Err(InventoryError::Unavailable);
        }
        // Usually 5–40ms; one query in 25 stalls for 1.2s.
        let latency = if self.roll(n, 1) < 0.04 {
            Duration::from_millis(1200)
        } else {
            Duration::from_millis(5 + (self.roll(n, 2) * 35.0) as u64)
        };
        sleep(latency).await;
        if sku.is_multiple_of(97) {
            return Err(InventoryError::UnknownSku(sku));
        }
        if self.roll(n, 3) < 0.20 {
            return Err(InventoryError::Transient);
        }
        Ok(sku % 50)
    }
}

#[circuit_breaker(
    name = "inventory-db",
    failure_rate = 50,
    window = 20,
    minimum_calls = 10,
    recovery_timeout = "5s"
)]
#[retry(name = "inventory-retry", max_attempts = 4, backoff = "exponential", initial_delay = "50ms",
        max_delay = "2s", jitter = "full", when = InventoryError::is_transient)]
#[timeout("500ms")]
#[rate_limit(name = "inventory-api", rate = "150/s", burst = 20, max_wait = "250ms")]
#[bulkhead(name = "inventory-pool", max_concurrent = 6, max_wait = "20ms")]
async fn load_stock(db: &InventoryDb, sku: u32) -> Result<u32, InventoryError> {
    db.query(sku).await
}

#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    circuit_open: AtomicU64,
    rate_limited: AtomicU64,
    bulkhead_full: AtomicU64,
    timeouts: AtomicU64,
    service_errors: AtomicU64,
}

impl Tally {
    fn count(&self, result: &Result<u32, InventoryError>) {
        use resilience_runtime::Error;
        let counter = match result {
            Ok(_) => &self.ok,
            Err(InventoryError::Resilience(Error::CircuitOpen { .. })) => &self.circuit_open,
            Err(InventoryError::Resilience(Error::RateLimited { .. })) => &self.rate_limited,
            Err(InventoryError::Resilience(Error::BulkheadFull { .. })) => &self.bulkhead_full,
            Err(InventoryError::Resilience(Error::Timeout { .. })) => &self.timeouts,
            Err(_) => &self.service_errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

const REQUESTS: u64 = 3000;
/// When the database is down.
const OUTAGE: std::ops::Range<Duration> = Duration::from_secs(30)..Duration::from_secs(40);
/// A flash sale: eight times the usual traffic.
const FLASH_SALE: std::ops::Range<Duration> = Duration::from_secs(12)..Duration::from_secs(14);

/// Time to the next request: 50 per second, 400 per second during the flash sale.
fn next_arrival(now: Duration) -> Duration {
    if FLASH_SALE.contains(&now) {
        Duration::from_micros(2500)
    } else {
        Duration::from_millis(20)
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}

async fn run() {
    let db = Arc::new(InventoryDb::new(0x5EED));
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    println!(
        "Calling a flaky inventory service {REQUESTS} times: 50 requests per simulated second,"
    );
    println!(
        "400 per second during a flash sale at t={:?}..{:?}; the database is down at t={:?}..{:?}.",
        FLASH_SALE.start, FLASH_SALE.end, OUTAGE.start, OUTAGE.end
    );
    println!("Stack: circuit_breaker > retry > timeout(500ms) > rate_limit(150/s) > bulkhead(6)\n");

    // Every breaker transition, as it happens, with its reason.
    let breaker = registry()
        .circuit_breaker("inventory-db")
        .expect("declared by the attribute");
    let _transitions = breaker.subscribe(move |event| {
        println!(
            "  t={:>5.1}s  breaker {} -> {}: {}",
            started.elapsed().as_secs_f64(),
            event.from,
            event.to,
            event.reason
        );
    });

    let mut tasks = Vec::with_capacity(REQUESTS as usize);
    for request in 0..REQUESTS {
        let (task_db, task_tally) = (Arc::clone(&db), Arc::clone(&tally));
        tasks.push(tokio::spawn(async move {
            let sku = u32::try_from(request).unwrap_or(0) + 1;
            let result = load_stock(&task_db, sku).await;
            task_tally.count(&result);
        }));
        sleep(next_arrival(started.elapsed())).await;

        if (request + 1) % 500 == 0 {
            let done = tally.ok.load(Ordering::Relaxed)
                + tally.circuit_open.load(Ordering::Relaxed)
                + tally.rate_limited.load(Ordering::Relaxed)
                + tally.bulkhead_full.load(Ordering::Relaxed)
                + tally.timeouts.load(Ordering::Relaxed)
                + tally.service_errors.load(Ordering::Relaxed);
            println!(
                "[t={:>5.1}s] sent {:>4}, finished {:>4}, succeeded {:>4}, breaker {}",
                started.elapsed().as_secs_f64(),
                request + 1,
                done,
                tally.ok.load(Ordering::Relaxed),
                breaker.state(),
            );
        }
    }
    for task in tasks {
        task.await.expect("no request panics");
    }
    summary(&db, &tally, started.elapsed());
}

#[allow(clippy::cast_precision_loss)] // counts are far below 2^52
fn summary(db: &InventoryDb, tally: &Tally, elapsed: Duration) {
    let reg = registry();
    let breaker = reg.circuit_breaker("inventory-db").expect("declared");
    let retry = reg.retry("inventory-retry").expect("declared");
    let limiter = reg.rate_limiter("inventory-api").expect("declared");
    let pool = reg.bulkhead("inventory-pool").expect("declared");
    let (breaker, retry, limiter, pool) = (
        breaker.metrics(),
        retry.metrics(),
        limiter.metrics(),
        pool.metrics(),
    );
    let ok = tally.ok.load(Ordering::Relaxed);
    println!(
        "\nSummary after {:.1}s of simulated time",
        elapsed.as_secs_f64()
    );
    // The stack decides what a counter counts: the breaker and the retry wrap the whole call,
    // the timeout, the rate limit and the bulkhead wrap each attempt inside the retry.
    println!("Per call: each request once, by its final outcome (what the caller saw)");
    println!("  requests              {REQUESTS}");
    println!(
        "  succeeded             {ok} ({:.1}%)",
        100.0 * ok as f64 / REQUESTS as f64
    );
    println!(
        "  failed: service       {}",
        tally.service_errors.load(Ordering::Relaxed)
    );
    println!(
        "  failed: timeout       {}",
        tally.timeouts.load(Ordering::Relaxed)
    );
    println!(
        "  failed: circuit open  {}",
        tally.circuit_open.load(Ordering::Relaxed)
    );
    println!(
        "  failed: rate limited  {}",
        tally.rate_limited.load(Ordering::Relaxed)
    );
    println!(
        "  failed: bulkhead full {}",
        tally.bulkhead_full.load(Ordering::Relaxed)
    );
    println!(
        "  breaker transitions   {} ({} calls not permitted)",
        breaker.transitions, breaker.not_permitted
    );
    println!("Per attempt: the retry runs the timeout, rate limit, bulkhead and query per attempt");
    println!(
        "  attempts retried      {} ({} calls succeeded after a retry)",
        retry.retries, retry.succeeded_after_retry
    );
    println!(
        "  database queries      {}",
        db.queries.load(Ordering::Relaxed)
    );
    println!(
        "  rate-limit waits      {} ({:.1}s waited in total)",
        limiter.waited,
        limiter.total_wait.as_secs_f64()
    );
    println!(
        "  bulkhead rejections   {} (peak {} in flight)",
        pool.rejected, pool.peak_in_flight
    );
    println!(
        "\"failed: timeout\", \"rate limited\" and \"bulkhead full\" count calls whose last attempt\n\
         ended so; the per-attempt counts also hold the attempts that were retried. The\n\
         database's failures are seeded, but the retry's full jitter draws each delay at random,\n\
         so these figures (and the breaker's transitions) differ a little from run to run."
    );
    println!(
        "\nRegistry status (the breaker's and retry's tables count calls; the rate limiter's\n\
         and bulkhead's count attempts)\n{}",
        reg.snapshot()
    );
}
