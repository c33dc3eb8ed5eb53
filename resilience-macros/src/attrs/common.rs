//! The keys every named policy shares.

use darling::Error;
use syn::{LitStr, Path};

/// Keys every named policy shares: `name` and `crate`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Common {
    pub(crate) name: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

impl Common {
    pub(super) fn new(
        name: Option<LitStr>,
        krate: Option<Path>,
        errors: &mut darling::error::Accumulator,
    ) -> Self {
        if let Some(name) = &name
            && name.value().trim().is_empty()
        {
            errors.push(Error::custom("`name` must not be empty").with_span(name));
        }
        Self { name, krate }
    }
}
