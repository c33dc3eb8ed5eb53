//! A zero `backend_timeout`.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", backend = "redis", backend_timeout = "0s")]
async fn load(tenant: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = tenant;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
