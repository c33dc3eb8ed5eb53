//! An `ignore_if` predicate that returns another type than `bool`: one error, at the
//! predicate's path.

use resilience_runtime::circuit_breaker;

fn not_found(_: &resilience_runtime::Error) -> Option<bool> {
    None
}

#[circuit_breaker(ignore_if = not_found)]
fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
