//! Two mistakes in two attributes of a stack give two errors, one at each.

use resilience_runtime::{bulkhead, circuit_breaker, retry};

#[circuit_breaker(name = "two-mistakes")]
#[retry(max_attempts = 0)]
#[bulkhead(max_concurent = 4)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
