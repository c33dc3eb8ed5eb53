//! Any text as a rate: at least one permit per non-zero period, whose display form (the
//! runtime's `Rate`, and the canonical duration) parses back to it; or a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resilience_runtime::rate_limit::Rate;
use resilience_syntax::{format_duration, parse_rate};

fuzz_target!(|text: &str| {
    match parse_rate(text) {
        Ok((count, period)) => {
            assert!(count >= 1, "{text:?}");
            assert!(!period.is_zero(), "{text:?}");
            let shown = Rate::new(count, period).to_string();
            assert_eq!(
                parse_rate(&shown),
                Ok((count, period)),
                "{text:?} -> {shown:?}"
            );
            let canonical = format!("{count}/{}", format_duration(period));
            assert_eq!(
                parse_rate(&canonical),
                Ok((count, period)),
                "{text:?} -> {canonical:?}"
            );
        }
        Err(message) => assert!(!message.trim().is_empty(), "{text:?}"),
    }
});
