//! A duration without a unit: did-you-mean milliseconds.

use resilience_runtime::timeout;

#[timeout("500")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
