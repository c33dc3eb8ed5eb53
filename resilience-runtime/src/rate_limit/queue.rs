//! Waiting calls: a FIFO of reservations per limit, with cancel-safe give-back.
//!
//! A call that has to wait reserves its permit first (it advances the GCRA state, so every
//! later call is placed after it: waiters are served in arrival order and nobody can be
//! overtaken, however many new calls keep arriving), then waits for that permit's time on a
//! [`Ticket`]. The tickets of one limit (the unkeyed limit, or one key) sit in a queue in
//! reservation order, under a mutex that only waiting calls take: a call that gets a permit
//! at once never touches it.
//!
//! **Give-back.** A waiter that is dropped before its time returns its reservation whatever
//! its place in the queue: the newest waiter takes over the dropped one's earlier slot (it
//! moves up, and is woken to wait for its new, earlier time), and the newest slot, now free,
//! is returned to the GCRA state. Nobody waits longer than they were promised, and the
//! limiter ends up exactly as if the dropped call had never come. Two cases return nothing:
//! a dropped waiter whose permit time had already passed (it was not polled in time) while
//! others wait behind it, since a waiter moved into that spent slot would be admitted at
//! once, less than one interval before the next slot; and a call that took a permit without
//! queueing after the newest waiter's slot (possible only once every waiter's time has
//! passed).

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::thread::Thread;

use tokio::sync::Notify;

use super::gcra::Grant;
use crate::base::clock::{self, Nanos};

/// Which GCRA state a call uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Slot {
    /// The limiter's own (unkeyed) limit.
    Unkeyed,
    /// The limit of the key with this hash.
    Key(u64),
}

/// Number of queue shards (waiting calls of different keys rarely share a lock).
const SHARDS: usize = 8;

type Queues = HashMap<Slot, VecDeque<Arc<Ticket>>>;

/// One waiting call's reservation. Its fields change only under its queue's lock (when it
/// takes over a dropped waiter's slot); the waiter reads `conform` without the lock.
#[derive(Debug)]
pub(super) struct Ticket {
    /// When the permit may be used.
    conform: AtomicU64,
    /// The GCRA state before and after the reservation.
    before: AtomicU64,
    after: AtomicU64,
    /// Wakes an async waiter whose time moved.
    notify: Notify,
    /// Wakes a blocked thread whose time moved.
    thread: Option<Thread>,
}

impl Ticket {
    fn new(now: Nanos, grant: Grant, thread: Option<Thread>) -> Self {
        Self {
            conform: AtomicU64::new(now.saturating_add(grant.wait)),
            before: AtomicU64::new(grant.before),
            after: AtomicU64::new(grant.after),
            notify: Notify::new(),
            thread,
        }
    }

    /// When the permit may be used.
    pub(super) fn conform(&self) -> Nanos {
        self.conform.load(Ordering::Acquire)
    }

    fn before(&self) -> Nanos {
        self.before.load(Ordering::Relaxed)
    }

    fn after(&self) -> Nanos {
        self.after.load(Ordering::Relaxed)
    }

    /// Takes over `other`'s slot and wakes the waiter.
    fn take_slot_of(&self, other: &Self) {
        self.before.store(other.before(), Ordering::Relaxed);
        self.after.store(other.after(), Ordering::Relaxed);
        self.conform.store(other.conform(), Ordering::Release);
        self.notify.notify_one();
        if let Some(thread) = &self.thread {
            thread.unpark();
        }
    }

