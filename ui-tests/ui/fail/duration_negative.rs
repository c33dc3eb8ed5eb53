//! A negative duration: durations are zero or more.

use resilience_runtime::timeout;

#[timeout("-1s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
