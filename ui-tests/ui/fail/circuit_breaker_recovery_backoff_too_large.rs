//! A backoff above 10 turns the second failed recovery into hours.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(recovery_backoff = 20)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
