//! What a limiter sends its remote backend, counted where the decisions and the give-backs
//! that run after their call ended can both reach it.

use std::sync::atomic::AtomicU64;

/// Requests sent to a backend.
#[derive(Debug, Default)]
pub(super) struct Traffic {
    /// Every request: decisions, give-backs, and the loads of a script a server did not know.
    pub(super) round_trips: AtomicU64,
    /// Reservations the backend took back.
    pub(super) give_backs: AtomicU64,
}
