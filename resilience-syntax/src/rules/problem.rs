//! A combination rule's outcome: the key a broken combination is about, and its message.

/// A combination of keys a rule rejects: the key the message is about, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key to point at (an attribute spans the error on it; configuration names it).
    pub key: &'static str,
    /// What is wrong, as both readers say it.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}
