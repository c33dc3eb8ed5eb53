//! The rules of every policy kind's keys, written once for both readers: the attributes
//! (`resilience-macros`, at compile time) and configuration (`resilience-runtime`: environment
//! variables, TOML files, overrides from code).
//!
//! Per kind (one file each):
//! - a [`KeyRule`] per key: the form its value takes ([`Form`]), the range and the exact
//!   message for a value outside it, and the "accepted" text configuration messages end with;
//! - the keyword lists (`backoff`, `jitter`, `on_limit`, ...);
//! - the defaults the runtime's config types start from;
//! - the combination rules (`multiplier` only with `backoff = "exponential"`, ...), each a
//!   function over a small view of which keys a source sets and the values in force, returning
//!   the offending key and the message ([`Problem`]).
//!
//! What every kind shares sits in files of its own beside them: the value forms (`form`), a
//! key's rule and its checks (`key_rule`), combination inputs (`combination`) and outcomes
//! (`problem`), the shared message wording (`messages`) and the table of all kinds (`kinds`).
//!
//! Each reader parses a value its own way (tokens, text, typed values) and then asks the rule;
//! where the readers word a message differently (configuration names an out-of-range number
//! first: [`out_of_range`]), the difference is stated where it is made.

pub mod bulkhead;
pub mod chaos;
pub mod circuit_breaker;
pub mod hedge;
pub mod quota;
pub mod rate_limit;
pub mod retry;

mod combination;
mod form;
mod key_rule;
mod kinds;
mod messages;
mod problem;

pub use combination::{Combination, InForce, Written};
pub use form::{Form, MAX_DURATION};
pub use key_rule::{KeyRule, find};
pub use kinds::KINDS;
pub use messages::{
    DURATION_ACCEPTED, NOT_A_NEGATIVE, NUMBER_EXPECTED, POSITIVE_DURATION_ACCEPTED, WHOLE_EXPECTED,
    WINDOW_AT_MOST, WINDOW_EXPECTED, WINDOW_WHOLE_SECONDS, expects_one_of, must_be_positive,
    number_in_string, out_of_range, quoted, too_long, unknown_word,
};
pub use problem::Problem;
