//! Fewer half-open trial calls than successes needed to close, under the failure-rate model too.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 50, half_open_max_calls = 1)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
