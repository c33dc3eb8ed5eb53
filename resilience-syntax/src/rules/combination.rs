//! What a combination rule reads and how it is listed: which keys a source sets, the values
//! in force, and the sources known to break the rule.

/// Which keys one source sets: the attribute's written keys, or one configuration layer's.
#[derive(Debug, Clone, Copy)]
pub struct Written<'a>(pub &'a [&'a str]);

impl Written<'_> {
    /// Whether `key` is set.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.0.contains(&key)
    }
}

/// A value in force and whether it is the built-in default (an attribute, which knows no
/// other layer, says so in its message; configuration does not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InForce<T> {
    /// The value.
    pub value: T,
    /// Whether nothing set it: the message then adds ", the default".
    pub is_default: bool,
}

impl<T> InForce<T> {
    pub(crate) fn default_text(&self) -> &'static str {
        if self.is_default { ", the default" } else { "" }
    }
}

/// A combination rule and sources that break it, as `(key, value)` pairs written as in the
/// attribute (and, the same, in TOML): `("backoff", "\"fixed\"")`.
#[derive(Debug, Clone, Copy)]
pub struct Combination<F> {
    /// The rule: the offending key and the message, if the view breaks it.
    pub check: F,
    /// Sources that break it, each one key set as both readers read it.
    pub broken_by: &'static [&'static [(&'static str, &'static str)]],
}
