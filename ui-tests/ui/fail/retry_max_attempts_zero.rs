//! `max_attempts` counts the first call, so 0 is out of range.

use resilience_runtime::retry;

#[retry(max_attempts = 0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
