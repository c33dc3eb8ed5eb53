//! An unknown `#[rate_limit]` key with a typo: did-you-mean the real key.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", brust = 5)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
