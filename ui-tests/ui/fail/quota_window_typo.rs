//! A misspelled `window`: one error at the value, with a did-you-mean.

use resilience_runtime::quota;

#[quota(limit = "1000/day", window = "slidng")]
async fn load(client: &str) -> Result<usize, resilience_runtime::Error> {
    Ok(client.len())
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("acme");
}
