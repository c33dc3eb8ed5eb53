//! `#[fallback]` takes one fallback fn: a second path is an error at that path.

use resilience_runtime::fallback;

fn recover(error: resilience_runtime::Error) -> Result<u32, resilience_runtime::Error> {
    Err(error)
}

#[fallback(recover, recover_again)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
