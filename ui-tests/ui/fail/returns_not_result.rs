//! A fn whose return type is not a `Result`: the error points at the return type.

use resilience_runtime::retry;

#[retry(max_attempts = 2)]
async fn load() -> u32 {
    1
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
