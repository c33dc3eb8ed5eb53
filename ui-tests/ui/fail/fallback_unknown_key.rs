//! An unknown `#[fallback]` key with a typo: did-you-mean the real key.

use resilience_runtime::fallback;

fn recover(error: resilience_runtime::Error) -> Result<u32, resilience_runtime::Error> {
    Err(error)
}

#[fallback(recover, crat = "resilience_runtime")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
