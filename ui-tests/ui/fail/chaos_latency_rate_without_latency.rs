//! A `latency_rate` without the `latency` it applies to.

use resilience_runtime::{chaos, Error};

fn unavailable() -> Error {
    Error::timeout(std::time::Duration::from_secs(1))
}

#[chaos(latency_rate = 0.5, error_rate = 0.1, error = unavailable)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
