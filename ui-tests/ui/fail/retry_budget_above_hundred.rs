//! A `budget` above 100%: retries cannot add more than every call again.

use resilience_runtime::retry;

#[retry(budget = "120%")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
