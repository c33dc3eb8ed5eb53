//! A `record_if_ok` predicate that returns another type than `bool`: one error, at the
//! predicate's path.

use resilience_runtime::circuit_breaker;

fn server_error(status: &u16) -> Option<bool> {
    Some(*status >= 500)
}

#[circuit_breaker(record_if_ok = server_error)]
fn load() -> Result<u16, resilience_runtime::Error> {
    Ok(200)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
