//! Whether this build's tokio can pause time: only its `test-util` feature can, which a
//! crate's tests enable (as a dev-dependency) and its production build does not.
//!
//! tokio keeps a runtime's "paused" flag private, so no clock but tokio's own can follow a
//! paused test. What can be known is whether pausing is compiled in at all, which decides the
//! default source: tokio's clock when it is (every test that pauses time then stays correct,
//! with no setup), the CPU's counter when it is not (nothing can pause, so the cheaper clock
//! gives the same answers). Cargo builds one tokio per build, with the features of everything
//! in it, so this answers for the whole process.
//!
//! `tokio::runtime::Builder::start_paused` exists only with `test-util`. An inherent method
//! wins over a trait's method of the same name, so calling `start_paused` on a builder picks
//! tokio's when it exists and [`WithoutTestUtil`]'s otherwise; the two return different
//! types, and the type says which was picked.

/// The stand-in for `Builder::start_paused` in a build of tokio without `test-util`.
#[allow(dead_code, reason = "used only where tokio is built without test-util")]
trait WithoutTestUtil {
    /// What the builder's own method would be called for; does nothing.
    fn start_paused(&mut self, paused: bool) -> NotPausable;
}

impl WithoutTestUtil for tokio::runtime::Builder {
    fn start_paused(&mut self, _: bool) -> NotPausable {
        NotPausable
    }
}

/// What the stand-in returns.
#[allow(dead_code, reason = "used only where tokio is built without test-util")]
struct NotPausable;

/// Whether a return type of `start_paused` is tokio's.
trait Answer {
    const PAUSABLE: bool;
}

impl Answer for NotPausable {
    const PAUSABLE: bool = false;
}

impl Answer for &mut tokio::runtime::Builder {
    const PAUSABLE: bool = true;
}

/// `T::PAUSABLE` for the type of the value `start_paused` returned.
fn answer<T: Answer>(_returned: T) -> bool {
    T::PAUSABLE
}

/// Whether tokio's clock can be paused in this build (its `test-util` feature is on). Makes a
/// runtime builder (no runtime): call it once.
pub(crate) fn tokio_can_pause() -> bool {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    answer(builder.start_paused(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_crates_tests_build_tokio_with_test_util() {
        // The runtime's dev-dependency on tokio turns `test-util` on.
        assert!(tokio_can_pause());
    }
}
