//! Names that generated code binds. Locals and labels use mixed-site hygiene so they can
//! never shadow or be seen by the user's body; statics get positional names because items
//! are not hygienic.

use proc_macro2::Span;
use quote::format_ident;
use syn::{Ident, Lifetime};

/// A local of generated code.
pub(super) fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// A local that rustc shows at `location` when it blames it for an unmet bound; it resolves
/// like any other [`local`].
pub(super) fn local_at(name: &str, location: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(location))
}

/// The guard of the innermost span around the code being expanded: the call's, or inside a
/// retry the attempt's, which shadows it.
pub(super) fn span_guard() -> Ident {
    local("span_guard")
}

/// The site's conversion of a layer's error into the fn's error type, bound once by the stack
/// and read by every layer that converts.
pub(super) fn conversion() -> Ident {
    local("convert_error")
}

/// The label of the block of layer `index`, which a rejection breaks out of with the layer's
/// error.
pub(super) fn exit_label(index: usize) -> Lifetime {
    Lifetime::new(&format!("'resilience_layer_{index}"), Span::mixed_site())
}

/// The static caching the registry handle of layer `index`.
pub(super) fn handle_static(index: usize) -> Ident {
    format_ident!("RESILIENCE_SITE_{}", index)
}

/// The static caching the fn's name for layer `index`.
pub(super) fn name_static(index: usize) -> Ident {
    format_ident!("RESILIENCE_NAME_{}", index)
}
