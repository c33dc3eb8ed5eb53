//! A `multiplier` of 1 would never grow the delay.

use resilience_runtime::retry;

#[retry(multiplier = 1)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
