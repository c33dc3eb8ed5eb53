//! A duration with an unknown unit: did-you-mean the real unit.

use resilience_runtime::retry;

#[retry(max_delay = "5sec")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
