//! `#[fallback]`'s adapter: which form the fallback fn takes, the arguments it keeps, and the
//! log line of falling back.
//!
//! The macro cannot see the fallback's signature, so it hands the fallback fn and references
//! to the fn's arguments to [`AsyncFallback::prepare`] (or [`SyncFallback::prepare`]), and type
//! inference picks the impl: a fn item implements `Fn` for one arity only, so `(error)` and
//! `(arguments.., error)` never both apply. The arguments form clones the owned arguments
//! before the body runs (the body may consume them); the `(error)` form keeps nothing.
//! Whether the fallback is sync or async (on an async fn) is picked the same way, by what it
//! returns. Only this one trait bound is checked per site, so a fallback that fits no form
//! gets one error, in the words of `on_unimplemented`, at the fallback's path.

use std::future::Future;

use super::outcome::Failure;
use crate::base::describe::probe::{DescribeWith, describer};

/// Logs that the fn named `name` answers with its fallback `fallback` after `failure`.
#[cold]
#[inline(never)]
pub fn falling_back<E>(
    name: &'static str,
    fallback: &'static str,
    failure: &Failure<E>,
    describe: impl DescribeWith<E>,
) {
    tracing::debug!(
        name,
        fallback,
        error = %failure.describe(describer(describe)),
        "calling the fallback"
    );
}

/// Marker: the fallback takes the error only.
pub struct ErrorOnly;
/// Marker: the fallback takes the fn's `N` arguments, then the error.
pub struct WithArguments<const N: usize>;
/// Marker: the fallback returns its `Result` directly.
pub struct Ready;
/// Marker: the fallback returns a future of its `Result`.
pub struct Pending;

/// A fallback prepared before the body runs: the fn to call and what it kept of the fn's
/// arguments. Holds no borrow of the arguments, so the body may still move them.
pub struct Recovery<'f, F, C, E, V> {
    fallback: &'f F,
    kept: C,
    recover: fn(&F, C, E) -> V,
}

impl<F, C, E, V> Recovery<'_, F, C, E, V> {
    /// Calls the fallback with the kept arguments and `error`.
    #[inline]
    pub fn recover(self, error: E) -> V {
        (self.recover)(self.fallback, self.kept, error)
    }
}

/// A fallback fn of a sync fn whose arguments are referenced by `Refs` and whose error is
/// `E`, returning `Out`; `M` says which form it takes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be this fn's fallback",
    label = "expected a fn taking `({E})`, or the fn's own arguments followed by `{E}`",
    note = "a fallback that takes the fn's arguments gets them as the fn declares them: references as they are, owned values as clones, so those must be `Clone`"
)]
pub trait SyncFallback<Refs, E, Out, M>: Sized {
    /// What the fallback keeps of the arguments until it is called.
    type Kept;
    /// Keeps what the fallback needs of the arguments (before the body runs).
    fn keep(&self, refs: Refs) -> Self::Kept;
    /// Calls the fallback.
    fn recover(&self, kept: Self::Kept, error: E) -> Out;
    /// The fallback ready to be called after the body.
    #[inline]
    fn prepare(&self, refs: Refs) -> Recovery<'_, Self, Self::Kept, E, Out> {
        Recovery {
            fallback: self,
            kept: self.keep(refs),
            recover: Self::recover,
        }
    }
}

/// A fallback fn of an async fn whose arguments are referenced by `Refs` and whose error is
/// `E`, returning `Out` or a future of it; `M` says which form.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be this fn's fallback",
    label = "expected a fn taking `({E})`, or the fn's own arguments followed by `{E}`, and returning a `Result` or a future of one",
    note = "a fallback that takes the fn's arguments gets them as the fn declares them: references as they are, owned values as clones, so those must be `Clone`"
)]
pub trait AsyncFallback<Refs, E, Out, M>: Sized {
    /// What the fallback keeps of the arguments until it is called.
    type Kept;
    /// The fallback's value, as a future.
    type Future: Future<Output = Out>;
    /// Keeps what the fallback needs of the arguments (before the body runs).
    fn keep(&self, refs: Refs) -> Self::Kept;
    /// Calls the fallback.
    fn recover(&self, kept: Self::Kept, error: E) -> Self::Future;
    /// The fallback ready to be called after the body.
    #[inline]
    fn prepare(&self, refs: Refs) -> Recovery<'_, Self, Self::Kept, E, Self::Future> {
        Recovery {
            fallback: self,
            kept: self.keep(refs),
            recover: Self::recover,
        }
    }
}

