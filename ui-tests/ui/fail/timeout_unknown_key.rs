//! An unknown `#[timeout]` key with a typo: did-you-mean the real key.

use resilience_runtime::timeout;

#[timeout(durtion = "2s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
