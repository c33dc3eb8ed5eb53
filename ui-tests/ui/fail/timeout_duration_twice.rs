//! The duration given twice, in the short and the named form.

use resilience_runtime::timeout;

#[timeout("1s", duration = "2s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
