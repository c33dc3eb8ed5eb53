//! The boxed waits of the slow paths: a layer's wait for admission ([`Waiting`]) and a sleep
//! on the clock ([`sleep`], [`sleep_blocking`]).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::Error;

/// The future of a layer's slow path, boxed: the fused stack's future only holds a pointer
/// for it, instead of the whole waiting machinery inline in every call's state (which every
/// call would otherwise pay for in size and copies). Only calls that wait allocate.
pub type Waiting<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// Waits on tokio's clock: a retry's backoff, an injected latency. Boxed, like the slow
/// paths of [`Waiting`]: a timer is a few hundred bytes, which every call's future would
/// otherwise carry (and copy) although only calls that wait use it.
#[cold]
pub fn sleep(duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(crate::base::clock::sleep(duration))
}

/// Blocks the thread; sync fns wait with this.
pub fn sleep_blocking(duration: Duration) {
    crate::base::clock::sleep_blocking(duration);
}
