//! A static bulkhead's limit does not move: `min_concurrent` would be ignored.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 4, min_concurrent = 2)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
