//! An error type without `From<resilience_runtime::Error>` under `#[fallback]` (and a layer
//! that needs the conversion): one error, at the error type.

use resilience_runtime::{fallback, timeout};

#[derive(Debug)]
struct MyError;

fn recover(_: MyError) -> Result<u32, MyError> {
    Ok(0)
}

#[fallback(recover)]
#[timeout("1s")]
async fn load() -> Result<u32, MyError> {
    Err(MyError)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
