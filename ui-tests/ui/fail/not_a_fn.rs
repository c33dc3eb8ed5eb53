//! A resilience attribute on something that is not a fn (a struct).

use resilience_runtime::retry;

#[retry(max_attempts = 2)]
struct Config {
    attempts: u32,
}

// The struct is still emitted: this use compiles.
fn main() {
    let config = Config { attempts: 1 };
    let _ = config.attempts;
}
