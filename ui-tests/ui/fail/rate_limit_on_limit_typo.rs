//! An unknown `on_limit`: did-you-mean the real one.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", on_limit = "wiat")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
