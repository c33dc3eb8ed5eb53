//! An `outage` as long as its `period`: the service would never be up.

use resilience_runtime::{chaos, Error};

fn unavailable() -> Error {
    Error::timeout(std::time::Duration::from_secs(1))
}

#[chaos(outage = "1m", period = "60s", error = unavailable)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
