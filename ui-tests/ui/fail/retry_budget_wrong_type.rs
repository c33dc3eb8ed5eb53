//! A `budget` given as a number, not a percentage string.

use resilience_runtime::retry;

#[retry(budget = 20)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
