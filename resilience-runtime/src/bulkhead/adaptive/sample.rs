//! [`Sample`]: what one finished call tells an adaptive bulkhead.

/// One call's evidence: how long it took, whether it failed, and how many calls were in
/// flight when it started. Times are nanoseconds on one monotonic scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    /// When the call started.
    pub(crate) started: u64,
    /// How long it ran.
    pub(crate) latency: u64,
    /// Calls in flight when it started, itself included.
    pub(crate) in_flight: usize,
    /// The service failed or the call timed out (a rejection by an inner layer is no sample).
    pub(crate) failed: bool,
    /// How many calls this one stands for: one in `weight` calls was timed when it started.
    pub(crate) weight: u32,
}

impl Sample {
    /// When the call ended.
    pub(crate) const fn ended(&self) -> u64 {
        self.started.saturating_add(self.latency)
    }
}

/// The range a limit moves in, `min..=max`, with `min >= 1` once clamped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounds {
    pub(crate) min: f64,
    pub(crate) max: f64,
}

impl Bounds {
    /// `min..=max`; a `min` above `max` (configuration rejects one) is read as `max`, and a
    /// `max` of 0 keeps every call out as a static bulkhead of 0 does.
    pub(crate) fn new(min: usize, max: usize) -> Self {
        let max = max as f64;
        Self {
            min: (min as f64).min(max),
            max,
        }
    }

    /// `limit` inside the range.
    pub(crate) fn clamp(&self, limit: f64) -> f64 {
        limit.max(self.min).min(self.max)
    }
}

#[cfg(test)]
pub(crate) mod test_samples {
    //! Samples for the algorithms' unit tests: calls of a fixed latency, one after the other.

    use super::Sample;

    /// A millisecond in nanoseconds.
    pub(crate) const MS: u64 = 1_000_000;

    /// Calls one after the other, each starting when the one before ended (at least 1 ms on).
    pub(crate) struct Stream {
        now: u64,
    }

    /// Where a stream's time starts: far from zero, as the process-wide scale's origin.
    const ORIGIN: u64 = 1 << 40;

    impl Stream {
        pub(crate) const fn new() -> Self {
            Self { now: ORIGIN }
        }

        /// Nanoseconds since the stream began.
        pub(crate) const fn elapsed(&self) -> u64 {
            self.now - ORIGIN
        }

        /// The next sample: started now, `latency_ms` long, then time moves on past its end.
        pub(crate) fn next(&mut self, latency_ms: f64, in_flight: usize, failed: bool) -> Sample {
            let latency = (latency_ms * MS as f64) as u64;
            let sample = Sample {
                started: self.now,
                latency,
                in_flight,
                failed,
                weight: 1,
            };
            self.now += latency.max(MS);
            sample
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_clamp_and_read_an_inverted_range_as_its_max() {
        let bounds = Bounds::new(2, 10);
        assert_eq!(
            (bounds.clamp(0.5), bounds.clamp(5.5), bounds.clamp(11.0)),
            (2.0, 5.5, 10.0)
        );
        assert_eq!(Bounds::new(8, 4).clamp(1.0), 4.0);
        let sample = Sample {
            started: 10,
            latency: 5,
            in_flight: 1,
            failed: false,
            weight: 1,
        };
        assert_eq!(sample.ended(), 15);
    }
}
