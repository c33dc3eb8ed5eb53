//! A `success_threshold` above the runtime's 16383 (it would be clamped silently).

use resilience_runtime::circuit_breaker;

#[circuit_breaker(success_threshold = 20000)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
