//! Per-key state for the kinds that limit each key on its own (`#[rate_limit(key = ..)]`,
//! `#[quota(key = ..)]`): keys hashed once, states in a bounded, sharded map that forgets idle
//! keys and never lets a flood of new keys grow memory or slow calls.

mod map;
mod state;

pub(crate) use map::{KeyedStates, QUOTA_TARGET, RATE_LIMIT_TARGET, bytes_per_key};
pub(crate) use state::KeyState;
