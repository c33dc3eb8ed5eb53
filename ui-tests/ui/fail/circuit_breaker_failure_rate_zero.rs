//! `failure_rate` is a percentage from 1: 0 is out of range.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
