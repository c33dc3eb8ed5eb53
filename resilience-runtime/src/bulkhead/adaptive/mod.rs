//! Adaptive concurrency: the algorithms that move a bulkhead's limit between
//! `min_concurrent` and `max_concurrent` from the latency and errors of its calls.
//!
//! Each algorithm is a pure state machine, `on_sample(sample, bounds) -> limit`, with no clock,
//! lock or atomic of its own: [`MinLatency`](min_latency::MinLatency) tracks the no-load
//! latency they all compare with, [`sampling`] picks the calls they are fed (all of them, or one
//! in a few when calls come fast), and the bulkhead (`../limit.rs`) feeds them and publishes the
//! limit in the atomic its admission reads.

mod aimd;
mod algorithm;
mod controller;
mod gradient;
mod min_latency;
mod sample;
mod sampling;
mod vegas;

pub use algorithm::Adaptive;
pub(crate) use controller::Controller;
pub(crate) use sample::{Bounds, Sample};
pub(crate) use sampling::drawn;
