//! The breaker's current sliding window, switchable at run time without a lock on the calls'
//! side.
//!
//! A window of another kind or size is a new allocation, and a call that read the old window
//! may still be recording into it. So a window, once created, is never moved or freed while
//! the breaker lives: the first lives in a field, later ones in an append-only list whose
//! elements stay where they are, and the calls find the current one through an atomic index.
//! Switching back to a shape used before reuses (and clears) that window, so a breaker holds at
//! most one window per shape it has ever used, all freed with the breaker.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::base::clock::Nanos;

use super::append_only::AppendOnly;
use super::config::CircuitBreakerConfig;
use super::sliding_window::{Counts, Window};

/// Index value: the breaker keeps no window (consecutive model without slow-call tracking).
const NO_WINDOW: u32 = 0;
/// Index value: the window created with the breaker.
const FIRST: u32 = 1;

/// The windows a breaker has used, and which one is current.
#[derive(Debug)]
pub(super) struct Windows {
    first: Option<Window>,
    later: OnceLock<AppendOnly<Window>>,
    active: AtomicU32,
    /// Serialises switches (reads never take it).
    switching: Mutex<()>,
}

impl Windows {
    pub(super) fn new(config: &CircuitBreakerConfig) -> Self {
        let first = Window::new(config);
        Self {
            active: AtomicU32::new(if first.is_some() { FIRST } else { NO_WINDOW }),
            first,
            later: OnceLock::new(),
            switching: Mutex::new(()),
        }
    }

    /// The current window, if the breaker keeps one.
    #[inline]
    pub(super) fn current(&self) -> Option<&Window> {
        match self.active.load(Ordering::Acquire) {
            NO_WINDOW => None,
            FIRST => self.first.as_ref(),
            later => self.later.get()?.get((later - FIRST - 1) as usize),
        }
    }

    /// Makes the window `config` asks for current: the current one if it has that shape
    /// (with `minimum_calls` updated), else an earlier one of that shape, cleared, else a new
    /// empty one. `None` without a window.
    pub(super) fn switch_to(&self, config: &CircuitBreakerConfig) {
        let _switching = self
            .switching
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(shape) = config.uses_window().then(|| config.window()) else {
            self.active.store(NO_WINDOW, Ordering::Release);
            return;
        };
        let minimum = u64::from(config.minimum_calls());
        if let Some(current) = self.current()
            && current.shape() == shape
        {
            current.set_minimum(minimum);
            return;
        }
        let reused = self
            .first
            .iter()
            .map(|window| (FIRST, window))
            .chain(self.later.get().into_iter().flat_map(|later| {
                later
                    .iter()
                    .enumerate()
                    .map(|(index, window)| (FIRST + 1 + index as u32, window))
            }))
            .find(|(_, window)| window.shape() == shape);
        let index = match reused {
            Some((index, window)) => {
                window.clear();
                window.set_minimum(minimum);
                index
            }
            None => {
                let Some(window) = Window::new(config) else {
                    return;
                };
                let later = self.later.get_or_init(AppendOnly::default);
                match later.push(window) {
                    Some(position) => FIRST + 1 + position as u32,
                    None => {
                        // Unreachable: there are fewer window shapes than places.
                        tracing::error!(
                            target: "resilience_runtime::circuit_breaker",
                            "circuit breaker window list is full; keeping the window");
                        return;
                    }
                }
            }
        };
        self.active.store(index, Ordering::Release);
    }

    /// Empties the current window.
    pub(super) fn clear(&self) {
        if let Some(window) = self.current() {
            window.clear();
        }
    }

    /// The current window's totals at `now`, if there is one.
    pub(super) fn counts(&self, now: Nanos) -> Option<Counts> {
        self.current().map(|window| window.counts(now))
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::SlidingWindow;
    use super::*;
    use std::time::Duration;

    #[test]
    fn switching_reuses_a_shape_and_drops_the_window_when_unused() {
        let rated = CircuitBreakerConfig::new().with_failure_rate(50);
        let windows = Windows::new(&CircuitBreakerConfig::new());
        assert!(windows.current().is_none());
        windows.switch_to(&rated.with_window_calls(10));
        let ten = windows.current().unwrap() as *const Window;
        windows.switch_to(&rated.with_window_duration(Duration::from_secs(5)));
        assert_eq!(
            windows.current().unwrap().shape(),
            SlidingWindow::Time(Duration::from_secs(5))
        );
        windows.switch_to(&rated.with_window_calls(10));
        assert_eq!(windows.current().unwrap() as *const Window, ten);
        windows.switch_to(&CircuitBreakerConfig::new());
        assert!(windows.current().is_none());
    }
}
