//! A fallback fn that takes other arguments than the fn's, followed by the error: one error, at
//! the path.

use resilience_runtime::{fallback, Error};

fn cached(_sku: &str, _quantity: u64, _: Error) -> Result<u32, Error> {
    Ok(0)
}

#[fallback(cached)]
async fn load(sku: &str, quantity: u32) -> Result<u32, Error> {
    Ok(sku.len() as u32 * quantity)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load("a", 1);
}
