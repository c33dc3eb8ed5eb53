//! A `latency_rate` above 1.

use resilience_runtime::{chaos, Error};

#[chaos(latency = "200ms", latency_rate = 1.5)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
