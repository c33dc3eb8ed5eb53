//! [`Controller`]: the state of whichever algorithm moves a bulkhead's limit.

use super::aimd::Aimd;
use super::algorithm::Adaptive;
use super::gradient::Gradient;
use super::sample::{Bounds, Sample};
use super::vegas::Vegas;

/// One algorithm's state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Controller {
    Aimd(Aimd),
    Gradient(Gradient),
    Vegas(Vegas),
}

impl Controller {
    /// `algorithm`'s state, starting at `limit`.
    pub(crate) const fn new(algorithm: Adaptive, limit: f64) -> Self {
        match algorithm {
            Adaptive::Aimd => Self::Aimd(Aimd::new(limit)),
            Adaptive::Gradient => Self::Gradient(Gradient::new(limit)),
            Adaptive::Vegas => Self::Vegas(Vegas::new(limit)),
        }
    }

    /// Which algorithm this is.
    pub(crate) const fn algorithm(&self) -> Adaptive {
        match self {
            Self::Aimd(_) => Adaptive::Aimd,
            Self::Gradient(_) => Adaptive::Gradient,
            Self::Vegas(_) => Adaptive::Vegas,
        }
    }

    /// Puts the limit inside `bounds` (after they changed), keeping the rest of the state.
    pub(crate) fn clamp(&mut self, bounds: Bounds) {
        match self {
            Self::Aimd(aimd) => aimd.clamp(bounds),
            Self::Gradient(gradient) => gradient.clamp(bounds),
            Self::Vegas(vegas) => vegas.clamp(bounds),
        }
    }

    /// The limit after `sample`, inside `bounds`.
    pub(crate) fn on_sample(&mut self, sample: &Sample, bounds: Bounds) -> f64 {
        self.clamp(bounds);
        match self {
            Self::Aimd(aimd) => aimd.on_sample(sample, bounds),
            Self::Gradient(gradient) => gradient.on_sample(sample, bounds),
            Self::Vegas(vegas) => vegas.on_sample(sample, bounds),
        }
    }
}
