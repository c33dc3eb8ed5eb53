//! What a rate limit's per-key table costs per key (the table itself is `base/keyed/`).

use std::sync::atomic::AtomicU64;

use crate::base::keyed::bytes_per_key;

/// Bytes of memory one tracked key costs at full table occupancy, whatever the key's type
/// (only a 64-bit hash of it is stored); see the [module docs](super).
///
/// They are the key's hash-table slot (hash and state), the slot's control byte, and its
/// place in the ring.
pub const BYTES_PER_KEY: usize = bytes_per_key::<AtomicU64>();
