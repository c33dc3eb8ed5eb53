//! Which layer error a plain-API call's `Err` was made from.
//!
//! The attributes keep a layer's error apart from the service's in their types ([`Failure`]).
//! The plain API (`CircuitBreaker::call`, `Bulkhead::call`, `Retry::run`, ...) hands the
//! caller's own error type `E` from layer to layer, where a `BulkheadFull` converted into `E`
//! looks like any other failure. So each plain layer that turns an [`Error`] into `E` notes it
//! on the thread ([`convert`]), and the layer around it reads the note when its inner future
//! ends in `Err` during that same poll ([`Noted`]): the inner future completes inside the
//! outer one's poll, on the same thread, with nothing in between that could note another.
//!
//! A note is cleared before every poll, so one left behind by an earlier, unrelated call is
//! never read. An outer layer that passes the `Err` on notes it again for the layer around it.
//!
//! [`Failure`]: super::outcome::Failure

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::Error;

thread_local! {
    static NOTE: RefCell<Option<Error>> = const { RefCell::new(None) };
}

fn set(note: Option<Error>) {
    NOTE.with(|slot| *slot.borrow_mut() = note);
}

fn take() -> Option<Error> {
    NOTE.with(|slot| slot.borrow_mut().take())
}

/// `error` as the caller's error type, noted for the layer around this one.
pub(crate) fn convert<E: From<Error>>(error: Error) -> E {
    set(Some(error.clone()));
    E::from(error)
}

/// A plain layer's `Err`: the caller's error, and the layer error it was made from, if an
/// inner layer noted one.
#[derive(Debug)]
pub(crate) struct NotedError<E> {
    pub(crate) error: E,
    pub(crate) layer: Option<Error>,
}

impl<E> NotedError<E> {
    /// The caller's error, noting its layer error again for the layer around this one.
    pub(crate) fn pass_on(self) -> E {
        set(self.layer);
        self.error
    }
}

pin_project_lite::pin_project! {
    /// `inner`, whose `Err` comes with the layer error it was made from.
    pub(crate) struct Noted<F> {
        #[pin]
        inner: F,
    }
}

impl<F> Noted<F> {
    pub(crate) const fn new(inner: F) -> Self {
        Self { inner }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for Noted<F> {
    type Output = Result<T, NotedError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        set(None);
        let result = std::task::ready!(self.project().inner.poll(cx));
        Poll::Ready(result.map_err(|error| NotedError {
            error,
            layer: take(),
        }))
    }
}

/// The blocking twin of [`Noted`]: runs `f` and reads the note of its `Err`.
pub(crate) fn noted_blocking<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<T, NotedError<E>> {
    set(None);
    f().map_err(|error| NotedError {
        error,
        layer: take(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[derive(Debug, PartialEq)]
    enum AppError {
        Layer(Error),
        Own,
    }

    impl From<Error> for AppError {
        fn from(error: Error) -> Self {
            Self::Layer(error)
        }
    }

    #[tokio::test]
    async fn a_converted_layer_error_reaches_the_layer_around_it() {
        let rejection = Error::timeout(Duration::from_millis(1));
        let inner = async { Err::<(), AppError>(convert(rejection.clone())) };
        let failure = Noted::new(inner).await.unwrap_err();
        assert_eq!(failure.layer, Some(rejection.clone()));
        // Passed on, the next layer out reads it too.
        let outer = Noted::new(async { Err::<(), _>(failure.pass_on()) }).await;
        assert_eq!(outer.unwrap_err().layer, Some(rejection));
    }

    #[tokio::test]
    async fn the_service_own_errors_and_stale_notes_carry_none() {
        let _: AppError = convert(Error::timeout(Duration::from_millis(1))); // left behind
        let failure = Noted::new(async { Err::<(), _>(AppError::Own) })
            .await
            .unwrap_err();
        assert_eq!((failure.error, failure.layer), (AppError::Own, None));
        let failure = noted_blocking(|| Err::<(), _>(AppError::Own)).unwrap_err();
        assert_eq!(failure.layer, None);
        assert_eq!(Noted::new(async { Ok::<_, AppError>(1) }).await.unwrap(), 1);
    }
}
