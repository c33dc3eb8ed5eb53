//! `slow_call_rate` without `slow_call_duration`.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(slow_call_rate = 50)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
