//! An `error_rate` without the `error` fn that builds the injected error.

use resilience_runtime::{chaos, Error};

#[chaos(error_rate = 0.2)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