// A sync fallback may return any type here: the site then checks it is the fn's `Result`,
// which reports another type as a plain mismatch at the path.
impl<F, Refs, E, Out> SyncFallback<Refs, E, Out, ErrorOnly> for F
where
    F: Fn(E) -> Out,
{
    type Kept = ();
    #[inline]
    fn keep(&self, _: Refs) {}
    #[inline]
    fn recover(&self, (): (), error: E) -> Out {
        self(error)
    }
}

impl<F, Refs, E, T, R> AsyncFallback<Refs, E, Result<T, R>, (ErrorOnly, Ready)> for F
where
    F: Fn(E) -> Result<T, R>,
{
    type Kept = ();
    type Future = std::future::Ready<Result<T, R>>;
    #[inline]
    fn keep(&self, _: Refs) {}
    #[inline]
    fn recover(&self, (): (), error: E) -> Self::Future {
        std::future::ready(self(error))
    }
}

impl<F, Refs, E, Out, Fut> AsyncFallback<Refs, E, Out, (ErrorOnly, Pending)> for F
where
    F: Fn(E) -> Fut,
    Fut: Future<Output = Out>,
{
    type Kept = ();
    type Future = Fut;
    #[inline]
    fn keep(&self, _: Refs) {}
    #[inline]
    fn recover(&self, (): (), error: E) -> Fut {
        self(error)
    }
}

/// The impls of the arguments form for one arity: `$n` arguments named `$arg` of types `$ty`.
macro_rules! with_arguments {
    ($n:literal: $($arg:ident: $ty:ident),+) => {
        impl<'a, F, $($ty: Clone,)+ E, Out> SyncFallback<($(&'a $ty,)+), E, Out, WithArguments<$n>> for F
        where
            F: Fn($($ty,)+ E) -> Out,
        {
            type Kept = ($($ty,)+);
            #[inline]
            fn keep(&self, ($($arg,)+): ($(&'a $ty,)+)) -> Self::Kept {
                ($($arg.clone(),)+)
            }
            #[inline]
            fn recover(&self, ($($arg,)+): Self::Kept, error: E) -> Out {
                self($($arg,)+ error)
            }
        }

        impl<'a, F, $($ty: Clone,)+ E, T, R> AsyncFallback<($(&'a $ty,)+), E, Result<T, R>, (WithArguments<$n>, Ready)> for F
        where
            F: Fn($($ty,)+ E) -> Result<T, R>,
        {
            type Kept = ($($ty,)+);
            type Future = std::future::Ready<Result<T, R>>;
            #[inline]
            fn keep(&self, ($($arg,)+): ($(&'a $ty,)+)) -> Self::Kept {
                ($($arg.clone(),)+)
            }
            #[inline]
            fn recover(&self, ($($arg,)+): Self::Kept, error: E) -> Self::Future {
                std::future::ready(self($($arg,)+ error))
            }
        }

        impl<'a, F, $($ty: Clone,)+ E, Out, Fut> AsyncFallback<($(&'a $ty,)+), E, Out, (WithArguments<$n>, Pending)> for F
        where
            F: Fn($($ty,)+ E) -> Fut,
            Fut: Future<Output = Out>,
        {
            type Kept = ($($ty,)+);
            type Future = Fut;
            #[inline]
            fn keep(&self, ($($arg,)+): ($(&'a $ty,)+)) -> Self::Kept {
                ($($arg.clone(),)+)
            }
            #[inline]
            fn recover(&self, ($($arg,)+): Self::Kept, error: E) -> Fut {
                self($($arg,)+ error)
            }
        }
    };
}

with_arguments!(1: a1: A1);
with_arguments!(2: a1: A1, a2: A2);
with_arguments!(3: a1: A1, a2: A2, a3: A3);
with_arguments!(4: a1: A1, a2: A2, a3: A3, a4: A4);
with_arguments!(5: a1: A1, a2: A2, a3: A3, a4: A4, a5: A5);
with_arguments!(6: a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6);
with_arguments!(7: a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7);
with_arguments!(8: a1: A1, a2: A2, a3: A3, a4: A4, a5: A5, a6: A6, a7: A7, a8: A8);
