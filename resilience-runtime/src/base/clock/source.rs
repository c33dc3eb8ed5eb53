//! [`ClockSource`]: which clock every policy reads, as configured.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use super::pausable::tokio_can_pause;

/// The clock every policy reads (see the [`clock`](crate::clock) module).
///
/// Parses from and displays as `"tokio"` and `"cpu"` (parsing ignores ASCII case), the
/// values of `RESILIENCE_CLOCK` and of `clock` under `[global]` in a configuration file.
///
/// ```
/// use resilience_runtime::clock::ClockSource;
///
/// assert_eq!("cpu".parse(), Ok(ClockSource::CpuCounter));
/// // Doc tests build tokio with `test-util`, so tokio's clock is the default here.
/// assert_eq!(ClockSource::default().to_string(), "tokio");
/// assert!("tsc".parse::<ClockSource>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockSource {
    /// `tokio::time::Instant::now()`: follows a paused tokio clock, so tests with
    /// `#[tokio::test(start_paused = true)]` are deterministic. The default in a build where
    /// tokio can pause time (its `test-util` feature, which tests enable).
    Tokio,
    /// The CPU's time-stamp counter through `quanta`, calibrated against the system's
    /// monotonic clock: cheaper to read, but blind to a paused tokio clock. The default in a
    /// build where tokio cannot pause time (a production build).
    #[serde(rename = "cpu")]
    CpuCounter,
}

impl ClockSource {
    /// Every accepted word, in the order messages list them.
    pub(crate) const NAMES: &[&str] = &["tokio", "cpu"];

    /// The word that names it: `"tokio"` or `"cpu"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tokio => "tokio",
            Self::CpuCounter => "cpu",
        }
    }
}

impl Default for ClockSource {
    /// [`Tokio`](Self::Tokio) where this build's tokio can pause time (its `test-util`
    /// feature), [`CpuCounter`](Self::CpuCounter) where it cannot.
    fn default() -> Self {
        // Asked once: it makes a runtime builder.
        static PAUSABLE: OnceLock<bool> = OnceLock::new();
        if *PAUSABLE.get_or_init(tokio_can_pause) {
            Self::Tokio
        } else {
            Self::CpuCounter
        }
    }
}

impl fmt::Display for ClockSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClockSource {
    type Err = ParseClockSourceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.eq_ignore_ascii_case("tokio") {
            Ok(Self::Tokio)
        } else if text.eq_ignore_ascii_case("cpu") {
            Ok(Self::CpuCounter)
        } else {
            Err(ParseClockSourceError(text.to_owned()))
        }
    }
}

/// A word that is neither `"tokio"` nor `"cpu"`, given to [`ClockSource::from_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseClockSourceError(String);

impl fmt::Display for ParseClockSourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown clock source {:?}: expected \"tokio\" or \"cpu\"",
            self.0
        )
    }
}

impl std::error::Error for ParseClockSourceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse_and_display() {
        for source in [ClockSource::Tokio, ClockSource::CpuCounter] {
            assert_eq!(source.to_string().parse(), Ok(source));
            assert_eq!(source.as_str(), source.to_string());
        }
        assert_eq!("CPU".parse(), Ok(ClockSource::CpuCounter));
        assert_eq!("Tokio".parse(), Ok(ClockSource::Tokio));
        for word in ["", "tsc", "cpu ", "cpucounter", "system", "quanta"] {
            let error = word.parse::<ClockSource>().unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("unknown clock source {word:?}: expected \"tokio\" or \"cpu\"")
            );
        }
        assert_eq!(
            serde_json::to_string(&[ClockSource::Tokio, ClockSource::CpuCounter]).unwrap(),
            r#"["tokio","cpu"]"#
        );
    }
}
