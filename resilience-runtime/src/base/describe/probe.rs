//! Picking, at compile time, how logs show an error type: [`Probe`] and its two traits.

use std::fmt;
use std::marker::PhantomData;

use super::DescribeError;

/// Picks how logs show an error type `E`, at no run-time cost. Where a fn such as
/// `__private::retry_step` takes a [`DescribeWith<E>`], generated code passes
/// `|probe| probe.describe_error()` with [`ProbeDebug`] and [`ProbeOther`] in scope; the
/// closure's argument is a `&Probe<E>`, and method resolution picks `ProbeDebug`'s method when
/// `E: Debug`, `ProbeOther`'s (one autoref further) otherwise: autoref specialisation, so the
/// contract needs no `Debug` bound. The closure runs only when something is logged, and it
/// borrows nothing: a borrowed `outcome` would stay in the async fn's state across awaits.
pub struct Probe<E>(PhantomData<fn(&E)>);

/// How generated code says how to show `E`: a closure given the [`Probe`] for `E`.
pub trait DescribeWith<E>: FnOnce(&Probe<E>) -> DescribeError<E> {}

impl<E, F: FnOnce(&Probe<E>) -> DescribeError<E>> DescribeWith<E> for F {}

/// Shows `E` by its type name, for sites where generated code cannot probe it.
#[must_use]
pub fn by_type_name<E>(_: &Probe<E>) -> DescribeError<E> {
    DescribeError::type_name()
}

/// What `describe` picked for `E`.
pub(crate) fn describer<E>(describe: impl DescribeWith<E>) -> DescribeError<E> {
    describe(&Probe(PhantomData))
}

/// See [`Probe`]: chosen when `E: Debug`.
pub trait ProbeDebug<E> {
    /// Shows `E` with `Debug`.
    fn describe_error(&self) -> DescribeError<E>;
}

impl<E: fmt::Debug> ProbeDebug<E> for Probe<E> {
    #[inline]
    fn describe_error(&self) -> DescribeError<E> {
        DescribeError::debug()
    }
}

/// See [`Probe`]: chosen when `E` has no `Debug`.
pub trait ProbeOther<E> {
    /// Shows `E` by its type name.
    fn describe_error(&self) -> DescribeError<E>;
}

impl<E> ProbeOther<E> for &Probe<E> {
    #[inline]
    fn describe_error(&self) -> DescribeError<E> {
        DescribeError::type_name()
    }
}
