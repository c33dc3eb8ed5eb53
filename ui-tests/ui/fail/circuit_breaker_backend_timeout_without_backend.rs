//! `backend_timeout` on an in-process breaker.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_threshold = 3, backend_timeout = "250ms")]
async fn load(sku: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = sku;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("sku-1");
}
