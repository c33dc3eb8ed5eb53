//! A fallback fn that does not take the fn's error type: the error points at the fallback path.

use resilience_runtime::fallback;

fn recover(reason: String) -> Result<u32, resilience_runtime::Error> {
    Ok(reason.len() as u32)
}

#[fallback(recover)]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
