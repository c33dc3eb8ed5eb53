//! The fn under the attributes: its shape, its arguments, its return type and its resilience
//! siblings.

mod arguments;
mod return_type;
mod shape;
mod siblings;

pub(crate) use arguments::arguments;
pub(crate) use return_type::{body_type, check_returns_result, error_span};
pub(crate) use shape::{Shape, async_trait_body_mut};
pub(crate) use siblings::{is_fused, take_siblings};
