//! `#[hedge]` on a sync fn: one error at the attribute, saying why.

use resilience_runtime::hedge;

#[hedge(delay = "50ms")]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
