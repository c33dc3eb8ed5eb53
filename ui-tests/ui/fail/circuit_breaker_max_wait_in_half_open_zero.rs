//! A zero wait would reopen every half-open breaker at once.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(max_wait_in_half_open = "0s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
