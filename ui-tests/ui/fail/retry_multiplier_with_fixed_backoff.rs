//! `multiplier` with `backoff = "fixed"`.

use resilience_runtime::retry;

#[retry(backoff = "fixed", multiplier = 3)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
