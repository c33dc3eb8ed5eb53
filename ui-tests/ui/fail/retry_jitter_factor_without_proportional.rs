//! `jitter_factor` without `jitter = "proportional"`.

use resilience_runtime::retry;

#[retry(jitter = "full", jitter_factor = 0.5)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
