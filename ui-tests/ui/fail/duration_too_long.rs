//! A duration longer than a policy holds (about 584 years): rejected, naming the key, rather
//! than cut down.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 4, max_wait = "300000d")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
