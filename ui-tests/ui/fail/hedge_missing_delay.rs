//! `#[hedge]` without `delay`: one error at the attribute, with an example.

use resilience_runtime::hedge;

#[hedge(max_hedges = 2)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
