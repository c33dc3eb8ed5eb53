//! The task that syncs one fleet breaker: spawned on the first call made inside a tokio
//! runtime, it runs one exchange every `sync_interval` until the breaker is dropped or its
//! runtime shuts down (a later call inside another runtime starts a new one).

use std::sync::Weak;
use std::sync::atomic::Ordering;

use super::super::CircuitBreaker;
use super::super::backend::FleetLink;
use super::link::Link;

impl CircuitBreaker {
    /// Starts the sync task of fleet breaker `link` if it can: this breaker is shared (its
    /// handle can be reached) and the caller runs inside a tokio runtime. Otherwise the
    /// breaker decides alone, and says so in its snapshot.
    #[cold]
    #[inline(never)]
    pub(in super::super) fn start_fleet_sync(&self, link: &Link) {
        let Some(breaker) = self.me.get().cloned() else {
            link.stay_local();
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            link.stay_local();
            return;
        };
        if link.running.swap(true, Ordering::AcqRel) {
            return; // Another call started it.
        }
        runtime.spawn(sync_loop(breaker));
    }
}

impl Link {
    fn stay_local(&self) {
        if self.link() == FleetLink::Connecting {
            self.set_link(FleetLink::LocalOnly);
            tracing::warn!(
                target: "resilience_runtime::circuit_breaker",
                process = %self.process,
                "fleet circuit breaker called outside a tokio runtime, or not made shared \
                 (CircuitBreaker::shared or the registry): it decides alone until a call \
                 inside a runtime starts its sync"
            );
        }
    }
}

/// Clears the link's running flag when the task ends, however it ends (its runtime shutting
/// down drops it), so that a later call can start another.
struct Running(Weak<CircuitBreaker>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(breaker) = self.0.upgrade()
            && let Some(link) = &breaker.fleet
        {
            link.running.store(false, Ordering::Release);
        }
    }
}

async fn sync_loop(breaker: Weak<CircuitBreaker>) {
    let _running = Running(breaker.clone());
    loop {
        let interval = {
            let Some(breaker) = breaker.upgrade() else {
                return;
            };
            breaker.exchange_with_fleet().await;
            breaker.config().sync_interval()
        };
        tokio::time::sleep(interval).await;
    }
}
