//! What the callers of one direct connection share: the socket, the bytes waiting to be
//! written, the bytes read but not yet parsed, and the order of the requests in flight.
//!
//! No task of its own drives the socket. A caller writes its request itself: it appends the
//! request under a short lock and, unless another caller is writing at that moment, writes
//! what is queued; a caller that finds one writing leaves its request to it, so requests
//! that come together leave together. Replies are read by one caller at a time for all of
//! them (`queue`): it hands each reply to its request's caller and stops reading when its own
//! has come, waking the oldest caller still waiting to read on. A lone caller so makes one
//! write and one read per request, with no other task woken.
//!
//! Locks: `state` (the order, the outbox, the writer's flag) is held only for bookkeeping,
//! never across a system call; `writing` and `inbox` are each held by the one caller in that
//! role, and taken before `state` when both are (never the other way round).

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use redis::{ErrorKind, RedisError};

use super::queue::{Queue, Reply};
use super::resp;
use super::stream::Stream;

/// How much a read asks of the socket at the least.
const READ_CHUNK: usize = 16 * 1024;

/// The read buffer's size: room for many replies at once.
const INITIAL_BUFFER: usize = 2 * READ_CHUNK;

/// A buffer grown beyond this for a long reply or request is shrunk back once done with.
const MAX_KEPT_BUFFER: usize = 1024 * 1024;

/// The state of one connection, shared by its handles and the calls in flight on it.
pub(crate) struct Shared {
    stream: Stream,
    state: Mutex<State>,
    /// Touched only by the caller that writes (`State::writing`).
    writing: Mutex<Outgoing>,
    /// Touched only by the caller that reads (`Queue::read_for_all`).
    inbox: Mutex<Inbox>,
    /// `backend_timeout`: how long a write may wait for room in the socket.
    timeout: Duration,
}

/// What every caller touches, briefly, under one lock.
struct State {
    queue: Queue,
    /// Requests appended while a caller writes, for it to write next.
    outbox: Vec<u8>,
    /// Whether a caller (or the task finishing a write the socket could not take at once)
    /// is writing.
    writing: bool,
    /// Why the connection broke: every later request fails at once with it.
    broken: Option<RedisError>,
}

/// The bytes being written and how far.
#[derive(Default)]
struct Outgoing {
    bytes: Vec<u8>,
    written: usize,
}

/// Bytes read: `buffer[start..end]` is what is not parsed yet.
struct Inbox {
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    /// The callers to wake after a batch of replies, kept to reuse its room.
    wakers: Vec<Waker>,
}

