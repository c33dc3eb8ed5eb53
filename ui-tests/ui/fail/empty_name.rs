//! An empty `name`.

use resilience_runtime::circuit_breaker;

#[circuit_breaker(name = "")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
