//! An unknown `#[circuit_breaker]` key with a typo: did-you-mean the real key.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(failure_treshold = 3)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
