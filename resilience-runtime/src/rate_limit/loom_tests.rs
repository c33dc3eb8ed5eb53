//! Loom models of the limiter's atomic GCRA state: every interleaving of a few threads taking
//! permits and giving them back.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p resilience-runtime --release --lib loom`.
//! Time is fixed (`NOW`): the GCRA decides from the `now` it is given, so the models need no
//! clock, and at one instant the limit is exactly the burst.

use std::sync::Arc;

use loom::sync::atomic::AtomicU64;
use loom::thread;

use super::Rate;
use super::gcra::{Gcra, Grant};
use crate::base::loom_support::count_admitted;

const MS: u64 = 1_000_000;
/// The instant every decision is made at.
const NOW: u64 = 1_000_000 * MS;

/// 10/s with `burst` permits at once.
fn limit(burst: u32) -> Gcra {
    Gcra::from_parts(Rate::per_second(10), burst)
}

/// A state whose limit has fully recovered by `NOW`.
fn idle_state() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(0))
}

/// Takes a permit usable at `NOW`.
fn take_now(gcra: &Gcra, state: &AtomicU64) -> Option<Grant> {
    gcra.reserve(state, NOW, 0).ok()
}

/// The permits still available at `NOW` (taking them).
fn drain(gcra: &Gcra, state: &AtomicU64) -> u32 {
    let mut taken = 0;
    while take_now(gcra, state).is_some() {
        taken += 1;
        assert!(taken <= 64, "runaway");
    }
    taken
}

#[test]
fn loom_two_threads_racing_for_the_last_permit_admit_one() {
    loom::model(|| {
        let gcra = limit(2);
        let state = idle_state();
        take_now(&gcra, &state).expect("the first of two");
        let admitted = count_admitted(2, |_| {
            let state = Arc::clone(&state);
            move || take_now(&gcra, &state).is_some()
        });
        assert_eq!(admitted, 1);
        assert_eq!(drain(&gcra, &state), 0);
    });
}

#[test]
fn loom_concurrent_reservations_never_exceed_the_burst() {
    loom::model(|| {
        let gcra = limit(2);
        let state = idle_state();
        let admitted = count_admitted(3, |_| {
            let state = Arc::clone(&state);
            move || take_now(&gcra, &state).is_some()
        });
        assert_eq!(admitted, 2, "exactly the burst");
        assert_eq!(drain(&gcra, &state), 0);
    });
}

#[test]
fn loom_give_back_racing_an_acquire_neither_creates_nor_loses_a_permit() {
    loom::model(|| {
        let gcra = limit(2);
        let state = idle_state();
        take_now(&gcra, &state).expect("first");
        let newest = take_now(&gcra, &state).expect("second");
        let giver = {
            let state = Arc::clone(&state);
            thread::spawn(move || Gcra::give_back(&*state, newest))
        };
        let taker = {
            let state = Arc::clone(&state);
            thread::spawn(move || take_now(&gcra, &state).is_some())
        };
        let given_back = giver.join().unwrap();
        let taken = taker.join().unwrap();
        // The taker can only have had the permit the giver returned.
        assert!(given_back || !taken);
        let held = 2 - u32::from(given_back) + u32::from(taken);
        assert_eq!(
            held + drain(&gcra, &state),
            2,
            "exactly the burst at one instant"
        );
    });
}

#[test]
fn loom_give_back_racing_a_waiting_reservation_never_over_admits() {
    loom::model(|| {
        let gcra = limit(1);
        let state = idle_state();
        let held = take_now(&gcra, &state).expect("the burst of one");
        let giver = {
            let state = Arc::clone(&state);
            thread::spawn(move || Gcra::give_back(&*state, held))
        };
        let waiter = {
            let state = Arc::clone(&state);
            // Willing to wait a second: always admitted, now or one interval later.
            thread::spawn(move || {
                gcra.reserve(&*state, NOW, 1_000 * MS)
                    .expect("within max_wait")
            })
        };
        let given_back = giver.join().unwrap();
        let grant = waiter.join().unwrap();
        if given_back {
            // Returned before the waiter reserved: the waiter got the permit at once.
            assert_eq!(grant.wait, 0);
        } else {
            // The waiter reserved first, so the give-back was stale and refused: the returned
            // slot is lost (the limiter under-admits by one), never handed out twice.
            assert_eq!(grant.wait, gcra.interval());
        }
        let usable_now = u32::from(!given_back) + u32::from(grant.wait == 0);
        assert!(usable_now + drain(&gcra, &state) <= 1);
    });
}

#[test]
fn loom_racing_give_backs_restore_at_most_what_was_taken() {
    loom::model(|| {
        let gcra = limit(2);
        let state = idle_state();
        let older = take_now(&gcra, &state).expect("first");
        let newer = take_now(&gcra, &state).expect("second");
        let threads: Vec<_> = [older, newer]
            .into_iter()
            .map(|grant| {
                let state = Arc::clone(&state);
                thread::spawn(move || Gcra::give_back(&*state, grant))
            })
            .collect();
        let restored = threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .filter(|restored| *restored)
            .count();
        // The newer one always comes back; the older one only if it was then the newest.
        assert!((1..=2).contains(&restored));
        assert_eq!(drain(&gcra, &state) as usize, restored);
    });
}
