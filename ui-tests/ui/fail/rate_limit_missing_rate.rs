//! `#[rate_limit]` without its required `rate`.

use resilience_runtime::rate_limit;

#[rate_limit(burst = 5)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
