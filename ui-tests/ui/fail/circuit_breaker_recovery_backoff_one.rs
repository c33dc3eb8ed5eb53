//! The open wait must grow: a backoff of 1 keeps it flat.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(recovery_backoff = 1.0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
