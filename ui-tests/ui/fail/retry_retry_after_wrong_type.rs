//! A `retry_after` fn that returns another type than `Option<Duration>`: one error, at its
//! path.

use std::time::Duration;

use resilience_runtime::retry;

fn server_hint(_: &resilience_runtime::Error) -> Duration {
    Duration::from_secs(1)
}

#[retry(max_attempts = 2, retry_after = server_hint)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
