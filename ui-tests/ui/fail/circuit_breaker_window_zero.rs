//! A window of 0 calls.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 50, window = 0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
