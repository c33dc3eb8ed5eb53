//! `config::reload_env()` after a global variable was removed puts its switch back to the
//! default: the kill switch released, tokio's clock, chaos as the cargo feature says. One test:
//! the variables and switches are process-wide.

use resilience_runtime::clock::{self, ClockSource};
use resilience_runtime::{chaos, config};

fn set(name: &str, value: &str) {
    // SAFETY: this binary's only test, on its one thread, before anything else runs.
    unsafe { std::env::set_var(name, value) };
}

fn remove(name: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(name) };
}

#[test]
fn removed_global_variables_fall_back_to_their_defaults() {
    set("RESILIENCE_DISABLED", "1");
    config::reload_env().unwrap();
    assert!(config::is_disabled());
    remove("RESILIENCE_DISABLED");
    let report = config::reload_env().unwrap();
    assert!(!config::is_disabled(), "the kill switch stays on");
    assert_eq!(report.disabled, Some(false));
    // Unchanged afterwards: nothing to report.
    assert_eq!(config::reload_env().unwrap().disabled, None);

    set("RESILIENCE_CLOCK", "cpu");
    config::reload_env().unwrap();
    assert_eq!(clock::source(), ClockSource::CpuCounter);
    remove("RESILIENCE_CLOCK");
    let report = config::reload_env().unwrap();
    assert_eq!(clock::source(), ClockSource::Tokio);
    assert_eq!(report.clock, Some(ClockSource::Tokio));

    // The tests crate builds the runtime with its `chaos` feature: armed by default.
    set(chaos::ENABLE_VARIABLE, "0");
    config::reload_env().unwrap();
    assert!(!chaos::is_enabled());
    remove(chaos::ENABLE_VARIABLE);
    config::reload_env().unwrap();
    assert!(chaos::is_enabled(), "back to the feature's default");

    // Code wins over the environment, before and after a reload.
    config::set_disabled(true);
    set("RESILIENCE_DISABLED", "0");
    config::reload_env().unwrap();
    assert!(config::is_disabled());
    remove("RESILIENCE_DISABLED");
    config::reload_env().unwrap();
    assert!(config::is_disabled());
    config::set_disabled(false);
}
