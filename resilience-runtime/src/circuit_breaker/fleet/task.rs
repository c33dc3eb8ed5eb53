//! The task that syncs one fleet breaker: spawned on the first call, manual action or
//! [`sync_fleet`](CircuitBreaker::sync_fleet) made inside a tokio runtime, it runs one
//! exchange every `sync_interval`, and one at once after a manual action, until the breaker
//! is dropped or its runtime shuts down (a later call inside another runtime starts a new
//! one).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

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

    /// Has the sync task exchange now, starting it if it can (as
    /// [`start_fleet_sync`](Self::start_fleet_sync)); without a word when it cannot, since
    /// the paths that call this (a manual action, an exchange by hand) are no call the
    /// breaker decides, and a breaker made with [`new`](Self::new) syncs by hand.
    pub(in super::super) fn wake_fleet_sync(&self, link: &Link) {
        if link.running() {
            link.wake.notify_one();
        } else if self.me.get().is_some() && tokio::runtime::Handle::try_current().is_ok() {
            self.start_fleet_sync(link);
        }
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
        let (interval, wake) = {
            let Some(breaker) = breaker.upgrade() else {
                return;
            };
            breaker.exchange_with_fleet().await;
            let Some(link) = &breaker.fleet else {
                return;
            };
            (breaker.config().sync_interval(), Arc::clone(&link.wake))
        };
        // The interval, or less when a manual action is waiting to be sent.
        let _ = tokio::time::timeout(interval, wake.notified()).await;
    }
}
