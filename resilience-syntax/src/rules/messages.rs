//! The words messages share: the accepted forms configuration messages end with, the
//! messages for a value of the wrong type, and the wording of ranges and keyword lists.

/// The accepted form of any duration, as configuration messages state it.
pub const DURATION_ACCEPTED: &str = "a duration string such as \"250ms\", \"2s\" or \"1m30s\"";
/// The accepted form of a duration greater than zero.
pub const POSITIVE_DURATION_ACCEPTED: &str =
    "a duration greater than zero, such as \"250ms\", \"2s\" or \"1m30s\"";

/// A negative where a whole number goes.
pub const NOT_A_NEGATIVE: &str = "expected a whole number ≥ 0, not a negative";
/// A value of another type where a whole number goes.
pub const WHOLE_EXPECTED: &str = "expected a whole number, e.g. `5`";
/// A value of another type where a number goes.
pub const NUMBER_EXPECTED: &str = "expected a number, e.g. `2.0`";
/// A value of another type where a breaker window goes.
pub const WINDOW_EXPECTED: &str =
    "expected a number of calls (`window = 20`) or a duration (`window = \"60s\"`)";

/// The message for a number written as a string: a did-you-mean without the quotes when the
/// string holds one (`parses` says whether the text reads as the number wanted).
#[must_use]
pub fn number_in_string(text: &str, parses: impl Fn(&str) -> bool) -> String {
    let value = text.trim();
    // A leading digit keeps words such as "inf" or "NaN" out of the suggestion.
    if value.starts_with(|c: char| c.is_ascii_digit()) && parses(value) {
        format!("expected a number, not a string: did you mean `{value}`?")
    } else {
        String::from("expected a number, not a string, e.g. `5`")
    }
}

/// The message for a zero duration where `key` needs a positive one.
#[must_use]
pub fn must_be_positive(key: &str) -> String {
    format!("`{key}` must be greater than zero")
}

/// The message for a duration of `key` longer than [`MAX_DURATION`](super::form::MAX_DURATION).
#[must_use]
pub fn too_long(key: &str) -> String {
    format!(
        "`{key}` is too long: the longest duration a policy holds is \"{}\" (about 584 years)",
        crate::format_duration(super::form::MAX_DURATION)
    )
}

/// The time window's message for a duration that is not whole seconds of at least one.
pub const WINDOW_WHOLE_SECONDS: &str =
    "a time `window` is counted in one-second buckets: use whole seconds, at least \"1s\"";
/// The time window's message for a duration beyond an hour.
pub const WINDOW_AT_MOST: &str = "a time `window` must be at most \"1h\"";

/// How configuration words an out-of-range number: the value first, then the rule's message
/// (the attribute points at the value instead, so it gives the message alone).
#[must_use]
pub fn out_of_range(value: impl std::fmt::Display, message: &str) -> String {
    format!("{value} is out of range: {message}")
}

/// `"a", "b", "c"`: the words of a list as messages quote them.
#[must_use]
pub fn quoted(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message for a value of `key` that is not a string.
#[must_use]
pub fn expects_one_of(key: &str, words: &[&str]) -> String {
    format!("`{key}` expects one of {}", quoted(words))
}

/// The message for a word of `key` not in `words`, with a did-you-mean when one is close.
#[must_use]
pub fn unknown_word(key: &str, value: &str, words: &[&str]) -> String {
    match crate::did_you_mean(value, words) {
        Some(close) => format!("unknown {key} \"{value}\"; did you mean \"{close}\"?"),
        None => format!(
            "unknown {key} \"{value}\"; expected one of {}",
            quoted(words)
        ),
    }
}
