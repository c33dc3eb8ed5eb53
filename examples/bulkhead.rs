//! `#[bulkhead]`: a thumbnail renderer that may run at most two renders at once.
//!
//! Five upload requests arrive together. Two renders start, the other three wait for a slot for
//! up to `max_wait = "100ms"`: one gets the slot a quick render frees at 60ms, the other two
//! are rejected with `Error::BulkheadFull` at 100ms instead of piling up. A monitor samples
//! `in_flight` from `registry().bulkhead(name)`. Tokio's clock is paused, so timings are exact.
//!
//! Run it with `cargo run -p resilience-examples --example bulkhead`.

use std::sync::OnceLock;
use std::time::Duration;

use resilience_runtime::{bulkhead, registry};
use tokio::time::{Instant, sleep, sleep_until};

/// When the run started, on tokio's paused clock.
static START: OnceLock<Instant> = OnceLock::new();

/// Seconds since the run started.
fn now() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
enum RenderError {
    /// A resilience layer refused the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

/// Renders a 128px thumbnail; the work takes `cost` of (simulated) CPU time.
#[bulkhead(name = "thumbnails", max_concurrent = 2, max_wait = "100ms")]
async fn render_thumbnail(image: &str, cost: Duration) -> Result<String, RenderError> {
    println!("  t={:.3}s  {image}: rendering", now());
    sleep(cost).await;
    Ok(format!("{image}@128px"))
}

/// Handles one upload: renders its thumbnail and reports the outcome.
async fn upload(image: &'static str, millis: u64) {
    match render_thumbnail(image, Duration::from_millis(millis)).await {
        Ok(thumb) => println!("  t={:.3}s  {image}: done, {thumb}", now()),
        Err(err) => println!("  t={:.3}s  {image}: {err}", now()),
    }
}

/// Submits five renders at once and a late sixth, sampling the bulkhead meanwhile.
async fn run() {
    let start = *START.get_or_init(Instant::now);
    let pool = registry().bulkhead("thumbnails").expect("declared");
    println!(
        "Five uploads at once; at most {} renders run.",
        pool.max_concurrent()
    );
    let renders = [
        tokio::spawn(upload("cat.png", 60)),
        tokio::spawn(upload("panorama.jpg", 400)),
        tokio::spawn(upload("dog.png", 200)),
        tokio::spawn(upload("map.png", 200)),
        tokio::spawn(upload("logo.svg", 200)),
    ];
    for millis in [30, 80, 150, 300, 450] {
        sleep_until(start + Duration::from_millis(millis)).await;
        let m = pool.metrics();
        println!(
            "  t={:.3}s  [monitor] in_flight={} waiting={}",
            now(),
            m.in_flight,
            m.waiting
        );
    }
    for render in renders {
        render.await.expect("a render task does not panic");
    }
    println!("A late upload finds the bulkhead empty again:");
    upload("avatar.png", 80).await;
    println!("{:?}", pool.metrics());
    println!(
        "Conclusion: never more than 2 renders at once; overflow waited up to 100ms, then was shed."
    );
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
