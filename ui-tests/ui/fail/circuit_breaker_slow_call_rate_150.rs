//! `slow_call_rate` is a percentage up to 100: 150 is out of range.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(slow_call_duration = "1s", slow_call_rate = 150)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
