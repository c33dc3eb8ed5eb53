//! A misspelled key: one error at the key, with a did-you-mean.

use resilience_runtime::quota;

#[quota(limit = "1000/day", windw = "fixed")]
async fn load(client: &str) -> Result<usize, resilience_runtime::Error> {
    Ok(client.len())
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
