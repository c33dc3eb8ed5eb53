//! The cap is below the default recovery timeout (60s).

use resilience_runtime::circuit_breaker;

#[circuit_breaker(recovery_backoff = 2, max_recovery_timeout = "30s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
