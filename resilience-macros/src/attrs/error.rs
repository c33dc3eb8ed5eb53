//! Errors spanned on the token they are about: one at a span, and a broken combination's at
//! the key it names.

use darling::Error;
use proc_macro2::Span;
use resilience_syntax::rules::Problem;

/// Shorthand for a spanned error.
pub(crate) fn error_at(span: Span, message: impl std::fmt::Display) -> Error {
    Error::custom(message).with_span(&span)
}

/// Reports a broken combination on the token of the key it names; true if it did.
pub(super) fn report(
    problem: Option<Problem>,
    at: impl Fn(&str) -> Option<Span>,
    errors: &mut darling::error::Accumulator,
) -> bool {
    let Some(problem) = problem else {
        return false;
    };
    // Every rule names a key the attribute wrote, so its token is there.
    let span = at(problem.key).unwrap_or_else(Span::call_site);
    errors.push(error_at(span, problem.message));
    true
}
