//! Expand: the plan as code. The signature is kept; only the body is wrapped.

mod config;
mod layer;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::{Block, ItemFn};

use crate::attrs::{self, AttrInput, Kind};
use crate::item::{self, Shape};
use crate::plan::{self, Plan};

/// The entry point shared by every attribute: parse → validate → plan → expand.
///
/// On any error the original fn is emitted (without its resilience attributes) next to the
/// errors, so one mistake gives one error and the rest of the crate still type-checks.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    if item::is_fused(&args) {
        // Already part of the stack that an attribute above this one expanded.
        return item;
    }
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = darling::Error::custom(format!(
                "`#[{}]` goes on a fn or method with a body",
                kind.name()
            ))
            .with_span(&Span::call_site())
            .write_errors();
            return quote!(#error #item);
        }
    };
    let first = AttrInput {
        kind,
        span: Span::call_site(),
        args,
    };
    let mut errors = darling::Error::accumulator();
    let first = errors.handle(attrs::parse(&first));
    let krate = first.as_ref().and_then(attrs::Layer::krate).cloned();
    let siblings = item::take_siblings(&mut item.attrs, krate.as_ref());
    let mut layers: Vec<attrs::Layer> = first.into_iter().collect();
    for sibling in &siblings {
        if let Some(layer) = errors.handle(attrs::parse(sibling)) {
            layers.push(layer);
        }
    }
    let plan = errors.handle(plan::plan(layers, &item));
    match (errors.finish(), plan) {
        (Ok(()), Some(plan)) => expand(&plan, item),
        (Err(error), _) => {
            let error = error.write_errors();
            quote!(#error #item)
        }
        (Ok(()), None) => item.into_token_stream(),
    }
}

/// Replaces the body (or, under `#[async_trait]`, the boxed future's body) with the stack.
fn expand(plan: &Plan, mut item: ItemFn) -> TokenStream {
    let fn_ident = item.sig.ident.clone();
    match plan.shape {
        Shape::Async | Shape::Sync => {
            let body = &item.block;
            let wrapped = layer::stack(plan, &fn_ident, quote!(#body));
            *item.block = Block {
                brace_token: item.block.brace_token,
                stmts: vec![syn::Stmt::Expr(syn::Expr::Verbatim(wrapped), None)],
            };
        }
        Shape::AsyncTrait => {
            if let Some(local) = item::async_trait_body_mut(&mut item.block)
                && let Some(init) = &mut local.init
            {
                {
                    let body = match &*init.expr {
                        syn::Expr::Block(block) => block.to_token_stream(),
                        other => quote!({ #other }),
                    };
                    let wrapped = layer::stack(plan, &fn_ident, body);
                    *init.expr = syn::Expr::Verbatim(wrapped);
                }
            }
        }
    }
    item.into_token_stream()
}
