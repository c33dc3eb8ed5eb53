//! `#[timeout]` on a sync fn: a running sync fn cannot be cancelled, and the error says so.

use resilience_runtime::timeout;

#[timeout("1s")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
