//! A `key` whose type is not `Hash`: one error, at the key.

use resilience_runtime::rate_limit;

struct Tenant(u32);

#[rate_limit(rate = "10/s", key = tenant)]
async fn load(tenant: Tenant) -> Result<u32, resilience_runtime::Error> {
    Ok(tenant.0)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load(Tenant(1));
}
