//! A `budget_min` with a misspelled period: did-you-mean the real one.

use resilience_runtime::retry;

#[retry(budget = "20%", budget_min = "5/sx")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
