//! `max_hedges = 5`: out of range, at the value.

use resilience_runtime::hedge;

#[hedge(delay = "50ms", max_hedges = 5)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
