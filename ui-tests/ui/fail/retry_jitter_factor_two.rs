//! `jitter_factor` lies in (0, 1]: 2.0 is out of range.

use resilience_runtime::retry;

#[retry(jitter = "proportional", jitter_factor = 2.0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
