//! `#[timeout]` as a sibling in a stack on a sync fn: one error, at the sibling.

use resilience_runtime::{retry, timeout};

#[retry(max_attempts = 2)]
#[timeout("1s")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
