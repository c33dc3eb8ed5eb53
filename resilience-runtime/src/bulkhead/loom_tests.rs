//! Loom models of the bulkhead's slot counting: every interleaving of a few threads acquiring,
//! releasing and resizing.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
//! The models use the lock-free paths only (`try_acquire`, a permit's drop,
//! `set_max_concurrent`); waiting parks on tokio's `Notify`, which loom does not model.

use std::sync::Arc;

use loom::sync::atomic::AtomicUsize;
use loom::thread;

use super::*;
use crate::base::loom_support::count_admitted;

/// A model whose threads are preempted at most three times: these models have two or three
/// threads of six to ten atomic steps, and bounding the preemptions keeps each to seconds
/// while still covering every placement of up to three context switches.
fn bounded() -> loom::model::Builder {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(3);
    model
}

fn shared(max_concurrent: usize) -> Arc<Bulkhead> {
    Arc::new(Bulkhead::new("loom", BulkheadConfig::new(max_concurrent)))
}

/// Takes a slot and holds it while counting the holders, then gives it back; true if admitted.
fn hold_once(bulkhead: &Bulkhead, holders: &AtomicUsize, max: usize) -> bool {
    let Ok(permit) = bulkhead.try_acquire() else {
        return false;
    };
    let inside = holders.fetch_add(1, SEQ) + 1;
    assert!(inside <= max, "{inside} holders of {max} slots");
    holders.fetch_sub(1, SEQ);
    drop(permit);
    true
}

#[test]
fn loom_concurrent_acquires_never_exceed_max_concurrent() {
    bounded().check(|| {
        let bulkhead = shared(2);
        let holders = Arc::new(AtomicUsize::new(0));
        let admitted = count_admitted(3, |_| {
            let (bulkhead, holders) = (Arc::clone(&bulkhead), Arc::clone(&holders));
            move || hold_once(&bulkhead, &holders, 2)
        });
        // Two always fit; the third only if a slot was free by then.
        assert!((2..=3).contains(&admitted));
        let metrics = bulkhead.metrics();
        assert!(metrics.peak_in_flight <= 2);
        assert_eq!(metrics.permitted, admitted as u64);
        assert_eq!(metrics.rejected, 3 - admitted as u64);
        assert_eq!(bulkhead.in_flight(), 0);
    });
}

#[test]
fn loom_every_release_is_counted() {
    bounded().check(|| {
        let bulkhead = shared(2);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let bulkhead = Arc::clone(&bulkhead);
                thread::spawn(move || {
                    for _ in 0..2 {
                        drop(bulkhead.try_acquire().expect("two slots for two threads"));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(bulkhead.in_flight(), 0);
        assert_eq!(bulkhead.metrics().permitted, 4);
        // Both slots are free again.
        let both = (
            bulkhead.try_acquire().unwrap(),
            bulkhead.try_acquire().unwrap(),
        );
        assert!(bulkhead.try_acquire().is_err());
        drop(both);
    });
}

#[test]
fn loom_shrinking_while_permits_are_held_leaks_nothing() {
    loom::model(|| {
        let bulkhead = shared(2);
        let first = bulkhead.try_acquire().expect("first slot");
        let second = bulkhead.try_acquire().expect("second slot");
        let shrinker = {
            let bulkhead = Arc::clone(&bulkhead);
            thread::spawn(move || bulkhead.set_max_concurrent(1))
        };
        let taker = {
            let bulkhead = Arc::clone(&bulkhead);
            // Admitted only between the release below and the shrink: 1 in flight < 2.
            thread::spawn(move || bulkhead.try_acquire().map(drop).is_ok())
        };
        drop(first);
        shrinker.join().unwrap();
        let took = taker.join().unwrap();
        assert!(bulkhead.metrics().peak_in_flight <= 2);
        assert_eq!(bulkhead.in_flight(), 1, "only `second` is still held");
        // At the new limit: no slot until `second` goes.
        assert!(bulkhead.try_acquire().is_err());
        drop(second);
        assert_eq!(bulkhead.in_flight(), 0);
        let only = bulkhead.try_acquire().expect("one slot at the new limit");
        assert!(bulkhead.try_acquire().is_err());
        drop(only);
        assert_eq!(
            bulkhead.metrics().permitted,
            3 + u64::from(took),
            "every permit handed out was counted"
        );
    });
}
