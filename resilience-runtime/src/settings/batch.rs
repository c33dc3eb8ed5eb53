//! What one source of configuration (a file, code) produces: keys to set, the global
//! switches, and the problems its reading found.

use std::collections::BTreeMap;

use super::keys::Setting;
use super::report::ConfigIssue;
use super::value::Raw;
use crate::base::clock::ClockSource;

/// Settings of one instance in the override layer, each with where it was set.
pub(crate) type Keys = BTreeMap<&'static str, (Setting, String)>;

/// One key to set, as a source wrote it.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) raw: Raw,
    /// Where, for messages: `circuit_breaker."db".failure_threshold`, with a file's path.
    pub(crate) at: String,
}

/// Keys to set, the kill switch and the clock source, from one source, with the problems
/// its reading found.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) entries: Vec<Incoming>,
    pub(crate) disabled: Option<bool>,
    pub(crate) clock: Option<ClockSource>,
    pub(crate) issues: Vec<ConfigIssue>,
}
