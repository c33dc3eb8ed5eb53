//! The requests of one connection in the order the server answers them: each request's slot,
//! its reply once read, the caller to wake, and which caller reads for the others.
//!
//! The server answers in the order it was asked, so the n-th reply read belongs to the n-th
//! request written. A caller that gives up leaves its slot behind: its reply, when it comes,
//! is read and dropped, so the replies after it still reach their own callers.
//!
//! No caller waits without someone to wake it: the reader is woken by the socket, every other
//! caller by the reader when its reply comes, and when the reader stops (its reply came, or
//! it left) the oldest caller still waiting is woken to read next. A caller that leaves while
//! no one reads wakes the next one too, since it may be the one woken to read next.

use std::collections::VecDeque;
use std::task::Waker;

use redis::{RedisError, Value};

/// A reply as the caller receives it.
pub(crate) type Reply = Result<Value, RedisError>;

/// One request's place in the order.
enum Slot {
    /// Not answered yet; the caller to wake when it is (none before its first poll).
    Waiting(Option<Waker>),
    /// Answered, not taken yet.
    Answered(Reply),
    /// Nothing more to do: taken, or answered after its caller left.
    Done,
    /// Its caller left before the reply: the reply is dropped when read.
    Abandoned,
}

/// The requests in flight, oldest first.
#[derive(Default)]
pub(crate) struct Queue {
    slots: VecDeque<Slot>,
    /// The id of `slots[0]`.
    first: u64,
    /// The id of the request the next reply answers (`first <= next_reply`: a slot is done
    /// only once answered).
    next_reply: u64,
    /// The caller reading replies for everyone, if any.
    reader: Option<u64>,
}

impl Queue {
    /// A new request, last in the order: its id.
    pub(crate) fn push(&mut self) -> u64 {
        self.slots.push_back(Slot::Waiting(None));
        self.first + (self.slots.len() as u64 - 1)
    }

    fn slot(&mut self, id: u64) -> Option<&mut Slot> {
        let index = usize::try_from(id.checked_sub(self.first)?).ok()?;
        self.slots.get_mut(index)
    }

    /// Whether `id` is a request still to be answered or taken (not one long done).
    pub(crate) fn knows(&mut self, id: u64) -> bool {
        matches!(self.slot(id), Some(Slot::Waiting(_) | Slot::Answered(_)))
    }

    /// Whether some request still awaits a reply.
    #[cfg(test)]
    pub(crate) fn awaits_replies(&self) -> bool {
        self.next_reply < self.first + self.slots.len() as u64
    }

    /// The next reply read: its request's caller to wake, or `Err` with the reply when no
    /// request awaits one (the server said more than it was asked).
    pub(crate) fn answer(&mut self, reply: Reply) -> Result<Option<Waker>, Reply> {
        let id = self.next_reply;
        let Some(slot) = self.slot(id) else {
            return Err(reply);
        };
        let waker = match std::mem::replace(slot, Slot::Done) {
            Slot::Waiting(waker) => {
                *slot = Slot::Answered(reply);
                waker
            }
            // Its caller left: the reply is dropped here.
            _ => None,
        };
        self.next_reply += 1;
        self.trim();
        Ok(waker)
    }

    /// `id`'s reply, if it came; its slot is then done.
    pub(crate) fn take(&mut self, id: u64) -> Option<Reply> {
        let slot = self.slot(id)?;
        if !matches!(slot, Slot::Answered(_)) {
            return None;
        }
        let Slot::Answered(reply) = std::mem::replace(slot, Slot::Done) else {
            return None;
        };
        self.trim();
        Some(reply)
    }

    /// `id`'s caller waits: `waker` is woken when its reply comes, or when it is to read.
    pub(crate) fn wait(&mut self, id: u64, waker: &Waker) {
        if let Some(Slot::Waiting(stored)) = self.slot(id) {
            match stored {
                Some(stored) if stored.will_wake(waker) => {}
                _ => *stored = Some(waker.clone()),
            }
        }
    }

    /// `id`'s caller left: the caller to wake to read next, if `id` was reading or no one
    /// is (it may have been woken to read, and now never will).
    pub(crate) fn abandon(&mut self, id: u64) -> Option<Waker> {
        match self.slot(id) {
            Some(slot @ Slot::Waiting(_)) => *slot = Slot::Abandoned,
            // Its reply came: dropped here. (A slot is done only once answered, which keeps
            // `first <= next_reply`.)
            Some(slot @ Slot::Answered(_)) => *slot = Slot::Done,
            _ => {}
        }
        self.trim();
        match self.reader {
            Some(reader) if reader != id => None,
            _ => {
                self.reader = None;
                self.oldest_waiting()
            }
        }
    }

    /// Makes `id` the reader if no one is: whether it is.
    pub(crate) fn read_for_all(&mut self, id: u64) -> bool {
        *self.reader.get_or_insert(id) == id
    }

    /// `id` stops reading (its reply came): the oldest caller still waiting for a reply,
    /// woken to read next.
    pub(crate) fn stop_reading(&mut self, id: u64) -> Option<Waker> {
        if self.reader != Some(id) {
            return None;
        }
        self.reader = None;
        self.oldest_waiting()
    }

    /// The waker of the oldest caller still waiting for its reply, if any has polled.
    fn oldest_waiting(&self) -> Option<Waker> {
        // Slots before `next_reply` are answered; the cast is exact (`first <= next_reply`).
        let answered = usize::try_from(self.next_reply - self.first).unwrap_or(usize::MAX);
        self.slots
            .iter()
            .skip(answered)
            .find_map(|slot| match slot {
                Slot::Waiting(Some(waker)) => Some(waker.clone()),
                _ => None,
            })
    }

    /// The connection broke: every request not answered yet is answered with `error`, no
    /// one reads any more; the callers to wake.
    pub(crate) fn fail_all(&mut self, error: &RedisError) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Ok(waker) = self.answer(Err(error.clone())) {
            wakers.extend(waker);
        }
        self.reader = None;
        wakers
    }

    /// Requests in flight or answered but not taken.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Drops the done slots at the front.
    fn trim(&mut self) {
        while matches!(self.slots.front(), Some(Slot::Done)) {
            self.slots.pop_front();
            self.first += 1;
        }
    }
}

#[cfg(all(test, not(loom)))]
#[path = "queue_tests.rs"]
mod tests;
