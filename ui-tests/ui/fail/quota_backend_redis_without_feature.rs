//! A quota with `backend = "redis"` while resilience-runtime is built without its `redis`
//! feature.

use resilience_runtime::quota;

#[quota(limit = "1000/day", key = client, backend = "redis", on_backend_error = "deny")]
async fn load(client: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = client;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
