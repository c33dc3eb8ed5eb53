//! [`Controller`]: the state of whichever algorithm moves a bulkhead's limit, and of the
//! sampling that feeds it.

use super::aimd::Aimd;
use super::algorithm::Adaptive;
use super::gradient::Gradient;
use super::sample::{Bounds, Sample};
use super::sampling::Sampling;
use super::vegas::Vegas;

/// One algorithm's state, and which calls it is fed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Controller {
    state: State,
    sampling: Sampling,
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Aimd(Aimd),
    Gradient(Gradient),
    Vegas(Vegas),
}

impl Controller {
    /// `algorithm`'s state, starting at `limit`, fed every call until calls come fast.
    pub(crate) const fn new(algorithm: Adaptive, limit: f64) -> Self {
        let state = match algorithm {
            Adaptive::Aimd => State::Aimd(Aimd::new(limit)),
            Adaptive::Gradient => State::Gradient(Gradient::new(limit)),
            Adaptive::Vegas => State::Vegas(Vegas::new(limit)),
        };
        Self {
            state,
            sampling: Sampling::new(),
        }
    }

    /// Which algorithm this is.
    pub(crate) const fn algorithm(&self) -> Adaptive {
        match self.state {
            State::Aimd(_) => Adaptive::Aimd,
            State::Gradient(_) => Adaptive::Gradient,
            State::Vegas(_) => Adaptive::Vegas,
        }
    }

    /// Puts the limit inside `bounds` (after they changed), keeping the rest of the state.
    pub(crate) fn clamp(&mut self, bounds: Bounds) {
        match &mut self.state {
            State::Aimd(aimd) => aimd.clamp(bounds),
            State::Gradient(gradient) => gradient.clamp(bounds),
            State::Vegas(vegas) => vegas.clamp(bounds),
        }
    }

    /// The limit after `sample`, inside `bounds`.
    pub(crate) fn on_sample(&mut self, sample: &Sample, bounds: Bounds) -> f64 {
        self.clamp(bounds);
        match &mut self.state {
            State::Aimd(aimd) => aimd.on_sample(sample, bounds),
            State::Gradient(gradient) => gradient.on_sample(sample, bounds),
            State::Vegas(vegas) => vegas.on_sample(sample, bounds),
        }
    }

    /// One call in how many to time from now on, after `sample` (see [`Sampling`]).
    pub(crate) fn stride_after(&mut self, sample: &Sample) -> u32 {
        self.sampling.after_sample(sample.ended(), sample.weight)
    }
}
