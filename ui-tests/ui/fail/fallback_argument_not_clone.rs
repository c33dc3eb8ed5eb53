//! A fallback fn that takes the fn's arguments, one of them owned and not `Clone`: one error,
//! at the path, saying owned arguments reach the fallback as clones.

use resilience_runtime::{fallback, Error};

struct Order(u32);

fn cached(_order: Order, _: Error) -> Result<u32, Error> {
    Ok(0)
}

#[fallback(cached)]
fn load(order: Order) -> Result<u32, Error> {
    Ok(order.0)
}

// The fn is still emitted: this use compiles.
fn main() {
    let _ = load(Order(1));
}
