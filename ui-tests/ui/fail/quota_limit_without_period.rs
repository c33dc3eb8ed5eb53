//! A `limit` without its period: one error at the value.

use resilience_runtime::quota;

#[quota(limit = "1000")]
async fn load(client: &str) -> Result<usize, resilience_runtime::Error> {
    Ok(client.len())
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
