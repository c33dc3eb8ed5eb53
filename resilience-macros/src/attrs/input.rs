//! One attribute as written, before parsing.

use proc_macro2::{Span, TokenStream};

use super::kind::Kind;

/// One attribute as written: its kind, where its name is, and its arguments.
pub(crate) struct AttrInput {
    pub(crate) kind: Kind,
    pub(crate) span: Span,
    pub(crate) args: TokenStream,
}
