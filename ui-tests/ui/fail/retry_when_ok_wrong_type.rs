//! A `when_ok` predicate that takes the error (`&E`) instead of the `Ok` value (`&T`): one
//! error, at the predicate's path.

use resilience_runtime::retry;

#[derive(Debug)]
struct Response {
    status: u16,
}

fn is_unavailable(error: &resilience_runtime::Error) -> bool {
    matches!(error, resilience_runtime::Error::BulkheadFull { .. })
}

#[retry(max_attempts = 2, when_ok = is_unavailable)]
async fn load() -> Result<Response, resilience_runtime::Error> {
    Ok(Response { status: 200 })
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
    let _ = Response { status: 503 }.status;
}
