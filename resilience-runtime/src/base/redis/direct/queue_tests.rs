//! The order of replies and the hand-over of reading, case by case and as a model run on
//! random schedules of callers that poll, read, leave and see the connection break.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Wake;

use proptest::prelude::*;

use super::*;

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn waker() -> (Waker, Arc<Count>) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (Waker::from(Arc::clone(&count)), count)
}

fn int(value: &Reply) -> i64 {
    match value {
        Ok(Value::Int(value)) => *value,
        other => panic!("{other:?}"),
    }
}

fn reset() -> RedisError {
    RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
}

#[test]
fn replies_reach_their_requests_in_order() {
    let mut queue = Queue::default();
    let (a, b) = (queue.push(), queue.push());
    let (waker_b, woken_b) = waker();
    queue.wait(b, &waker_b);
    assert!(queue.awaits_replies());
    assert!(
        queue.answer(Ok(Value::Int(1))).unwrap().is_none(),
        "a never polled"
    );
    assert!(queue.answer(Ok(Value::Int(2))).unwrap().is_some());
    assert!(!queue.awaits_replies());
    assert_eq!(int(&queue.take(b).unwrap()), 2);
    assert_eq!(int(&queue.take(a).unwrap()), 1);
    assert!(queue.take(a).is_none(), "taken once");
    assert!(!queue.knows(a) && !queue.knows(b));
    assert_eq!(queue.len(), 0);
    assert_eq!(
        woken_b.0.load(Ordering::Relaxed),
        0,
        "woken by the caller, not the queue"
    );
}

#[test]
fn a_caller_that_left_has_its_reply_dropped_and_the_order_kept() {
    let mut queue = Queue::default();
    let (a, b, c) = (queue.push(), queue.push(), queue.push());
    assert!(queue.abandon(b).is_none(), "no one else waits with a waker");
    queue.answer(Ok(Value::Int(1))).unwrap();
    queue.answer(Ok(Value::Int(2))).unwrap();
    queue.answer(Ok(Value::Int(3))).unwrap();
    assert_eq!(int(&queue.take(c).unwrap()), 3);
    assert!(queue.take(b).is_none());
    assert_eq!(int(&queue.take(a).unwrap()), 1);
    assert_eq!(queue.len(), 0);
    // A reply nobody asked for.
    assert!(queue.answer(Ok(Value::Int(4))).is_err());
}

#[test]
fn leaving_twice_or_after_the_reply_keeps_the_order() {
    let mut queue = Queue::default();
    let (a, b) = (queue.push(), queue.push());
    queue.abandon(a);
    queue.abandon(a);
    assert_eq!(queue.len(), 2, "a's reply is still to come");
    queue.answer(Ok(Value::Int(1))).unwrap();
    queue.answer(Ok(Value::Int(2))).unwrap();
    queue.abandon(b);
    assert!(
        queue.take(b).is_none(),
        "an answered reply is dropped with its caller"
    );
    assert_eq!(queue.len(), 0);
}

#[test]
fn one_reads_for_all_and_hands_on_to_the_oldest_waiting() {
    let mut queue = Queue::default();
    let (a, b, c) = (queue.push(), queue.push(), queue.push());
    let (waker_b, woken_b) = waker();
    let (waker_c, _) = waker();
    queue.wait(b, &waker_b);
    queue.wait(c, &waker_c);
    assert!(queue.read_for_all(a));
    assert!(!queue.read_for_all(b), "one reader at a time");
    queue.answer(Ok(Value::Int(1))).unwrap();
    queue.take(a).unwrap().unwrap();
    queue.stop_reading(a).unwrap().wake();
    assert_eq!(woken_b.0.load(Ordering::Relaxed), 1, "b reads next");
    assert!(queue.read_for_all(b));
    // The reader leaves before its reply: the next one waiting reads.
    let next = queue.abandon(b).expect("c is woken");
    assert!(next.will_wake(&waker_c));
    assert!(queue.read_for_all(c));
    queue.answer(Ok(Value::Int(2))).unwrap();
    queue.answer(Ok(Value::Int(3))).unwrap();
    assert_eq!(int(&queue.take(c).unwrap()), 3);
    assert!(queue.stop_reading(c).is_none());
}

#[test]
fn the_caller_woken_to_read_leaving_wakes_the_next() {
    let mut queue = Queue::default();
    let (a, b, c) = (queue.push(), queue.push(), queue.push());
    let (waker_b, _) = waker();
    let (waker_c, _) = waker();
    queue.wait(b, &waker_b);
    queue.wait(c, &waker_c);
    assert!(queue.read_for_all(a));
    queue.answer(Ok(Value::Int(1))).unwrap();
    queue.take(a).unwrap().unwrap();
    assert!(queue.stop_reading(a).unwrap().will_wake(&waker_b));
    // b was woken to read but its caller leaves before it polls: c must read instead.
    assert!(queue.abandon(b).unwrap().will_wake(&waker_c));
    // A caller leaving while another reads wakes no one.
    assert!(queue.read_for_all(c));
    let d = queue.push();
    assert!(queue.abandon(d).is_none());
}

#[test]
fn a_broken_connection_answers_every_request_with_its_error() {
    let mut queue = Queue::default();
    let (a, b, c) = (queue.push(), queue.push(), queue.push());
    let (waker_b, _) = waker();
    queue.wait(b, &waker_b);
    queue.read_for_all(a);
    queue.abandon(c);
    assert_eq!(
        queue.fail_all(&reset()).len(),
        1,
        "b; a has not polled, c left"
    );
    assert!(queue.take(a).unwrap().is_err());
    assert!(queue.take(b).unwrap().is_err());
    assert_eq!(queue.len(), 0);
    assert!(queue.read_for_all(b), "no reader is left");
}