    /// Waits on tokio's clock until the permit's time, following moves to an earlier time.
    pub(super) async fn wait(&self) {
        loop {
            let now = clock::now();
            let conform = self.conform();
            if conform <= now {
                return;
            }
            let mut sleep = pin!(clock::sleep(clock::to_duration(conform - now)));
            let mut moved = pin!(self.notify.notified());
            std::future::poll_fn(|cx| {
                if sleep.as_mut().poll(cx).is_ready() || moved.as_mut().poll(cx).is_ready() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
    }

    /// Blocks the thread until the permit's time, following moves to an earlier time.
    ///
    /// Sync callers wait in real time (as `std::thread::sleep` would), even under a paused
    /// tokio clock: the deadline is taken on `std`'s clock.
    pub(super) fn wait_blocking(&self) {
        let deadline_of = |conform: Nanos| {
            let wait = clock::to_duration(conform.saturating_sub(clock::now()));
            std::time::Instant::now() + wait
        };
        let mut conform = self.conform();
        let mut deadline = deadline_of(conform);
        loop {
            let now = std::time::Instant::now();
            if now >= deadline {
                return;
            }
            std::thread::park_timeout(deadline - now);
            let moved = self.conform();
            if moved != conform {
                conform = moved;
                deadline = deadline_of(conform);
            }
        }
    }
}

/// The waiting calls of one limiter, per limit.
#[derive(Default)]
pub(super) struct WaitQueues {
    shards: [Mutex<Queues>; SHARDS],
    waiting: AtomicUsize,
}

/// A locked shard of queues; reservations for waiting calls are made while holding it.
pub(super) struct Locked<'a> {
    queues: MutexGuard<'a, Queues>,
    owner: &'a WaitQueues,
    slot: Slot,
}

impl Locked<'_> {
    /// How many calls of this slot are waiting.
    pub(super) fn len(&self) -> usize {
        self.queues.get(&self.slot).map_or(0, VecDeque::len)
    }

    /// Queues a call holding `grant`, made at `now` under this lock.
    pub(super) fn push(mut self, now: Nanos, grant: Grant, thread: Option<Thread>) -> Arc<Ticket> {
        let ticket = Arc::new(Ticket::new(now, grant, thread));
        self.queues
            .entry(self.slot)
            .or_default()
            .push_back(Arc::clone(&ticket));
        self.owner.waiting.fetch_add(1, Ordering::Relaxed);
        ticket
    }
}

fn position(queue: &VecDeque<Arc<Ticket>>, ticket: &Arc<Ticket>) -> Option<usize> {
    // Queues are sorted by `before` (reservations made in order; a move keeps the order).
    queue
        .binary_search_by_key(&ticket.before(), |t| t.before())
        .ok()
        .filter(|&index| Arc::ptr_eq(&queue[index], ticket))
        .or_else(|| queue.iter().position(|t| Arc::ptr_eq(t, ticket)))
}

impl WaitQueues {
    fn shard(&self, slot: Slot) -> MutexGuard<'_, Queues> {
        let index = match slot {
            Slot::Unkeyed => 0,
            // The top bits: the keyed table's shard uses other bits of the hash.
            Slot::Key(hash) => (hash >> 61) as usize % SHARDS,
        };
        // Queues hold plain data and no code panics while holding the lock.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the queue of `slot`.
    pub(super) fn lock(&self, slot: Slot) -> Locked<'_> {
        Locked {
            queues: self.shard(slot),
            owner: self,
            slot,
        }
    }

    /// Calls waiting on every limit of the limiter.
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Removes a waiter whose permit time has come.
    pub(super) fn finish(&self, slot: Slot, ticket: &Arc<Ticket>) {
        let mut queues = self.shard(slot);
        if let Some(queue) = queues.get_mut(&slot)
            && let Some(index) = position(queue, ticket)
        {
            queue.remove(index);
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            if queue.is_empty() {
                queues.remove(&slot);
            }
        }
    }

    /// Removes a waiter dropped before its time and gives its reservation back.
    ///
    /// `roll_back(after, before)` must move the GCRA state from `after` back to `before` if
    /// it is still `after`, and say whether it did. Returns whether the reservation was given
    /// back.
    pub(super) fn cancel(
        &self,
        slot: Slot,
        ticket: &Arc<Ticket>,
        roll_back: impl FnOnce(Nanos, Nanos) -> bool,
    ) -> bool {
        let mut queues = self.shard(slot);
        let Some(queue) = queues.get_mut(&slot) else {
            return false;
        };
        let Some(index) = position(queue, ticket) else {
            return false;
        };
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let newest = Arc::clone(&queue[queue.len() - 1]);
        // A slot whose time has passed is spent: a waiter moved into it would be admitted now,
        // less than one interval before the next slot. Only the newest slot, which no one
        // follows, can still be returned then.
        let spent = ticket.conform() <= clock::now();
        let given_back =
            (!spent || Arc::ptr_eq(&newest, ticket)) && roll_back(newest.after(), newest.before());
        if given_back && !Arc::ptr_eq(&newest, ticket) {
            newest.take_slot_of(ticket);
            queue.swap_remove_back(index);
        } else {
            queue.remove(index);
        }
        if queue.is_empty() {
            queues.remove(&slot);
        }
        given_back
    }
}
