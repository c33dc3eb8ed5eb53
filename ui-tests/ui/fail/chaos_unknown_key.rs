//! An unknown `#[chaos]` key with a typo: did-you-mean the real key.

use resilience_runtime::{chaos, Error};

fn unavailable() -> Error {
    Error::timeout(std::time::Duration::from_secs(1))
}

#[chaos(eror_rate = 0.2, error = unavailable)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
