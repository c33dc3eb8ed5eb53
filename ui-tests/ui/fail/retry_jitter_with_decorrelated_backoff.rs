//! `jitter` with `backoff = "decorrelated"`, which is already random.

use resilience_runtime::retry;

#[retry(backoff = "decorrelated", jitter = "full")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
