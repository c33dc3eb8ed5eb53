//! A misspelt breaker `backend`.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(name = "inventory", backend = "rediss")]
async fn load(sku: &str) -> Result<u32, resilience_runtime::Error> {
    let _ = sku;
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("sku-1");
}
