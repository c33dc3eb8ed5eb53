//! A fn without a return type (it returns `()`): the error points at the fn's name.

use resilience_runtime::bulkhead;

#[bulkhead(max_concurrent = 2)]
async fn store(value: u32) {
    let _ = value;
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = store(1);
}
