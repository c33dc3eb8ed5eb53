//! Attribute values parsed at compile time: durations, rates, percentages, numbers and keyword
//! strings.
//!
//! Each value type implements darling's `FromMeta`, so a malformed value becomes one error
//! spanned on the offending literal.

mod choice;
mod delay;
mod duration;
mod number;
mod percent;
#[cfg(test)]
mod proptests;
mod rate;
mod raw;

pub(crate) use choice::{Choice, Keyword};
pub(crate) use delay::DelayLit;
pub(crate) use duration::{DurationLit, duration_tokens};
pub(crate) use number::{Float, Int};
pub(crate) use percent::PercentLit;
pub(crate) use rate::{FloorRateLit, LimitLit, RateLit};
pub(crate) use raw::{RawExpr, Window};
