//! A `limit` with a period that is not one: one error at the value.

use resilience_runtime::quota;

#[quota(limit = "1000/fortnight")]
async fn load(client: &str) -> Result<usize, resilience_runtime::Error> {
    Ok(client.len())
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
