//! A cap on a growth that is not configured.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(max_recovery_timeout = "5m")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
