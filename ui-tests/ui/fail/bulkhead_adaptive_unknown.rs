//! A misspelled algorithm: one error at the word, with the word it was probably meant to be.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 16, adaptive = "aimdd")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
