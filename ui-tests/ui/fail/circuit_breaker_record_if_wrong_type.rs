//! A `record_if` predicate that does not take `&E`: one error, at the predicate's path.

use resilience_runtime::circuit_breaker;

fn is_server_error(code: &u16) -> bool {
    *code >= 500
}

#[circuit_breaker(record_if = is_server_error)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
