//! `initial_delay` above the default `max_delay` (10s).

use resilience_runtime::retry;

#[retry(initial_delay = "30s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
