//! The rule table of every kind, by the attribute's name.

use super::key_rule::KeyRule;
use super::{bulkhead, chaos, circuit_breaker, hedge, quota, rate_limit, retry};

/// Every kind's key rules, by the attribute's name, for tools and tests that walk them all.
pub const KINDS: [(&str, &[KeyRule]); 7] = [
    ("retry", retry::KEYS),
    ("circuit_breaker", circuit_breaker::KEYS),
    ("rate_limit", rate_limit::KEYS),
    ("bulkhead", bulkhead::KEYS),
    ("chaos", chaos::KEYS),
    ("hedge", hedge::KEYS),
    ("quota", quota::KEYS),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::form::Form;
    use crate::rules::messages::quoted;

    /// A word key's accepted text lists exactly its words.
    #[test]
    fn accepted_words_come_from_the_lists() {
        for (_, rules) in KINDS {
            for rule in rules {
                if let Form::Word(words) = rule.form {
                    assert_eq!(rule.accepted, format!("one of {}", quoted(words)));
                }
            }
        }
    }
}
