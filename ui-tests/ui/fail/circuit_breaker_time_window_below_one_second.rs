//! A time window is counted in whole seconds: "500ms" is too short.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_rate = 50, window = "500ms")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
