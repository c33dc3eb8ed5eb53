//! An `error` fn with neither `error_rate` nor `outage` to use it.

use resilience_runtime::{chaos, Error};

fn unavailable() -> Error {
    Error::timeout(std::time::Duration::from_secs(1))
}

#[chaos(latency = "10ms", error = unavailable)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
