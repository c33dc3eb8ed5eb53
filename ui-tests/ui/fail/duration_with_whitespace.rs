//! A duration written with a space and a spelled-out unit: the suggestion is a valid duration.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_threshold = 3, recovery_timeout = "30 sec")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
