//! A caller's claim on the reply to its request: a future that completes with it, and that,
//! dropped before, leaves its place in the order for the reply to be read and discarded.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::queue::Reply;
use super::shared::Shared;

/// The reply to request `id`, once it comes.
pub(crate) struct Ticket {
    shared: Arc<Shared>,
    id: u64,
    /// Whether the reply was taken (else dropping the ticket abandons the request).
    answered: bool,
}

impl Ticket {
    /// The claim on request `id`'s reply (submitted on `shared` just before).
    pub(crate) fn new(shared: Arc<Shared>, id: u64) -> Self {
        Self {
            shared,
            id,
            answered: false,
        }
    }
}

impl Future for Ticket {
    type Output = Reply;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Reply> {
        let reply = self.shared.poll_reply(self.id, cx);
        if reply.is_ready() {
            self.answered = true;
        }
        reply
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.answered {
            self.shared.abandon(self.id);
        }
    }
}
