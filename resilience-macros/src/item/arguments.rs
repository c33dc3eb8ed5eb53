//! The fn's arguments as expressions generated code can reference, for a fallback that takes
//! them.

use proc_macro2::Ident;
use syn::{FnArg, ItemFn, Pat};

use super::shape::Shape;

/// Expressions naming each of the fn's arguments, in order, inside the body; `None` when one
/// of them has no name to reach it by (a `_` or destructuring pattern, `ref` bindings), so
/// that only the `(error)` form of a fallback applies.
pub(crate) fn arguments(item: &ItemFn, shape: &Shape) -> Option<Vec<Ident>> {
    item.sig
        .inputs
        .iter()
        .map(|input| match input {
            // `#[async_trait]` has already moved `self` into a local `__self`, spanned at the
            // `self` token.
            FnArg::Receiver(receiver) => Some(match shape {
                Shape::AsyncTrait => Ident::new("__self", receiver.self_token.span),
                Shape::Async | Shape::Sync => Ident::new("self", receiver.self_token.span),
            }),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(binding)
                    if binding.by_ref.is_none()
                        && binding.subpat.is_none()
                        && !is_positional(&binding.ident) =>
                {
                    Some(binding.ident.clone())
                }
                _ => None,
            },
        })
        .collect()
}

/// `#[async_trait]` renames a destructuring argument `__argN` and moves it in the body.
fn is_positional(ident: &Ident) -> bool {
    ident.to_string().starts_with("__arg")
}

#[cfg(test)]
mod tests {
    use syn::ItemFn;

    use super::arguments;
    use crate::item::Shape;

    fn names(item: &ItemFn) -> Option<Vec<String>> {
        arguments(item, &Shape::of(item))
            .map(|idents| idents.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn named_arguments_and_the_receiver_are_reachable_in_order() {
        let item = syn::parse_quote!(
            async fn load(&self, db: &Db, mut sku: String) -> Result<u32, Error> {
                Ok(1)
            }
        );
        assert_eq!(names(&item).unwrap(), ["self", "db", "sku"]);
    }

    #[test]
    fn a_pattern_bound_argument_leaves_only_the_error_form() {
        let wild = syn::parse_quote!(
            fn load(_: u32) -> Result<u32, Error> {
                Ok(1)
            }
        );
        let tuple = syn::parse_quote!(
            fn load((a, b): (u32, u32)) -> Result<u32, Error> {
                Ok(a + b)
            }
        );
        let by_ref = syn::parse_quote!(
            fn load(ref a: u32) -> Result<u32, Error> {
                Ok(*a)
            }
        );
        assert!(names(&wild).is_none());
        assert!(names(&tuple).is_none());
        assert!(names(&by_ref).is_none());
    }
}
