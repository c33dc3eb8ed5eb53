//! An unknown `#[bulkhead]` key with a typo: did-you-mean the real key.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurent = 4)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
