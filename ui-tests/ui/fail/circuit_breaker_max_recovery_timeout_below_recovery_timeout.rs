//! The cap is below the wait it starts from.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(recovery_timeout = "30s", recovery_backoff = 2, max_recovery_timeout = "10s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
