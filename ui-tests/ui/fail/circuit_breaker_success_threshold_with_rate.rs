//! `success_threshold` belongs to the consecutive model: under `failure_rate` the trial calls are
//! judged by the rates, so a success count would mean nothing.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 50, success_threshold = 3, half_open_max_calls = 5)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
