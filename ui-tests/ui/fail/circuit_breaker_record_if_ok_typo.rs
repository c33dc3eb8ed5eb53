//! A misspelled `record_if_ok`: did-you-mean the real key.

use resilience_runtime::circuit_breaker;

fn server_error(status: &u16) -> bool {
    *status >= 500
}

#[circuit_breaker(record_ok_if = server_error)]
async fn load() -> Result<u16, resilience_runtime::Error> {
    Ok(200)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
    let _ = server_error(&503);
}
