//! [`Adaptive`]: which algorithm moves an adaptive bulkhead's limit.

use serde::Serialize;

/// The algorithm that moves an adaptive bulkhead's limit between `min_concurrent` and
/// `max_concurrent` (`adaptive = "aimd" | "gradient" | "vegas"`). The README's "Which adaptive
/// algorithm" compares them.
///
/// ```
/// use resilience_runtime::bulkhead::{Adaptive, BulkheadConfig};
///
/// let pool = BulkheadConfig::new(200).with_adaptive(Adaptive::Aimd).with_min_concurrent(4);
/// assert_eq!(pool.adaptive(), Some(Adaptive::Aimd));
/// assert_eq!(Adaptive::Vegas.as_str(), "vegas");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Adaptive {
    /// Additive increase while latency stays within 1.5× the no-load latency, multiplicative
    /// decrease (×0.9, once per round trip) on an error or a slower call.
    Aimd,
    /// The limit follows the ratio of the no-load latency to the recent latency (Gradient2,
    /// compared with the no-load latency rather than a long-term average, so that it does not
    /// drift up under steady load).
    Gradient,
    /// TCP Vegas: the queue behind the service estimated from latency, kept between
    /// log-scaled thresholds.
    Vegas,
}

impl Adaptive {
    /// The word for it in `adaptive = ".."` and configuration.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aimd => "aimd",
            Self::Gradient => "gradient",
            Self::Vegas => "vegas",
        }
    }

    /// The algorithm a word names (one of `resilience_syntax`'s `bulkhead::ADAPTIVES`).
    #[must_use]
    pub(crate) fn named(word: &str) -> Option<Self> {
        match word {
            "aimd" => Some(Self::Aimd),
            "gradient" => Some(Self::Gradient),
            "vegas" => Some(Self::Vegas),
            _ => None,
        }
    }
}
