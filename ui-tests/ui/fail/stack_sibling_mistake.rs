//! A mistake in a sibling attribute (the second of a stack, expanded by the first) gives
//! exactly one error, at the sibling's token.

use resilience_runtime::{retry, timeout};

#[retry(max_attempts = 3)]
#[timeout("5sec")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