/// What a model caller is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// Submitted, not polled yet (it polls right after submitting).
    Submitted,
    /// Polled and waiting; the wake count it last saw.
    Waiting(usize),
    Finished,
    Left,
}

#[derive(Debug, Clone)]
enum Step {
    Submit,
    Poll(usize),
    Leave(usize),
    /// The reader reads one reply, if one is due.
    Read,
    Break,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Submit),
        4 => any::<usize>().prop_map(Step::Poll),
        2 => any::<usize>().prop_map(Step::Leave),
        4 => Just(Step::Read),
        1 => Just(Step::Break),
    ]
}

/// The queue driven as the connection drives it, checking that every reply reaches its own
/// request and that no caller waits with no one to wake it.
struct Model {
    queue: Queue,
    callers: Vec<(Caller, Waker, Arc<Count>)>,
    /// The replies the server has sent: the n-th carries n.
    sent: i64,
    broken: bool,
}

impl Model {
    fn woken(&self, id: usize) -> bool {
        match self.callers[id].0 {
            Caller::Waiting(seen) => self.callers[id].2.0.load(Ordering::Relaxed) > seen,
            _ => false,
        }
    }

    /// As `Shared::poll_reply` does it.
    fn poll(&mut self, id: usize) {
        let (caller, waker, count) = &mut self.callers[id];
        if !matches!(caller, Caller::Submitted | Caller::Waiting(_)) {
            return;
        }
        *caller = Caller::Waiting(count.0.load(Ordering::Relaxed));
        if let Some(reply) = self.queue.take(id as u64) {
            match reply {
                Ok(value) => assert_eq!(value, Value::Int(id as i64), "its own reply"),
                Err(_) => assert!(self.broken),
            }
            *caller = Caller::Finished;
            return;
        }
        self.queue.wait(id as u64, waker);
        self.queue.read_for_all(id as u64);
    }

    /// As `Shared::read_for_all` does it, one reply at a time.
    fn read(&mut self) {
        let Some(reader) = self.queue.reader else {
            return;
        };
        if self.broken || !self.queue.awaits_replies() {
            return;
        }
        let reply = Ok(Value::Int(self.sent));
        self.sent += 1;
        if let Some(waker) = self.queue.answer(reply).unwrap() {
            waker.wake();
        }
        if let Some(reply) = self.queue.take(reader) {
            assert_eq!(
                reply.unwrap(),
                Value::Int(reader as i64),
                "the reader's own"
            );
            self.callers[reader as usize].0 = Caller::Finished;
            if let Some(next) = self.queue.stop_reading(reader) {
                next.wake();
            }
        }
    }

    fn check(&mut self) {
        if let Some(reader) = self.queue.reader {
            assert!(
                matches!(self.callers[reader as usize].0, Caller::Waiting(_)),
                "the reader is a caller still waiting"
            );
        }
        let unanswered = |id: usize| id as u64 >= self.queue.next_reply;
        let waiting: Vec<usize> = (0..self.callers.len())
            .filter(|&id| matches!(self.callers[id].0, Caller::Waiting(_)) && unanswered(id))
            .collect();
        if self.queue.reader.is_none() && !waiting.is_empty() {
            let someone_acts = waiting.iter().any(|&id| self.woken(id))
                || (0..self.callers.len())
                    .any(|id| self.callers[id].0 == Caller::Submitted && unanswered(id));
            assert!(
                someone_acts,
                "callers {waiting:?} wait and no one reads for them"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_schedule_keeps_the_order_and_every_wake_up(
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let mut model = Model {
            queue: Queue::default(),
            callers: Vec::new(),
            sent: 0,
            broken: false,
        };
        for step in steps {
            let count = model.callers.len();
            match step {
                Step::Submit if !model.broken => {
                    let id = model.queue.push();
                    assert_eq!(id, count as u64);
                    let (waker, woken) = waker();
                    model.callers.push((Caller::Submitted, waker, woken));
                }
                Step::Poll(id) if count > 0 => model.poll(id % count),
                Step::Leave(id) if count > 0 => {
                    let id = id % count;
                    if matches!(model.callers[id].0, Caller::Submitted | Caller::Waiting(_)) {
                        model.callers[id].0 = Caller::Left;
                        if let Some(next) = model.queue.abandon(id as u64) {
                            next.wake();
                        }
                    }
                }
                Step::Read => model.read(),
                Step::Break if !model.broken => {
                    model.broken = true;
                    model.queue.fail_all(&reset()).into_iter().for_each(Waker::wake);
                }
                _ => {}
            }
            model.check();
        }
        // Everyone still there polls until done; the server answers all.
        for _ in 0..4 * model.callers.len() + 4 {
            for id in 0..model.callers.len() {
                if model.callers[id].0 == Caller::Submitted || model.woken(id) {
                    model.poll(id);
                }
            }
            model.read();
            model.check();
        }
        for (id, (caller, ..)) in model.callers.iter().enumerate() {
            prop_assert!(
                matches!(caller, Caller::Finished | Caller::Left),
                "caller {} is left {:?}", id, caller
            );
        }
        // The replies still due are those of callers that left, for the next reader to drop.
        let due = model.queue.next_reply as usize;
        let end = model.queue.first as usize + model.queue.len();
        for id in due..end {
            prop_assert_eq!(model.callers[id].0, Caller::Left);
        }
    }
}
