//! `backend = "redis"` on a sync fn: decisions are network requests made on tokio.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", backend = "redis")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
