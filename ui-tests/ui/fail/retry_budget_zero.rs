//! A `budget` of 0%: it would allow no retry; leave out `#[retry]` instead.

use resilience_runtime::retry;

#[retry(budget = "0%")]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
