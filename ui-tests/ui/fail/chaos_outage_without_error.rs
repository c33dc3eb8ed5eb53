//! An `outage` without the `error` fn that builds the injected error.

use resilience_runtime::{chaos, Error};

#[chaos(outage = "5s", period = "60s")]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
