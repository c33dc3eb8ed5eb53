//! Helpers for tests of a service's own code.
//!
//! Tests in one binary run in parallel and share the process-wide registry, so two tests that
//! call fns guarded by the same breaker name would trip each other's breaker. A [`scope`] gives
//! a test its own instances:
//!
//! ```
//! use resilience_runtime::{circuit_breaker, registry, testing, Error};
//!
//! #[circuit_breaker(name = "doc-scoped-db", failure_threshold = 1)]
//! async fn query(ok: bool) -> Result<(), Error> {
//!     if ok { Ok(()) } else { Err(Error::timeout(std::time::Duration::from_secs(1))) }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! {
//!     let _scope = testing::scope();
//!     let _ = query(false).await; // opens this test's breaker...
//!     assert!(query(true).await.is_err());
//! }
//! query(true).await.unwrap(); // ...not the process's, nor another test's
//! # });
//!
//! // Fails, listing each, if a site names an instance that nothing declares (a typo such as
//! // `name = "inventroy-db"`).
//! testing::assert_all_declared();
//! ```

use crate::base::{call::site, scope};
use crate::registry::{end_scope, registry};

/// Gives the calling thread its own registry until the guard drops: the attribute sites it
/// runs and its [`registry()`](crate::registry()) lookups see instances of their own, created
/// with the attributes' declarations (and the configuration layers in force), so tests in one
/// binary that use the same names can run in parallel without sharing state.
///
/// The scope belongs to the thread that made it: a `#[tokio::test]` (one thread by default)
/// runs its whole body in it; tasks spawned onto other threads of a multi-thread runtime run
/// outside it. Configuration changes made while it lasts (`config::load`, `apply`) reach the
/// process's running instances, not the scope's. Scopes nest. Outside any scope a call site
/// pays one relaxed atomic load for this.
#[must_use = "the scope ends when the guard drops"]
pub fn scope() -> Scope {
    Scope {
        entered: scope::enter(),
    }
}

/// A test's own registry namespace, until dropped; see [`scope`].
#[derive(Debug)]
pub struct Scope {
    entered: scope::Entered,
}

impl Drop for Scope {
    fn drop(&mut self) {
        let id = self.entered.id();
        site::forget_scope(id);
        end_scope(id);
    }
}

/// Fails (panics, listing each with its sites and a did-you-mean) when attribute sites name an
/// instance that no attribute, `register_*` call or configuration declares; see
/// [`Registry::undeclared`](crate::Registry::undeclared).
///
/// # Panics
///
/// When any such name exists: that is the check.
#[track_caller]
pub fn assert_all_declared() {
    let undeclared = registry().undeclared();
    if undeclared.is_empty() {
        return;
    }
    let list: Vec<String> = undeclared
        .iter()
        .map(|name| name.issue().to_string())
        .collect();
    panic!(
        "{} name(s) used but declared nowhere:\n  {}",
        list.len(),
        list.join("\n  ")
    );
}
