//! The value grammar of the resilience attributes, shared by `resilience-macros` (which checks
//! attribute values at compile time) and `resilience-runtime` (which reads the same values from
//! environment variables and configuration files), so both accept exactly the same text and
//! explain a mistake with the same words.
//!
//! - Durations: one or more `<number><unit>` parts, `"250ms"`, `"2s"`, `"1m30s"`, `"1.5h"`
//!   (units `ns us µs ms s m min h d`): [`parse_duration`], and back to text:
//!   [`format_duration`].
//! - Rates (and a quota's limit): `"N/s"`, `"N/min"`, `"N/h"`, `"N/day"` or
//!   `"N/<duration>"`: [`parse_rate`], and back to text: [`write_rate`].
//! - Percentages: `"20%"`, greater than 0 and at most 100: [`parse_percent`].
//! - Typos: [`did_you_mean`] picks the closest of the accepted words.
//! - Every policy kind's keys, ranges, keyword lists, defaults and combination rules, with
//!   their messages: [`rules`].
//!
//! Plain `std`, no dependencies.

mod duration;
mod percent;
mod rate;
pub mod rules;
mod suggest;

pub use duration::{
    DURATION_EXPECTED, duration_without_unit, format_duration, parse_duration, write_duration,
};
pub use percent::{PERCENT_EXPECTED, parse_percent};
pub use rate::{RATE_EXPECTED, parse_rate, parse_rate_from_zero, write_rate};
pub use suggest::did_you_mean;
