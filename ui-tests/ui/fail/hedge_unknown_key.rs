//! A misspelled `#[hedge]` key: did-you-mean the real key.

use resilience_runtime::hedge;

#[hedge(delay = "50ms", max_hedge = 2)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
