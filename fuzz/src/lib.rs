//! What the fuzz targets assert, shared by them.

use resilience_runtime::config::{ConfigError, DryRun};

/// The ranges every accepted configuration lies in, as the integration tests state them.
#[path = "../../tests/tests/support/config_ranges.rs"]
pub mod config_ranges;

/// An error explains itself: at least one issue, each with a place and a message.
pub fn assert_explained(error: &ConfigError) {
    assert!(!error.issues().is_empty(), "an error without issues");
    for issue in error.issues() {
        assert!(!issue.at.is_empty(), "an issue without a place: {issue:?}");
        assert!(
            !issue.message.trim().is_empty(),
            "an issue without a message: {issue:?}"
        );
    }
    assert!(!error.to_string().is_empty());
}

/// A result of a loader: in range when accepted, explained when rejected.
pub fn assert_sound(result: &Result<DryRun, ConfigError>) {
    match result {
        Ok(dry_run) => config_ranges::assert_in_range(dry_run),
        Err(error) => assert_explained(error),
    }
}
