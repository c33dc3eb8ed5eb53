//! A fallback fn returning the item instead of the fn's `Result`: one error, at the path.

use resilience_runtime::fallback;

fn recover(_: resilience_runtime::Error) -> u32 {
    0
}

#[fallback(recover)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
