//! A misspelled `when_ok`: did-you-mean the real key.

use resilience_runtime::retry;

fn is_unavailable(status: &u16) -> bool {
    *status == 503
}

#[retry(max_attempts = 2, when_okay = is_unavailable)]
async fn load() -> Result<u16, resilience_runtime::Error> {
    Ok(200)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
    let _ = is_unavailable(&503);
}
