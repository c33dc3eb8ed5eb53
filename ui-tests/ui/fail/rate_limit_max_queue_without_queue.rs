//! `max_queue` on a limiter that waits without a queue bound.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", on_limit = "wait", max_queue = 5)]
async fn load(tenant: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = tenant;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
