//! `#[fallback]` without the path of the fallback fn.

use resilience_runtime::fallback;

#[fallback]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
