//! A leaner connection to one server, for the scripts every decision runs: the caller's task
//! writes its request and reads the replies itself (`shared`), with no task between it and
//! the socket, so a lone caller makes one round trip with nothing else woken, and requests
//! that come together are written and read together (the client library's multiplexed
//! connection passes each request through a channel to its driver task and the reply back
//! through another, two wake-ups per request).
//!
//! It speaks RESP2 over plain TCP or a Unix socket (`resp`, `stream`); TLS, RESP3 and
//! clusters keep the client library's connections. Opening it sends `AUTH` and `SELECT` as
//! the URL asks (`connection`). Replies are matched to requests by their order (`queue`); a
//! caller that leaves before its reply leaves its place, and its reply is read and dropped
//! (`ticket`), so no caller's leaving, at any point, puts the connection out of step. A
//! request is written whole within the call that submits it, or finished by a task when the
//! socket is full, so no request is ever cut.
//!
//! What it asks of callers: each request is bounded by its caller (every one runs within
//! `backend_timeout`), and a caller's future is polled when woken, as any future is. One
//! caller at a time reads for all: a future held unpolled while it reads delays the others
//! on the connection until it is polled or dropped, or until their own deadlines end them
//! (and the connection is then replaced, as after any failure).
//!
//! A broken connection (closed or reset, bytes that are not RESP2, a reply to no request, a
//! write that finds no room within `backend_timeout`) answers every waiting caller with the
//! error at once, and every later request too; the caller's failure makes the instance open
//! a new one for the next decision.

mod connection;
mod queue;
pub(crate) mod resp;
mod shared;
mod stream;
mod ticket;

pub(crate) use connection::DirectConnection;

#[cfg(all(test, not(loom)))]
mod tests;
