//! `#[timeout]`: a search backend whose first query hits a cold shard and stalls for 5s.
//!
//! Stacking order decides what a timeout bounds. With `#[retry]` above `#[timeout]`, every
//! attempt gets its own 300ms, so the stalled query is cancelled and the retry answers. With
//! `#[timeout]` above `#[retry]`, 300ms is the budget for the whole call, retries included, and
//! the stall uses it all. Tokio's clock is paused, so the 5s stall costs no real time.
//!
//! Run it with `cargo run -p resilience-examples --example timeout`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::{retry, timeout};
use tokio::time::{Instant, sleep};

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
enum SearchError {
    /// A resilience layer refused or cut short the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// A simulated search backend: the first query stalls for 5s, later ones take 120ms.
struct Backend {
    /// When the scenario started.
    started: Instant,
    /// Queries received so far.
    queries: AtomicU32,
}

/// Announces a query when dropped: finished, or cancelled by a timeout.
struct Query<'a>(&'a Backend, u32, bool);

impl Drop for Query<'_> {
    fn drop(&mut self) {
        let t = self.0.started.elapsed().as_secs_f64();
        let how = if self.2 { "answered" } else { "cancelled" };
        println!("    t={t:.3}s  query {} {how}", self.1);
    }
}

impl Backend {
    /// A fresh backend with a cold shard.
    fn new() -> Self {
        let (started, queries) = (Instant::now(), AtomicU32::new(0));
        Self { started, queries }
    }

    /// Runs one query against the index.
    async fn query(&self, text: &str) -> Result<Vec<String>, SearchError> {
        let n = self.queries.fetch_add(1, Ordering::SeqCst) + 1;
        let mut query = Query(self, n, false);
        let t = self.started.elapsed().as_secs_f64();
        println!("    t={t:.3}s  query {n} sent");
        sleep(Duration::from_millis(if n == 1 { 5000 } else { 120 })).await;
        query.2 = true;
        Ok(vec![format!("{text} (doc 17)"), format!("{text} (doc 42)")])
    }
}

/// Retry outside, timeout inside: 300ms per attempt.
#[retry(max_attempts = 2, initial_delay = "100ms", jitter = "none")]
#[timeout("300ms")]
async fn search_per_attempt(backend: &Backend, text: &str) -> Result<Vec<String>, SearchError> {
    backend.query(text).await
}

/// Timeout outside, retry inside: 300ms for the whole call.
#[timeout("300ms")]
#[retry(max_attempts = 2, initial_delay = "100ms", jitter = "none")]
async fn search_in_total(backend: &Backend, text: &str) -> Result<Vec<String>, SearchError> {
    backend.query(text).await
}

/// Runs both stacks against a fresh backend each.
async fn run() {
    println!("#[retry] above #[timeout(\"300ms\")]: each attempt gets 300ms");
    let backend = Backend::new();
    let result = search_per_attempt(&backend, "rust").await;
    let t = backend.started.elapsed().as_secs_f64();
    println!("  => t={t:.3}s  {result:?}\n");
    println!("#[timeout(\"300ms\")] above #[retry]: the whole call gets 300ms");
    let backend = Backend::new();
    let result = search_in_total(&backend, "rust").await;
    let t = backend.started.elapsed().as_secs_f64();
    println!("  => t={t:.3}s  {result:?}\n");

    println!("Conclusion: per-attempt timeouts retry past a stall; a total timeout caps the call.");
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
