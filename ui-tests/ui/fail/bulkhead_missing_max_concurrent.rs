//! `#[bulkhead]` without its required `max_concurrent`.

use resilience_runtime::bulkhead;

#[bulkhead(max_wait = "1s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
