//! `window` without a rate to judge over it.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_threshold = 5, window = 20)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
