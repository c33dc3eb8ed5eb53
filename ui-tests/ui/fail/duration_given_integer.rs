//! An integer where a duration string goes: did-you-mean the string with a unit.

use resilience_runtime::retry;

#[retry(initial_delay = 100)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
