//! A `budget` written as a bare number in a string: it needs its `%`.

use resilience_runtime::retry;

#[retry(budget = "20")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
