//! The fn's return type: what its body evaluates to, where an unmet error bound is shown,
//! and whether it can be a `Result` at all.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Type};

use super::shape::{Shape, async_trait_body};

/// The type the body evaluates to (`None` when it cannot be named, e.g. `impl Trait`).
pub(crate) fn body_type(item: &ItemFn, shape: &Shape) -> Option<Type> {
    let ty = match shape {
        Shape::AsyncTrait => {
            let Pat::Type(typed) = &async_trait_body(&item.block)?.pat else {
                return None;
            };
            (*typed.ty).clone()
        }
        Shape::Async | Shape::Sync => match &item.sig.output {
            ReturnType::Type(_, ty) => (**ty).clone(),
            ReturnType::Default => return None,
        },
    };
    (!contains_impl_trait(&ty)).then_some(ty)
}

/// Where an unmet `E: From<resilience_runtime::Error>` is reported: at `E` in `Result<T, E>`,
/// else at the whole return type (e.g. an alias such as `anyhow::Result<T>`), else at the
/// attribute.
pub(crate) fn error_span(body_type: Option<&Type>) -> Span {
    let Some(ty) = body_type else {
        return Span::call_site();
    };
    if let Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
        && last.ident == "Result"
        && let PathArguments::AngleBracketed(arguments) = &last.arguments
        && arguments.args.len() == 2
        && let Some(GenericArgument::Type(error)) = arguments.args.last()
    {
        return error.span();
    }
    ty.span()
}

fn contains_impl_trait(ty: &Type) -> bool {
    quote::ToTokens::to_token_stream(ty)
        .into_iter()
        .any(|token| matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == "impl"))
}

/// Checks that the fn can return a `Result`; the one error points at the return type.
pub(crate) fn check_returns_result(item: &ItemFn, shape: &Shape) -> darling::Result<()> {
    if matches!(shape, Shape::AsyncTrait) {
        return Ok(());
    }
    let ty = match &item.sig.output {
        ReturnType::Default => {
            return Err(darling::Error::custom(
                "resilience attributes wrap a fn returning `Result<T, E>` (with `E: From<resilience_runtime::Error>`); this fn returns `()`",
            )
            .with_span(&item.sig.ident));
        }
        ReturnType::Type(_, ty) => ty,
    };
    let not_result = match &**ty {
        Type::Path(path) => {
            path.qself.is_none()
                && path.path.segments.last().is_some_and(|last| {
                    let name = last.ident.to_string();
                    NOT_RESULTS.contains(&name.as_str())
                })
        }
        Type::Paren(_) | Type::Group(_) | Type::Macro(_) | Type::Verbatim(_) => false,
        _ => true,
    };
    if not_result {
        return Err(darling::Error::custom(format!(
            "resilience attributes wrap a fn returning `Result<T, E>`; `{}` is not a `Result`",
            quote::ToTokens::to_token_stream(ty)
        ))
        .with_span(ty));
    }
    Ok(())
}

/// Types that are certainly not a `Result` (an alias of `Result` may have any other name).
const NOT_RESULTS: &[&str] = &[
    "bool", "char", "str", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64",
    "i128", "isize", "f32", "f64", "String", "Vec", "Option", "Box", "Arc", "Rc", "HashMap",
    "BTreeMap", "HashSet", "Cow", "Duration", "Self",
];
