//! Time as every policy reads it: one process-wide nanosecond scale, read from tokio's clock
//! or the CPU's counter (the public side is the [`clock`](crate::clock) module), and the wall
//! clock on that scale (`wall.rs`, for UTC-aligned quotas).

mod counter;
mod pausable;
mod read;
mod scale;
mod source;
mod ticks;
mod wait;
mod wall;

pub(crate) use read::{apply, current, now};
pub(crate) use scale::{Nanos, ORIGIN_NANOS, instant_at, to_duration, to_nanos};
pub use source::{ClockSource, ParseClockSourceError};
pub(crate) use wait::{sleep, sleep_blocking};
pub(crate) use wall::wall_at;
