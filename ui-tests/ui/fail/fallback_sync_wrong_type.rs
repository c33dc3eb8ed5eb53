//! On a sync fn, a fallback fn whose return type does not match the fn's: the error points at
//! the fallback path.

use resilience_runtime::{fallback, retry};

fn recover(_: resilience_runtime::Error) -> Option<u32> {
    None
}

#[fallback(recover)]
#[retry(max_attempts = 2, initial_delay = "1ms")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
