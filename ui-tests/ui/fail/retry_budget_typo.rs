//! A misspelled `budget` key: did-you-mean the real one.

use resilience_runtime::retry;

#[retry(budgt = "20%")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
