//! What the loom models of the breaker, the limiter and the bulkhead share.

/// Starts `threads` loom threads, the `i`th running `work(i)`, waits for them all and counts
/// those that returned true (were admitted).
pub(crate) fn count_admitted<F>(threads: usize, work: impl Fn(usize) -> F) -> usize
where
    F: FnOnce() -> bool + Send + 'static,
{
    let handles: Vec<_> = (0..threads).map(|i| loom::thread::spawn(work(i))).collect();
    handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .filter(|admitted| *admitted)
        .count()
}
