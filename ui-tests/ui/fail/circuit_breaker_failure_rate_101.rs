//! `failure_rate` is a percentage up to 100: 101 is out of range.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 101)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
