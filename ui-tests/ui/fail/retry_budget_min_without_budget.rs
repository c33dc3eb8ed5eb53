//! A `budget_min` without a `budget`: it refines nothing.

use resilience_runtime::retry;

#[retry(budget_min = "5/s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
