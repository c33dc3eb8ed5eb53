//! `slow_call_duration` without `slow_call_rate`.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(slow_call_duration = "2s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
