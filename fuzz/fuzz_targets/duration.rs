//! Any text as a duration: a value whose canonical form parses back to it, or a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resilience_syntax::{format_duration, parse_duration};

fuzz_target!(|text: &str| {
    match parse_duration(text) {
        Ok(duration) => {
            let canonical = format_duration(duration);
            assert_eq!(
                parse_duration(&canonical),
                Ok(duration),
                "{text:?} -> {canonical:?}"
            );
        }
        Err(message) => assert!(!message.trim().is_empty(), "{text:?}"),
    }
});
