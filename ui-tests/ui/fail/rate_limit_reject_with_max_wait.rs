//! `max_wait` on a limiter that rejects instead of waiting.

use resilience_runtime::rate_limit;

#[rate_limit(rate = "10/s", on_limit = "reject", max_wait = "1s")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
