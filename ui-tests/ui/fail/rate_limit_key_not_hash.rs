//! A key whose type is not `Hash`: one error at the key, in words about keys, in an async
//! fn and in a sync fn.

use resilience_runtime::rate_limit;

struct Tenant {
    id: u32,
}

#[rate_limit(rate = "10/s", key = tenant)]
async fn load(tenant: &Tenant) -> Result<u32, resilience_runtime::Error> {
    Ok(tenant.id)
}

#[rate_limit(rate = "10/s", key = tenant)]
fn load_blocking(tenant: &Tenant) -> Result<u32, resilience_runtime::Error> {
    Ok(tenant.id)
}

fn main() {
    let tenant = Tenant { id: 1 };
    let _ = load(&tenant);
    let _ = load_blocking(&tenant);
}
