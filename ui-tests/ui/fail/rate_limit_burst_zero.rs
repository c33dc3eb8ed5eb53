//! A burst of 0 would admit nothing.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", burst = 0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
