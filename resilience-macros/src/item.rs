//! The fn under the attributes: its shape, its return type and its resilience siblings.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    Attribute, Block, Expr, GenericArgument, ItemFn, Local, Pat, Path, PathArguments, ReturnType,
    Stmt, Type,
};

use crate::attrs::{AttrInput, Kind};

/// How the fn's body runs.
pub(crate) enum Shape {
    /// `async fn`.
    Async,
    /// A plain fn.
    Sync,
    /// A method already rewritten by `#[async_trait]`: a sync fn returning
    /// `Box::pin(async move { .. let __ret: R = { body }; .. })`. The layers wrap `body`.
    AsyncTrait,
}

impl Shape {
    pub(crate) fn of(item: &ItemFn) -> Self {
        if item.sig.asyncness.is_some() {
            Self::Async
        } else if async_trait_body(&item.block).is_some() {
            Self::AsyncTrait
        } else {
            Self::Sync
        }
    }

    pub(crate) const fn is_async(&self) -> bool {
        matches!(self, Self::Async | Self::AsyncTrait)
    }
}

/// The `let __ret: R = { body };` statement inside an `#[async_trait]` body, if this is one.
pub(crate) fn async_trait_body(block: &Block) -> Option<&Local> {
    let [Stmt::Expr(Expr::Call(call), None)] = block.stmts.as_slice() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let names: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    if !names.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    let Some(Expr::Async(inner)) = call.args.first() else {
        return None;
    };
    inner.block.stmts.iter().find_map(|stmt| match stmt {
        Stmt::Local(local) if is_ret_binding(&local.pat) && local.init.is_some() => Some(local),
        _ => None,
    })
}

/// Mutable access to the same statement, for rewriting.
pub(crate) fn async_trait_body_mut(block: &mut Block) -> Option<&mut Local> {
    let [Stmt::Expr(Expr::Call(call), None)] = block.stmts.as_mut_slice() else {
        return None;
    };
    let Some(Expr::Async(inner)) = call.args.first_mut() else {
        return None;
    };
    inner.block.stmts.iter_mut().find_map(|stmt| match stmt {
        Stmt::Local(local) if is_ret_binding(&local.pat) && local.init.is_some() => Some(local),
        _ => None,
    })
}

fn is_ret_binding(pat: &Pat) -> bool {
    let Pat::Type(typed) = pat else {
        return false;
    };
    matches!(&*typed.pat, Pat::Ident(ident) if ident.ident == "__ret")
}

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

/// The argument that marks a sibling attribute as already fused into the stack.
pub(crate) const FUSED_MARKER: &str = "__resilience_fused";

/// Collects the resilience attributes below the expanding one, in source order, and marks
/// each as fused: it stays on the fn, so its import is used, and expands to nothing more.
pub(crate) fn take_siblings(attrs: &mut [Attribute], krate: Option<&Path>) -> Vec<AttrInput> {
    let mut siblings = Vec::new();
    for attr in attrs.iter_mut() {
        let Some(kind) = Kind::of_path(attr.path(), krate) else {
            continue;
        };
        let args = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            syn::Meta::Path(_) => proc_macro2::TokenStream::new(),
            syn::Meta::NameValue(value) => quote::ToTokens::to_token_stream(&value.value),
        };
        if is_fused(&args) {
            continue;
        }
        siblings.push(AttrInput {
            kind,
            span: attr.path().span(),
            args,
        });
        let path = attr.path().clone();
        let marker = proc_macro2::Ident::new(FUSED_MARKER, attr.path().span());
        attr.meta = syn::parse_quote!(#path(#marker));
    }
    siblings
}

/// Whether an attribute's arguments are the fused marker.
pub(crate) fn is_fused(args: &proc_macro2::TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == FUSED_MARKER
    )
}
