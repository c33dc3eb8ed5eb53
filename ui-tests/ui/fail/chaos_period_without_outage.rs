//! A `period` without an `outage`.

use resilience_runtime::{chaos, Error};

#[chaos(latency = "10ms", period = "60s")]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
