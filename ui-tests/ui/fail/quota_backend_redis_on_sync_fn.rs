//! `backend = "redis"` on a sync fn: a quota's decisions on Redis are network requests made
//! on tokio.

use resilience_runtime::quota;

#[quota(limit = "1000/day", backend = "redis")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
