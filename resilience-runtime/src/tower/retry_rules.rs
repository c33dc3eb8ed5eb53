//! [`RetryRules`]: what a [`RetryLayer`](super::RetryLayer) asks of each outcome, and how it
//! copies a request; carried from the layer to its services and to each call's future.

/// The classifiers and the request copier of a retry layer.
#[derive(Clone)]
pub(super) struct RetryRules<W, K, H, C> {
    /// Which errors are retried.
    pub(super) when: W,
    /// Which responses are retried.
    pub(super) when_ok: K,
    /// A server's hint for the delay, read from an error.
    pub(super) retry_after: H,
    /// The copy of a request that a later attempt sends.
    pub(super) clone_request: C,
}
