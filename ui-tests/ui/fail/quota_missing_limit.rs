//! `#[quota]` without `limit`: one error at the attribute, with an example.

use resilience_runtime::quota;

#[quota(window = "sliding")]
async fn load(client: &str) -> Result<usize, resilience_runtime::Error> {
    Ok(client.len())
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
