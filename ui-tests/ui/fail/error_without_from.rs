//! An error type without `From<resilience_runtime::Error>`: a layer's own error (an open
//! breaker, a timeout, ...) could not be returned through it.

use resilience_runtime::{retry, timeout};

#[derive(Debug)]
struct MyError;

#[retry(max_attempts = 2)]
#[timeout("1s")]
async fn load() -> Result<u32, MyError> {
    Err(MyError)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
