//! An out-of-range `success_threshold` next to `half_open_max_calls` is one mistake: one error,
//! and no second one comparing the two.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(success_threshold = 0, half_open_max_calls = 1)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
