//! An `error_rate` written as a percentage: it is a fraction, with a hint.

use resilience_runtime::{chaos, Error};

fn unavailable() -> Error {
    Error::timeout(std::time::Duration::from_secs(1))
}

#[chaos(error_rate = 20, error = unavailable)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
