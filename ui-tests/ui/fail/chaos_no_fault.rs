//! `#[chaos]` with nothing to inject.

use resilience_runtime::{chaos, Error};

#[chaos(name = "quiet", seed = 7)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
