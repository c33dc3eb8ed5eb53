//! A zero `latency`.

use resilience_runtime::{chaos, Error};

#[chaos(latency = "0ms")]
async fn load() -> Result<u32, Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
