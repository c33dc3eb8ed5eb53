//! Any text as a TOML configuration: a configuration in range, or errors that each have a
//! place and a message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resilience_fuzz::assert_sound;
use resilience_runtime::config::dry_run_str;

fuzz_target!(|text: &str| {
    assert_sound(&dry_run_str(text));
});
