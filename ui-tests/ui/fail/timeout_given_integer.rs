//! An integer where the timeout's duration string goes: did-you-mean the string with a unit.

use resilience_runtime::timeout;

#[timeout(500)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
