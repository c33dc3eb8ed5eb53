//! A string where a float goes.

use resilience_runtime::retry;

#[retry(multiplier = "1.5")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
