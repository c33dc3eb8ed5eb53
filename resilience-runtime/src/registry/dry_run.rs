//! Reading and checking a source of configuration without applying it: no registry, no
//! process environment, no global state. For checking a deployment's file or variables in
//! CI before they reach a service, and for property tests.

use std::ffi::OsString;

use super::kinds::{Addressable, KindVisitor, visit_addressable};
use crate::settings::batch::Keys;
pub use crate::settings::dry_run::DryRun;
use crate::settings::env::{self, KnownNames};
use crate::settings::layering::{layered, origin};
use crate::settings::report::{ConfigError, ConfigIssue, Severity};
#[cfg(feature = "config-file")]
use crate::settings::resolve::resolve_all;

/// Reads `RESILIENCE_*` variables from `vars` (pairs as [`std::env::vars_os`] gives them) as
/// the registry reads the process environment at startup, without touching the process
/// environment or any global state.
///
/// Unlike at startup, where a combination of keys that an instance's declaration makes
/// impossible is logged when the instance is created, here every combination is checked
/// against the built-in defaults and is an error naming the variable.
///
/// # Errors
///
/// A [`ConfigError`] listing every problem, each naming its variable.
pub fn dry_run_env<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<DryRun, ConfigError>
where
    K: Into<OsString>,
    V: Into<OsString>,
{
    let layer = env::read(
        env::utf8_vars(
            vars.into_iter()
                .map(|(name, value)| (name.into(), value.into())),
        ),
        &KnownNames::new(),
    );
    let (mut errors, warnings): (Vec<_>, Vec<_>) = layer
        .issues
        .into_iter()
        .partition(|issue| issue.severity == Severity::Error);
    let mut dry_run = DryRun {
        disabled: layer.disabled,
        clock: layer.clock,
        warnings,
        ..DryRun::default()
    };
    for ((kind, name), keys) in layer.settings {
        dry_run.add(kind, name, &keys, &mut errors);
    }
    dry_run.finish(errors)
}

/// Reads TOML text as [`load_str`](crate::config::load_str) does, without applying it or touching
/// any global state.
///
/// # Errors
///
/// A [`ConfigError`] listing every problem, each naming its key as `kind."name".key`.
#[cfg(feature = "config-file")]
pub fn dry_run_str(toml: &str) -> Result<DryRun, ConfigError> {
    let batch = crate::settings::file::parse(toml, "");
    let mut errors = batch.issues;
    let resolved = resolve_all(batch.entries, &mut errors);
    let mut dry_run = DryRun {
        disabled: batch.disabled,
        clock: batch.clock,
        ..DryRun::default()
    };
    for ((kind, name), keys) in resolved {
        dry_run.add(kind, name, &keys, &mut errors);
    }
    dry_run.finish(errors)
}

impl DryRun {
    /// Adds instance `name` of `kind`: the defaults with `keys`, if they make a possible
    /// combination.
    fn add(&mut self, kind: &str, name: String, keys: &Keys, errors: &mut Vec<ConfigIssue>) {
        // Sources name only kinds they resolved, so every kind here is addressable.
        let _ = visit_addressable(
            kind,
            Configure {
                dry_run: self,
                name,
                keys,
                errors,
            },
        );
    }

    fn finish(self, errors: Vec<ConfigIssue>) -> Result<Self, ConfigError> {
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ConfigError::new(errors))
        }
    }
}

/// Adds one instance of the visited kind: the defaults with `keys`, if they make a possible
/// combination.
struct Configure<'a> {
    dry_run: &'a mut DryRun,
    name: String,
    keys: &'a Keys,
    errors: &'a mut Vec<ConfigIssue>,
}

impl KindVisitor for Configure<'_> {
    type Output = ();

    fn visit<P: Addressable>(self) {
        let layers = [Some(self.keys)];
        let (config, set) = layered::<P>(P::undeclared_config(), &layers);
        let problems = P::check(&set, &config);
        if problems.is_empty() {
            P::dry_run_entries(self.dry_run).insert(self.name, config);
        } else {
            self.errors.extend(
                problems
                    .into_iter()
                    .map(|(key, message)| ConfigIssue::error(origin(key, &layers, key), message)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::clock::ClockSource;
    use std::time::Duration;

    #[test]
    fn reads_variables_without_the_process_environment() {
        let dry_run = dry_run_env([
            ("RESILIENCE_RETRY_FETCH_MAX_ATTEMPTS", "7"),
            ("RESILIENCE_RETRY_FETCH_INITIAL_DELAY", "250ms"),
            ("RESILIENCE_BULKHEAD_POOL_MAX_CONCURRENT", "3"),
            ("RESILIENCE_DISABLED", "1"),
            ("RESILIENCE_CLOCK", "cpu"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        let retry = dry_run.retries["FETCH"];
        assert_eq!(retry.max_attempts(), 7);
        assert_eq!(retry.initial_delay(), Duration::from_millis(250));
        assert_eq!(dry_run.bulkheads["POOL"].max_concurrent(), 3);
        assert_eq!(dry_run.disabled, Some(true));
        assert_eq!(dry_run.clock, Some(ClockSource::CpuCounter));
        // Each name is unknown here: a warning, not an error.
        assert_eq!(dry_run.warnings.len(), 3);
    }

    #[test]
    fn env_errors_name_the_variable() {
        let error = dry_run_env([
            ("RESILIENCE_RETRY_FETCH_MAX_ATTEMPTS", "0"),
            ("RESILIENCE_CIRCUIT_BREAKER_DB_WINDOW", "20"),
            ("RESILIENCE_CLOCK", "fast"),
        ])
        .unwrap_err();
        let at: Vec<&str> = error
            .issues()
            .iter()
            .map(|issue| issue.at.as_str())
            .collect();
        assert_eq!(
            at,
            [
                "RESILIENCE_CLOCK",
                "RESILIENCE_RETRY_FETCH_MAX_ATTEMPTS",
                // `window` without `failure_rate`: a combination the defaults make impossible.
                "RESILIENCE_CIRCUIT_BREAKER_DB_WINDOW",
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_values_are_errors() {
        use std::os::unix::ffi::OsStringExt;
        let error = dry_run_env([(
            OsString::from("RESILIENCE_BULKHEAD_POOL_MAX_CONCURRENT"),
            OsString::from_vec(vec![0xff, 0xfe]),
        )])
        .unwrap_err();
        assert!(error.issues()[0].message.contains("not valid UTF-8"));
    }

    #[cfg(feature = "config-file")]
    #[test]
    fn reads_toml_without_applying_it() {
        let dry_run = dry_run_str(
            r#"
            [global]
            disabled = true
            clock = "CPU"
            [rate_limiter."dry-run-api"]
            rate = "5/250ms"
            [circuit_breaker."dry-run-db"]
            failure_rate = 40
            window = "30s"
            "#,
        )
        .unwrap();
        let limiter = dry_run.rate_limiters["dry-run-api"];
        assert_eq!(limiter.rate().count(), 5);
        assert_eq!(limiter.rate().period(), Duration::from_millis(250));
        assert_eq!(
            dry_run.circuit_breakers["dry-run-db"].failure_rate(),
            Some(40)
        );
        assert_eq!(dry_run.disabled, Some(true));
        assert_eq!(dry_run.clock, Some(ClockSource::CpuCounter));
        let error = dry_run_str("[retry.x]\nmultiplier = 1").unwrap_err();
        assert_eq!(error.issues()[0].at, "retry.\"x\".multiplier");
    }
}
