//! How the fn's body runs: async, sync, or already rewritten by `#[async_trait]`.

use syn::{Block, Expr, ItemFn, Local, Pat, Stmt};

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
    /// The shape of `item`'s body.
    pub(crate) fn of(item: &ItemFn) -> Self {
        if item.sig.asyncness.is_some() {
            Self::Async
        } else if async_trait_body(&item.block).is_some() {
            Self::AsyncTrait
        } else {
            Self::Sync
        }
    }

    /// Whether the body runs as a future.
    pub(crate) const fn is_async(&self) -> bool {
        matches!(self, Self::Async | Self::AsyncTrait)
    }
}

/// The `let __ret: R = { body };` statement inside an `#[async_trait]` body, if this is one.
pub(super) fn async_trait_body(block: &Block) -> Option<&Local> {
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
