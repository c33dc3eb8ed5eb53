//! A percentile the hedge does not track: the ones it does, at the value.

use resilience_runtime::hedge;

#[hedge(delay = "p50")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