/// `mutex`, locked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The locked sections do not panic; a poisoned lock still holds consistent state.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// A connection over `stream`, whose writes wait `timeout` at most for room.
    pub(crate) fn new(stream: Stream, timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            stream,
            state: Mutex::new(State {
                queue: Queue::default(),
                outbox: Vec::with_capacity(READ_CHUNK),
                writing: false,
                broken: None,
            }),
            writing: Mutex::new(Outgoing::default()),
            inbox: Mutex::new(Inbox {
                buffer: vec![0; INITIAL_BUFFER],
                start: 0,
                end: 0,
                wakers: Vec::new(),
            }),
            timeout,
        })
    }

    /// Queues `replies` requests that `encode` writes, and writes them unless another
    /// caller is writing: the id of the first.
    pub(crate) fn submit(
        self: &Arc<Self>,
        replies: usize,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<u64, RedisError> {
        let mut state = lock(&self.state);
        if let Some(error) = &state.broken {
            return Err(error.clone());
        }
        // The bytes and their places in the order go in under one lock, so the order of the
        // requests on the wire is the order of the queue. (`encode` only appends RESP: it
        // cannot fail half-way.)
        encode(&mut state.outbox);
        let first = state.queue.push();
        for _ in 1..replies {
            state.queue.push();
        }
        let write = !std::mem::replace(&mut state.writing, true);
        drop(state);
        if write {
            self.write();
        }
        Ok(first)
    }

    /// Writes until nothing is queued; the caller holds the role of writer.
    fn write(self: &Arc<Self>) {
        let mut out = lock(&self.writing);
        loop {
            if out.written == out.bytes.len() {
                out.bytes.clear();
                out.written = 0;
                // Room grown for a long request is given back (the buffers swap, so this
                // one becomes the outbox next).
                if out.bytes.capacity() > MAX_KEPT_BUFFER {
                    out.bytes.shrink_to(READ_CHUNK);
                }
                let mut state = lock(&self.state);
                if state.outbox.is_empty() || state.broken.is_some() {
                    state.writing = false;
                    return;
                }
                std::mem::swap(&mut state.outbox, &mut out.bytes);
            }
            let Outgoing { bytes, written } = &mut *out;
            match self.stream.try_write(&bytes[*written..]) {
                Ok(0) => {
                    drop(out);
                    self.fail(io::Error::from(io::ErrorKind::WriteZero).into());
                    return;
                }
                Ok(count) => *written += count,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    drop(out);
                    self.write_later();
                    return;
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    drop(out);
                    self.fail(error.into());
                    return;
                }
            }
        }
    }

    /// The socket takes no more for now: a task finishes the write once it does, so that no
    /// caller's leaving can cut a request in half. Within `timeout`, or the connection breaks.
    #[cold]
    fn write_later(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.fail(RedisError::from((
                ErrorKind::Client,
                "the socket is full and no tokio runtime is running to finish the write",
            )));
            return;
        };
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            match tokio::time::timeout(shared.timeout, shared.stream.writable()).await {
                Ok(Ok(())) => shared.write(),
                Ok(Err(error)) => shared.fail(error.into()),
                Err(_) => shared.fail(io::Error::from(io::ErrorKind::TimedOut).into()),
            }
        });
    }

    /// Breaks the connection: every request in flight, and every later one, fails with
    /// `error`.
    #[cold]
    fn fail(&self, error: RedisError) {
        tracing::debug!(target: "resilience_runtime::redis", %error, "the Redis connection broke");
        let wakers = {
            let mut state = lock(&self.state);
            let wakers = state.queue.fail_all(&error);
            state.broken.get_or_insert(error);
            wakers
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Polls request `id`: its reply if it came, else waits for it, reading for every
    /// caller if no other caller is.
    pub(crate) fn poll_reply(&self, id: u64, cx: &mut Context<'_>) -> Poll<Reply> {
        let mut state = lock(&self.state);
        if let Some(reply) = state.queue.take(id) {
            return Poll::Ready(reply);
        }
        if !state.queue.knows(id) {
            // Polled again after its reply: nothing to wait for (and reading for a request
            // that is no more would never stop).
            return Poll::Ready(Err(RedisError::from((
                ErrorKind::Client,
                "a Redis reply was awaited again after it came",
            ))));
        }
        state.queue.wait(id, cx.waker());
        if !state.queue.read_for_all(id) {
            return Poll::Pending;
        }
        drop(state);
        self.read_for_all(id, cx)
    }

    /// Reads replies and hands them out until `id`'s comes; `id` holds the role of reader.
    fn read_for_all(&self, id: u64, cx: &mut Context<'_>) -> Poll<Reply> {
        let mut inbox = lock(&self.inbox);
        let inbox = &mut *inbox;
        loop {
            // Replies already read (by an earlier reader too) are handed out first.
            match self.hand_out(id, inbox) {
                Ok(Some(reply)) => return Poll::Ready(reply),
                Ok(None) => {}
                Err(error) => return self.broke(id, error),
            }
            inbox.make_room();
            match self.stream.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return self.broke(id, error.into()),
                Poll::Ready(Ok(())) => {}
            }
            match self.stream.try_read(&mut inbox.buffer[inbox.end..]) {
                Ok(0) => {
                    let closed = io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "the server closed the connection",
                    );
                    return self.broke(id, closed.into());
                }
                Ok(count) => inbox.end += count,
                // Readiness was stale: the next poll registers for the next.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                Err(error) => return self.broke(id, error.into()),
            }
        }
    }

    /// Hands every complete reply in `inbox` to its request (waking its caller): `id`'s own
    /// reply once it came, after which `id` reads no more and the next reader is woken. An
    /// error when the bytes are not a reply, or answer no request: the stream cannot be
    /// trusted past them.
    fn hand_out(&self, id: u64, inbox: &mut Inbox) -> Result<Option<Reply>, RedisError> {
        let mut state = None;
        let mut broken = None;
        loop {
            let unparsed = &inbox.buffer[inbox.start..inbox.end];
            let len = match resp::reply_len(unparsed) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(malformed) => {
                    broken = Some(RedisError::from((
                        ErrorKind::Parse,
                        "the Redis server sent bytes that are not a RESP2 reply",
                        String::from(malformed.0),
                    )));
                    break;
                }
            };
            // A reply the scan delimits but the library refuses (too deep, not UTF-8) is
            // that request's error; the ones after it are still in step.
            let reply = redis::parse_redis_value(&unparsed[..len]);
            inbox.start += len;
            let queue = &mut state.get_or_insert_with(|| lock(&self.state)).queue;
            match queue.answer(reply) {
                Ok(waker) => inbox.wakers.extend(waker),
                Err(_) => {
                    broken = Some(RedisError::from((
                        ErrorKind::Parse,
                        "the Redis server sent a reply to no request",
                    )));
                    break;
                }
            }
        }
        let mut own = None;
        if broken.is_none()
            && let Some(state) = &mut state
        {
            own = state.queue.take(id);
            if own.is_some() {
                inbox.wakers.extend(state.queue.stop_reading(id));
            }
        }
        // Woken once no lock is held, so that they find the state free.
        drop(state);
        inbox.wakers.drain(..).for_each(Waker::wake);
        match broken {
            Some(error) => Err(error),
            None => Ok(own),
        }
    }

    /// The connection broke while `id` read: `id`'s answer is its reply if it came before,
    /// else the error.
    #[cold]
    fn broke(&self, id: u64, error: RedisError) -> Poll<Reply> {
        self.fail(error.clone());
        Poll::Ready(lock(&self.state).queue.take(id).unwrap_or(Err(error)))
    }

    /// `id`'s caller left before its reply.
    pub(crate) fn abandon(&self, id: u64) {
        let next = lock(&self.state).queue.abandon(id);
        if let Some(next) = next {
            next.wake();
        }
    }
}

impl Inbox {
    /// Room for a read at the end of the buffer: the unparsed bytes moved to its start, the
    /// buffer grown when they fill most of it (a reply longer than it), and shrunk back once
    /// such a reply is handed out.
    fn make_room(&mut self) {
        if self.start == self.end {
            (self.start, self.end) = (0, 0);
            if self.buffer.len() > MAX_KEPT_BUFFER {
                self.buffer.truncate(INITIAL_BUFFER);
                self.buffer.shrink_to_fit();
            }
        } else if self.buffer.len() - self.end < READ_CHUNK {
            self.buffer.copy_within(self.start..self.end, 0);
            (self.start, self.end) = (0, self.end - self.start);
            if self.buffer.len() - self.end < READ_CHUNK {
                self.buffer.resize(self.end + INITIAL_BUFFER, 0);
            }
        }
    }
}
