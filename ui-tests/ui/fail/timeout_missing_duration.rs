//! `#[timeout]` without a duration.

use resilience_runtime::timeout;

#[timeout]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
