//! The attribute's items read into a darling struct.

use darling::FromMeta;
use darling::ast::NestedMeta;

/// Parses a darling struct from the attribute's items.
pub(super) fn from_items<T: FromMeta>(items: &[NestedMeta]) -> darling::Result<T> {
    T::from_list(items)
}
