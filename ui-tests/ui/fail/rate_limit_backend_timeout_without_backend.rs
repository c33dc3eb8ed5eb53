//! `backend_timeout` on an in-process limiter.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", backend_timeout = "250ms")]
async fn load(tenant: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = tenant;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
