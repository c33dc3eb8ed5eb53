//! A fallback fn whose return type does not match the fn's: the error points at the fallback
//! path.

use resilience_runtime::fallback;

fn recover(_: resilience_runtime::Error) -> Result<String, resilience_runtime::Error> {
    Ok(String::from("cached"))
}

#[fallback(recover)]
async fn load() -> Result<u32, resilience_runtime::Error> {
    Ok(1)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load();
}
