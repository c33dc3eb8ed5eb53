//! What applying configuration did ([`ConfigReport`]) or why it did nothing ([`ConfigError`]).

use std::fmt;

use serde::Serialize;

/// How serious a [`ConfigIssue`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The configuration was rejected because of it: nothing from its source was applied.
    Error,
    /// Worth a look, but nothing was held back: e.g. a name that no instance has yet (it
    /// applies if one is created later).
    Warning,
}

/// One problem with a configuration variable, key or value.
///
/// Its [`Display`](fmt::Display) form names the place and, for a bad value, the accepted form:
///
/// ```text
/// circuit_breaker."inventory-db".failure_threshold: 0 is out of range (accepted: a whole number from 1 to 1000000)
/// RESILIENCE_RETRY_FETCH_BACKOF: unknown key "BACKOF"; did you mean RESILIENCE_RETRY_FETCH_BACKOFF?
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConfigIssue {
    /// Where: the environment variable, or the key as `kind."name".key` (after the file's
    /// path and a colon, for a file).
    pub at: String,
    /// What is wrong, with a did-you-mean where one fits.
    pub message: String,
    /// The form a valid value takes, when the value was the problem.
    pub accepted: Option<String>,
    /// Whether it stopped the configuration from applying.
    pub severity: Severity,
}

impl ConfigIssue {
    pub(crate) fn error(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            message: message.into(),
            accepted: None,
            severity: Severity::Error,
        }
    }

    pub(crate) fn warning(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(at, message)
        }
    }

    pub(crate) fn accepting(mut self, accepted: impl Into<String>) -> Self {
        self.accepted = Some(accepted.into());
        self
    }

    /// Logs the issue: a `warn` event (errors and warnings alike: the caller decides what an
    /// error means).
    pub(crate) fn log(&self) {
        tracing::warn!(
            target: "resilience_runtime::config",
            at = %self.at,
            problem = %self.message,
            accepted = self.accepted_to_show(),
            severity = ?self.severity,
            "resilience configuration: {self}"
        );
    }

    /// The accepted form, unless the message already says it word for word.
    fn accepted_to_show(&self) -> Option<&str> {
        self.accepted
            .as_deref()
            .filter(|accepted| !self.message.contains(accepted))
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)?;
        if let Some(accepted) = self.accepted_to_show() {
            write!(f, " (accepted: {accepted})")?;
        }
        Ok(())
    }
}

/// Configuration that was rejected as a whole: nothing of it was applied.
///
/// Lists every problem found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub(crate) fn new(issues: Vec<ConfigIssue>) -> Self {
        Self { issues }
    }

    /// Every problem found.
    #[must_use]
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issues.as_slice() {
            [issue] => write!(f, "configuration rejected, nothing applied: {issue}"),
            issues => {
                write!(
                    f,
                    "configuration rejected, nothing applied: {} problems",
                    issues.len()
                )?;
                for issue in issues {
                    write!(f, "\n  - {issue}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// The keys set on one named instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InstanceChange {
    /// `"circuit_breaker"`, `"rate_limiter"`, `"bulkhead"` or `"retry"`.
    pub kind: &'static str,
    /// The instance's registry name.
    pub name: String,
    /// The keys set, in the order they apply.
    pub keys: Vec<&'static str>,
}

impl fmt::Display for InstanceChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:?}: {}", self.kind, self.name, self.keys.join(", "))
    }
}

/// What applying configuration did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConfigReport {
    /// Running instances reconfigured, keeping their state (not those the values left as
    /// they were).
    pub reconfigured: Vec<InstanceChange>,
    /// Overrides of names no instance has yet: they apply when one is created.
    pub remembered: Vec<InstanceChange>,
    /// The kill switch, when the configuration set it.
    pub disabled: Option<bool>,
    /// The clock source, when the configuration set it.
    pub clock: Option<crate::base::clock::ClockSource>,
    /// Problems that held nothing back, such as a name no instance has yet.
    pub warnings: Vec<ConfigIssue>,
}

impl fmt::Display for ConfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.reconfigured {
            writeln!(f, "reconfigured {change}")?;
        }
        for change in &self.remembered {
            writeln!(f, "remembered for later {change}")?;
        }
        if let Some(disabled) = self.disabled {
            writeln!(f, "disabled: {disabled}")?;
        }
        if let Some(clock) = self.clock {
            writeln!(f, "clock: {clock}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        Ok(())
    }
}
