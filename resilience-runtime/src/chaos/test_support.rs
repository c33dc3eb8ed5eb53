//! Helpers the chaos unit tests share. Every test arms chaos (and none disarms it), so the
//! tests hold whatever order they run in and whatever `RESILIENCE_CHAOS` says.

pub(super) use std::time::Duration;

pub(super) use super::{Chaos, ChaosConfig, ChaosMetrics, Fault, Injection, set_enabled};

pub(super) fn armed(name: &'static str, config: ChaosConfig) -> Chaos {
    set_enabled(true);
    Chaos::new(name, config)
}

pub(super) fn outcomes(chaos: &Chaos, calls: usize) -> Vec<Injection> {
    (0..calls).map(|_| chaos.inject()).collect()
}

pub(super) fn paused() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}
