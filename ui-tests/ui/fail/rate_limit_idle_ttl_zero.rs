//! Keys forgotten at once.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", key = tenant, idle_ttl = "0s")]
async fn load(tenant: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = tenant;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
