//! Whether chaos is armed: the process-wide switch every `#[chaos]` layer reads first.
//!
//! Decided lazily, from the `chaos` cargo feature and `RESILIENCE_CHAOS`, unless code
//! decided first with [`set_enabled`]; `config::reload_env` decides again from the variable
//! as it is then. Asking costs one relaxed atomic load.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering::Relaxed};

/// The variable that arms (`1`) or disarms (`0`) chaos, whatever the cargo feature says.
pub const ENABLE_VARIABLE: &str = "RESILIENCE_CHAOS";

/// The variable whose value replaces every instance's `seed`.
pub const SEED_VARIABLE: &str = "RESILIENCE_CHAOS_SEED";

const UNDECIDED: u8 = 0;
const ARMED: u8 = 1;
const DISARMED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(UNDECIDED);
static WARNED: AtomicBool = AtomicBool::new(false);
/// Code decided with [`set_enabled`]: the environment no longer does.
static BY_CODE: AtomicBool = AtomicBool::new(false);

/// True when `#[chaos]` layers inject faults.
#[inline]
pub(crate) fn armed() -> bool {
    match STATE.load(Relaxed) {
        ARMED => true,
        DISARMED => false,
        _ => decide(),
    }
}

/// Arms (`true`) or disarms (`false`) every chaos layer in the process, overriding the
/// `chaos` feature and `RESILIENCE_CHAOS`. Takes effect at the next call of each layer.
pub fn set_enabled(enabled: bool) {
    BY_CODE.store(true, Relaxed);
    STATE.store(if enabled { ARMED } else { DISARMED }, Relaxed);
    if enabled {
        warn_armed("code");
    }
}

/// True when chaos layers inject faults: see [`set_enabled`] and the
/// [module docs](super#armed-only-on-purpose).
#[must_use]
pub fn is_enabled() -> bool {
    armed()
}

/// The first decision, from the feature and the environment; code that decided meanwhile wins.
#[cold]
#[inline(never)]
fn decide() -> bool {
    let variable = std::env::var(ENABLE_VARIABLE).ok();
    let (armed, by) = from_sources(cfg!(feature = "chaos"), variable.as_deref());
    let state = if armed { ARMED } else { DISARMED };
    match STATE.compare_exchange(UNDECIDED, state, Relaxed, Relaxed) {
        Ok(_) => {
            if armed {
                warn_armed(by);
            }
            armed
        }
        Err(decided) => decided == ARMED,
    }
}

/// Decides again from the feature and `RESILIENCE_CHAOS` as they are now (a removed variable
/// leaves the feature's default), unless code decided with [`set_enabled`].
pub(crate) fn reread_env() {
    if BY_CODE.load(Relaxed) {
        return;
    }
    let variable = std::env::var(ENABLE_VARIABLE).ok();
    let (armed, by) = from_sources(cfg!(feature = "chaos"), variable.as_deref());
    let state = if armed { ARMED } else { DISARMED };
    if STATE.swap(state, Relaxed) != state && armed {
        warn_armed(by);
    }
}

/// The decision, and what made it: `RESILIENCE_CHAOS` when it is a valid flag, else the
/// feature.
fn from_sources(feature: bool, variable: Option<&str>) -> (bool, &'static str) {
    let by_feature = (feature, "the `chaos` cargo feature");
    let Some(text) = variable else {
        return by_feature;
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => (true, ENABLE_VARIABLE),
        "0" | "false" | "no" | "off" | "" => (false, ENABLE_VARIABLE),
        _ => {
            tracing::warn!(
                target: "resilience_runtime::chaos",
                variable = ENABLE_VARIABLE,
                value = text,
                "not a flag (accepted: 1, true, yes, on / 0, false, no, off); ignored"
            );
            by_feature
        }
    }
}

fn warn_armed(by: &str) {
    if !WARNED.swap(true, Relaxed) {
        tracing::warn!(
            target: "resilience_runtime::chaos",
            by,
            "chaos is ARMED: #[chaos] layers inject errors, latency and outages into this process"
        );
    }
}

/// `RESILIENCE_CHAOS_SEED`, read once.
pub(crate) fn seed_override() -> Option<u64> {
    static SEED: OnceLock<Option<u64>> = OnceLock::new();
    *SEED.get_or_init(|| {
        let text = std::env::var(SEED_VARIABLE).ok()?;
        let seed = parse_seed(&text);
        if seed.is_none() {
            tracing::warn!(
                target: "resilience_runtime::chaos",
                variable = SEED_VARIABLE,
                value = text,
                "not a seed (accepted: a whole number from 0 to 18446744073709551615); ignored"
            );
        }
        seed
    })
}

fn parse_seed(text: &str) -> Option<u64> {
    text.trim().replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_wins_over_the_feature() {
        assert!(!from_sources(false, None).0);
        assert!(from_sources(true, None).0);
        assert_eq!(from_sources(false, Some("1")), (true, ENABLE_VARIABLE));
        assert_eq!(from_sources(false, Some(" TRUE ")), (true, ENABLE_VARIABLE));
        assert_eq!(from_sources(true, Some("0")), (false, ENABLE_VARIABLE));
        assert_eq!(from_sources(true, Some("off")), (false, ENABLE_VARIABLE));
        assert!(!from_sources(true, Some("")).0);
        // A value that is not a flag is ignored: the feature decides.
        assert!(from_sources(true, Some("maybe")).0);
        assert!(!from_sources(false, Some("maybe")).0);
    }

    #[test]
    fn seeds_are_whole_numbers() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed(" 1_000 "), Some(1000));
        assert_eq!(parse_seed("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_seed("-1"), None);
        assert_eq!(parse_seed("0x10"), None);
    }
}
