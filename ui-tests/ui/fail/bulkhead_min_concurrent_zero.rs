//! An adaptive limit of 0 would reject every call and never learn again.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 4, adaptive = "gradient", min_concurrent = 0)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
