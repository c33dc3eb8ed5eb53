//! The global kill switch: while it is engaged every layer is a pass-through.
//!
//! One relaxed atomic load per layer and call: breakers admit every call and record nothing,
//! rate limiters and bulkheads admit every call (a bulkhead still counts its calls in flight,
//! so switching back leaks no slot), retries make one attempt and timeouts never fire.

use std::sync::atomic::{AtomicBool, Ordering};

static DISABLED: AtomicBool = AtomicBool::new(false);

/// True while every layer is a pass-through.
#[inline]
pub(crate) fn engaged() -> bool {
    DISABLED.load(Ordering::Relaxed)
}

/// Engages or releases the switch; logs a change.
pub(crate) fn set(disabled: bool, by: &str) {
    if DISABLED.swap(disabled, Ordering::Relaxed) != disabled {
        if disabled {
            tracing::warn!(
                target: "resilience_runtime::config",
                by, "resilience disabled: every layer is a pass-through");
        } else {
            tracing::info!(target: "resilience_runtime::config", by, "resilience enabled again");
        }
    }
}
