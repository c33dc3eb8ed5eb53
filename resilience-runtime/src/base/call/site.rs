//! What a call site keeps in its `static`s: its cached registry handle ([`Site`]) or, for
//! layers without a registry instance in methods, its name ([`SiteName`], [`method_name`]).

use std::sync::{Arc, OnceLock};

/// A call site's name, for layers that have no registry instance (timeouts, fallbacks) in
/// methods, whose name is made once at run time.
pub struct SiteName(OnceLock<&'static str>);

impl SiteName {
    /// An empty site name, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The name, made on first use.
    pub fn get_or_init(&'static self, name: impl FnOnce() -> &'static str) -> &'static str {
        self.0.get_or_init(name)
    }
}

impl Default for SiteName {
    fn default() -> Self {
        Self::new()
    }
}

/// A call site's cached registry handle.
pub struct Site<P>(OnceLock<Arc<P>>);

impl<P> Site<P> {
    /// An empty site, for a `static`.
    #[must_use]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// The cached instance, declaring it on first use.
    #[inline]
    pub fn get_or_init(&'static self, declare: impl FnOnce() -> Arc<P>) -> &'static P {
        self.0.get_or_init(declare)
    }
}

impl<P> Default for Site<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// The default name of a method's policy: `Type::method`, without generic arguments.
/// Called once per call site; the name lives for the rest of the process.
#[must_use]
pub fn method_name(self_type: &str, method: &str) -> &'static str {
    let base = self_type.split('<').next().unwrap_or(self_type);
    Box::leak(format!("{base}::{method}").into_boxed_str())
}
