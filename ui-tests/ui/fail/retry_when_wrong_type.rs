//! A `when` predicate that does not take `&E`: the error points at the predicate's path.

use resilience_runtime::retry;

fn is_transient(code: &u16) -> bool {
    *code >= 500
}

#[retry(max_attempts = 2, when = is_transient)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
