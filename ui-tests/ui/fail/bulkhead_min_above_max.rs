//! An adaptive limit cannot go down to more than its maximum.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 4, adaptive = "vegas", min_concurrent = 8)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
