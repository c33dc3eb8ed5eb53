//! How a [`RetryLayer`](super::RetryLayer) gets a request to send again: tower's
//! `Policy::clone_request` convention, where `None` means the request cannot be sent twice.

/// Makes the copy of a request that a retry sends if the attempt in flight fails.
///
/// [`Cloned`] (the default) clones requests that are `Clone`; any
/// `Fn(&Req) -> Option<Req>` does it by hand, e.g. for an `http::Request` whose body is
/// buffered. `None` means the request cannot be sent again: its first outcome is final.
///
/// ```
/// use resilience_runtime::tower::{CloneRequest, Cloned};
///
/// assert_eq!(Cloned.clone_request(&"GET /"), Some("GET /"));
/// let only_reads = |request: &(&'static str, u32)| (request.0 == "GET").then_some(*request);
/// assert_eq!(only_reads.clone_request(&("POST", 1)), None);
/// ```
pub trait CloneRequest<Req> {
    /// A copy of `request` to send again, or `None` if it cannot be.
    fn clone_request(&self, request: &Req) -> Option<Req>;
}

/// Clones every request: the default of a [`RetryLayer`](super::RetryLayer), for requests
/// that are `Clone`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cloned;

impl<Req: Clone> CloneRequest<Req> for Cloned {
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        Some(request.clone())
    }
}

impl<Req, F: Fn(&Req) -> Option<Req>> CloneRequest<Req> for F {
    #[inline]
    fn clone_request(&self, request: &Req) -> Option<Req> {
        self(request)
    }
}
