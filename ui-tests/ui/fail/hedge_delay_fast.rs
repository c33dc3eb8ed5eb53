//! A `delay` that is neither a duration nor a percentile.

use resilience_runtime::hedge;

#[hedge(delay = "fast")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
