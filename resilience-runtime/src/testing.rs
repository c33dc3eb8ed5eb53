//! Helpers for tests of a service's own code.
//!
//! ```
//! // In any test of the service: fails, listing each, if a site names an instance that
//! // nothing declares (a typo such as `name = "inventroy-db"`).
//! resilience_runtime::testing::assert_all_declared();
//! ```

use crate::registry::registry;

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
