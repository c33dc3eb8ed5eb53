//! A fleet breaker's link to the shared state: who this process is to the fleet, whether
//! the fleet decides right now, what is waiting to be sent, and what the snapshot shows.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::super::backend::{Backend, BackendStatus, FleetLink};
use super::super::config::CircuitBreakerConfig;
use super::exchange::ManualAction;
use super::outbox::Outbox;
use super::redis::FleetRedis;
use crate::base::clock::Nanos;

/// No fleet generation read yet.
const NO_GENERATION: u64 = u64::MAX;

/// The trial lease this process holds: the fleet generation that granted it and the local
/// generation of the half-open period it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) fleet_generation: u64,
    pub(crate) local_generation: u32,
}

/// One fleet breaker's link.
pub(crate) struct Link {
    /// This process's name to the fleet: random, so that two processes (or two breakers of
    /// one name in one process) never take each other's trial lease.
    pub(crate) process: String,
    /// A sync task runs.
    pub(crate) running: AtomicBool,
    /// The last exchange succeeded: the fleet decides, the local rules wait.
    joined: AtomicBool,
    link: AtomicU8,
    pub(crate) syncs: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) incidents: AtomicU64,
    generation: AtomicU64,
    holds_trial: AtomicBool,
    /// Until when the backend is left alone after a failure.
    pub(crate) resting_until: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
    /// The latest manual transition not yet taken over by the fleet.
    pub(crate) pending: Mutex<Option<ManualAction>>,
    pub(crate) lease: Mutex<Option<Lease>>,
    pub(crate) outbox: Mutex<Outbox>,
    /// One exchange at a time (the task's and [`CircuitBreaker::sync_fleet`]'s).
    pub(crate) exchanging: tokio::sync::Mutex<()>,
    /// Wakes the sync task before its interval is over: a manual action goes to the fleet at
    /// once rather than at the next exchange. Shared with the task, which holds no strong
    /// reference to the breaker while it waits.
    pub(crate) wake: Arc<tokio::sync::Notify>,
    pub(crate) redis: FleetRedis,
}

impl Link {
    /// The link of a breaker declared with `config`; `None` for a local one.
    pub(crate) fn of(name: &'static str, config: &CircuitBreakerConfig) -> Option<Box<Self>> {
        if config.backend() != Backend::Redis {
            return None;
        }
        Some(Box::new(Self {
            process: process_id(),
            running: AtomicBool::new(false),
            joined: AtomicBool::new(false),
            link: AtomicU8::new(link_code(FleetLink::Connecting)),
            syncs: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            incidents: AtomicU64::new(0),
            generation: AtomicU64::new(NO_GENERATION),
            holds_trial: AtomicBool::new(false),
            resting_until: AtomicU64::new(0),
            last_error: Mutex::new(None),
            pending: Mutex::new(None),
            lease: Mutex::new(None),
            outbox: Mutex::new(Outbox::default()),
            exchanging: tokio::sync::Mutex::new(()),
            wake: Arc::new(tokio::sync::Notify::new()),
            redis: FleetRedis::new(name, config.backend_timeout()),
        }))
    }

    /// Whether the fleet decides: the last exchange succeeded.
    #[inline]
    pub(crate) fn joined(&self) -> bool {
        self.joined.load(Ordering::Relaxed)
    }

    /// Whether a sync task runs for this breaker.
    #[inline(always)]
    pub(crate) fn running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }

    pub(crate) fn set_link(&self, link: FleetLink) {
        self.joined
            .store(link == FleetLink::Connected, Ordering::Relaxed);
        self.link.store(link_code(link), Ordering::Relaxed);
    }

    pub(crate) fn link(&self) -> FleetLink {
        match self.link.load(Ordering::Relaxed) {
            0 => FleetLink::Connecting,
            1 => FleetLink::Connected,
            2 => FleetLink::FallenBack,
            _ => FleetLink::LocalOnly,
        }
    }

    /// What the last exchange read.
    pub(crate) fn read(&self, generation: u64, holds_trial: bool) {
        self.generation.store(generation, Ordering::Relaxed);
        self.holds_trial.store(holds_trial, Ordering::Relaxed);
    }

    /// Keeps `action` for the next exchange; a later action replaces an earlier one, as it
    /// does locally.
    pub(crate) fn note(&self, action: ManualAction) {
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(action);
    }

    /// Whether the backend rests at `now` after a failure.
    pub(crate) fn resting(&self, now: Nanos) -> bool {
        now < self.resting_until.load(Ordering::Relaxed)
    }

    /// What the snapshot shows.
    pub(crate) fn status(&self, config: &CircuitBreakerConfig) -> BackendStatus {
        let generation = self.generation.load(Ordering::Relaxed);
        BackendStatus {
            backend: Backend::Redis,
            link: self.link(),
            available: self.joined(),
            sync_interval: config.sync_interval(),
            syncs: self.syncs.load(Ordering::Relaxed),
            round_trips: self.redis.round_trips.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            incidents: self.incidents.load(Ordering::Relaxed),
            fleet_generation: (generation != NO_GENERATION).then_some(generation),
            holds_trial: self.holds_trial.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

fn link_code(link: FleetLink) -> u8 {
    match link {
        FleetLink::Connecting => 0,
        FleetLink::Connected => 1,
        FleetLink::FallenBack => 2,
        FleetLink::LocalOnly => 3,
    }
}

/// 16 hex digits from a randomly seeded hash of the process id, the time and a counter.
fn process_id() -> String {
    static MADE: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(MADE.fetch_add(1, Ordering::Relaxed));
    if let Ok(since) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since.as_nanos());
    }
    format!("{:016x}", hasher.finish())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_a_redis_breaker_has_a_link() {
        assert!(Link::of("local", &CircuitBreakerConfig::new()).is_none());
        let link = Link::of(
            "fleet",
            &CircuitBreakerConfig::new().with_backend(Backend::Redis),
        )
        .expect("a link");
        assert_eq!(link.link(), FleetLink::Connecting);
        assert!(!link.joined());
        link.set_link(FleetLink::Connected);
        assert!(link.joined());
        link.set_link(FleetLink::FallenBack);
        assert!(!link.joined());
        let status = link.status(&CircuitBreakerConfig::new());
        assert_eq!(status.link, FleetLink::FallenBack);
        assert_eq!(status.fleet_generation, None);
    }

    #[test]
    fn every_link_is_its_own_process() {
        let config = CircuitBreakerConfig::new().with_backend(Backend::Redis);
        let (a, b) = (Link::of("a", &config), Link::of("a", &config));
        let (a, b) = (a.expect("a link"), b.expect("a link"));
        assert_ne!(a.process, b.process);
        assert_eq!(a.process.len(), 16);
    }
}
