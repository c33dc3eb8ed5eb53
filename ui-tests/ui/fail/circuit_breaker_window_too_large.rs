//! A count window above the runtime's 100000 calls (it would be clamped silently).

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 50, window = 200000)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
