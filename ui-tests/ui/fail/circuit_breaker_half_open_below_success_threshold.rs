//! Fewer half-open trial calls than the successes needed to close (consecutive-failure model).

use resilience_runtime::circuit_breaker;

#[circuit_breaker(success_threshold = 3, half_open_max_calls = 2)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
