//! `#[hedge]` on a `&mut self` method: the attempts run at once, so they cannot share it.

use resilience_runtime::hedge;

struct Search {
    calls: u32,
}

impl Search {
    #[hedge(delay = "50ms")]
    async fn load(&mut self) -> Result<u32, resilience_runtime::Error> {
        self.calls += 1;
        Ok(self.calls)
    }
}

// The fn is still emitted: this use compiles.
fn main() {
    let mut search = Search { calls: 0 };
    let _ = search.load();
}
