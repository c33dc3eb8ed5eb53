//! Test scopes (see [`testing::scope`](crate::testing::scope)): while a thread is inside one,
//! the attribute sites it runs and its `registry()` calls reach that scope's own instances.
//!
//! Outside any scope a site pays one relaxed load for this: the count of live scopes.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Live scopes, on any thread.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// The next scope's id; 0 means "no scope".
static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// True while any thread is inside a scope: only then is [`current`] worth asking.
#[inline(always)]
pub(crate) fn any_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// The scope this thread is in.
pub(crate) fn current() -> Option<u64> {
    let id = CURRENT.get();
    (id != 0).then_some(id)
}

/// This thread inside a new scope until the guard drops (scopes nest).
#[derive(Debug)]
pub(crate) struct Entered {
    id: u64,
    previous: u64,
    /// The thread-local must be restored on the thread that set it.
    _not_send: PhantomData<*const ()>,
}

impl Entered {
    /// The scope's id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

/// Enters a new scope on this thread.
pub(crate) fn enter() -> Entered {
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let previous = CURRENT.replace(id);
    ACTIVE.fetch_add(1, Ordering::Relaxed);
    Entered {
        id,
        previous,
        _not_send: PhantomData,
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.set(self.previous);
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_end() {
        assert_eq!(current(), None);
        let outer = enter();
        assert!(any_active());
        assert_eq!(current(), Some(outer.id()));
        {
            let inner = enter();
            assert_eq!(current(), Some(inner.id()));
        }
        assert_eq!(current(), Some(outer.id()));
        drop(outer);
        assert_eq!(current(), None);
        std::thread::spawn(|| assert_eq!(current(), None))
            .join()
            .unwrap();
    }
}
