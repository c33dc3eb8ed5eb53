//! Showing an error in a log when its type promises nothing.
//!
//! The attributes accept any error type `E: From<Error>`, so the runtime cannot require
//! `Debug`. Generated code knows the concrete `E` and picks [`DescribeError::debug`] when it
//! implements `Debug` (see [`probe`]); otherwise logs show the error's type name.

pub(crate) mod probe;

use std::fmt;
use std::marker::PhantomData;

/// How to show an `E` in a log: with its `Debug`, or by its type name.
pub struct DescribeError<E> {
    debug: Option<fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result>,
    _error: PhantomData<fn(&E)>,
}

impl<E> DescribeError<E> {
    /// Shows errors with their `Debug` implementation.
    #[must_use]
    pub const fn debug() -> Self
    where
        E: fmt::Debug,
    {
        Self {
            debug: Some(<E as fmt::Debug>::fmt),
            _error: PhantomData,
        }
    }

    /// Shows errors by their type name only.
    #[must_use]
    pub const fn type_name() -> Self {
        Self {
            debug: None,
            _error: PhantomData,
        }
    }

    /// `error`, ready for a log field (`error = %described`); formats only when the event is
    /// enabled.
    pub fn of(self, error: &E) -> Described<'_, E> {
        Described {
            error,
            debug: self.debug,
        }
    }
}

impl<E> Clone for DescribeError<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for DescribeError<E> {}

impl<E> fmt::Debug for DescribeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DescribeError")
            .field("debug", &self.debug.is_some())
            .finish()
    }
}

/// An error with the way to show it.
pub struct Described<'a, E> {
    error: &'a E,
    debug: Option<fn(&E, &mut fmt::Formatter<'_>) -> fmt::Result>,
}

impl<E> fmt::Display for Described<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.debug {
            Some(debug) => debug(self.error, f),
            None => write!(
                f,
                "an error of type `{}` (value not shown: no Debug)",
                std::any::type_name::<E>()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DescribeError;

    struct Opaque;

    #[test]
    fn debug_when_known_type_name_otherwise() {
        let shown = DescribeError::debug().of(&"reset").to_string();
        assert_eq!(shown, "\"reset\"");
        let shown = DescribeError::type_name().of(&Opaque).to_string();
        assert_eq!(
            shown,
            "an error of type `resilience_runtime::base::describe::tests::Opaque` (value not shown: no Debug)"
        );
    }
}
