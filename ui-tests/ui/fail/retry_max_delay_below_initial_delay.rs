//! `max_delay` below `initial_delay`.

use resilience_runtime::retry;

#[retry(initial_delay = "2s", max_delay = "1s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
