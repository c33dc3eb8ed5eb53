//! What every kind with a remote backend shares, whatever it stores there: where its state
//! lives ([`Backend`]), what it does while the backend cannot decide ([`OnBackendError`]),
//! the backend's health as the snapshot reports it ([`health`]), and a key as every process
//! names it on the server ([`remote_key`]). Rate limits and quotas use all of it.

mod choice;
pub(crate) mod health;
mod on_error;
pub(crate) mod remote_key;

pub use choice::Backend;
pub use on_error::OnBackendError;
