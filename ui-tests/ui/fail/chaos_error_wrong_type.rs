//! An `error` fn that builds another type than the fn's error: the error points at the path.

use resilience_runtime::{chaos, Error};

fn wrong_type() -> std::io::Error {
    std::io::Error::other("injected")
}

#[chaos(error_rate = 0.2, error = wrong_type)]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
