//! Key values checked by their rules: a value out of range is one error at the value.

use resilience_syntax::rules::KeyRule;

use super::error::error_at;

/// An integer key checked by its rule; out of range is one error at the value.
pub(super) fn whole(
    value: Option<crate::value::Int>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<u32> {
    let value = value?;
    match rule.check_whole(value.value) {
        Ok(value) => u32::try_from(value).ok(),
        Err(message) => {
            errors.push(error_at(value.span, message));
            None
        }
    }
}

/// A number key checked by its rule.
pub(super) fn number(
    value: Option<crate::value::Float>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<f64> {
    let value = value?;
    rule.check_number(value.value)
        .map_err(|message| errors.push(error_at(value.span, message)))
        .ok()
}

/// A duration key checked by its rule (not zero, for a positive one).
pub(super) fn duration(
    value: Option<crate::value::DurationLit>,
    rule: &KeyRule,
    errors: &mut darling::error::Accumulator,
) -> Option<std::time::Duration> {
    let value = value?;
    rule.check_duration(value.value)
        .map_err(|message| errors.push(error_at(value.span, message)))
        .ok()
}
