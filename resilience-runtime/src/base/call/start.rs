//! [`CallStart`]: one clock read shared by the layers of one attempt.

use crate::base::clock::{self, Nanos};

/// When a call (one attempt) started: read once by a timeout layer, which counts from it,
/// and handed to a rate limit directly below it (only breakers between them, which never
/// wait), which decides at it. One clock read serves both.
#[derive(Debug, Clone, Copy)]
pub struct CallStart(pub(crate) Nanos);

impl CallStart {
    /// `start`, or the clock read now without one.
    #[inline]
    pub(crate) fn or_now(start: Option<Self>) -> Nanos {
        start.map_or_else(clock::now, |start| start.0)
    }
}

/// The current time, as a [`CallStart`].
#[inline(always)]
#[must_use]
pub fn call_start() -> CallStart {
    CallStart(clock::now())
}
