//! A string where a number goes.

use resilience_runtime::retry;

#[retry(max_attempts = "3")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
