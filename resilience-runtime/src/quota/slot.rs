//! [`Slot`]: which count of a quota a call is decided against.

/// Which count a call is decided against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    /// The quota's own count (and the unit key's, `()`).
    Unkeyed,
    /// A key's count, by its hash.
    Key(u64),
}
