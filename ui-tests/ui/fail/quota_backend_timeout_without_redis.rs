//! `backend_timeout` on an in-process quota.

use resilience_runtime::quota;

#[quota(limit = "1000/day", backend = "local", backend_timeout = "250ms")]
async fn load(client: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = client;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
