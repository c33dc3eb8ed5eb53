//! Expand: the plan as code. The signature is kept; only the body is wrapped.
//!
//! One file per job. The shared frame: `stack` fuses the layers into one wrapper, `site` is
//! what every layer reads about the fn, `hygiene` names what generated code binds, `span` writes the call's and each attempt's
//! `tracing` span, `handle`
//! and `name` cache a site's registry handle and name in statics, and `registered` lists the
//! runtime items each registered kind names. One file per layer kind writes that layer
//! (`retry`, `circuit_breaker`, `rate_limit`, `timeout`, `bulkhead`, `fallback`, `chaos`,
//! `hedge`),
//! with `admission`, `describe` and `predicate` shared between them; `config` writes
//! declarations and their config.

mod admission;
mod bulkhead;
mod chaos;
mod circuit_breaker;
mod config;
mod describe;
mod fallback;
mod handle;
mod hedge;
mod hygiene;
mod name;
mod predicate;
mod quota;
mod rate_limit;
mod registered;
mod retry;
mod site;
mod span;
mod stack;
mod timeout;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Block, ItemFn};

use crate::item::{self, Shape};
use crate::plan::Plan;

/// Replaces the body (or, under `#[async_trait]`, the boxed future's body) with the stack.
pub(crate) fn expand(plan: &Plan, mut item: ItemFn) -> TokenStream {
    let fn_ident = item.sig.ident.clone();
    match plan.shape {
        Shape::Async | Shape::Sync => {
            let body = &item.block;
            let wrapped = stack::stack(plan, &fn_ident, quote!(#body));
            *item.block = Block {
                brace_token: item.block.brace_token,
                stmts: vec![syn::Stmt::Expr(syn::Expr::Verbatim(wrapped), None)],
            };
        }
        Shape::AsyncTrait => {
            if let Some(local) = item::async_trait_body_mut(&mut item.block)
                && let Some(init) = &mut local.init
            {
                let body = match &*init.expr {
                    syn::Expr::Block(block) => block.to_token_stream(),
                    other => quote!({ #other }),
                };
                let wrapped = stack::stack(plan, &fn_ident, body);
                *init.expr = syn::Expr::Verbatim(wrapped);
            }
        }
    }
    item.into_token_stream()
}
