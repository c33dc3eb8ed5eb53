//! Every `#[retry]` key in each of its valid forms, with the policy each one builds and the
//! schedule it runs on a paused clock.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::registry;
use resilience_runtime::retry::{BackoffKind, Jitter};
use resilience_runtime::retry;
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum AppError {
    Transient,
    Busy(Duration),
    Fatal,
    Layer(resilience_runtime::Error),
}

impl From<resilience_runtime::Error> for AppError {
    fn from(error: resilience_runtime::Error) -> Self {
        Self::Layer(error)
    }
}

impl AppError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Transient | Self::Busy(_))
    }

    fn hint(&self) -> Option<Duration> {
        match self {
            Self::Busy(after) => Some(*after),
            _ => None,
        }
    }
}

/// Fails with the errors in `script` (one per call), then succeeds with the call number.
struct Service {
    calls: AtomicU32,
    script: Vec<AppError>,
}

impl Service {
    fn new(script: Vec<AppError>) -> Self {
        Self { calls: AtomicU32::new(0), script }
    }

    fn call(&self) -> Result<u32, AppError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        match self.script.get(call as usize) {
            Some(AppError::Transient) => Err(AppError::Transient),
            Some(AppError::Busy(after)) => Err(AppError::Busy(*after)),
            Some(_) => Err(AppError::Fatal),
            None => Ok(call + 1),
        }
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[retry(
    name = "retry-everything",
    max_attempts = 5,
    backoff = "exponential",
    initial_delay = "250ms",
    max_delay = "1m30s",
    multiplier = 3,
    jitter = "none",
    max_elapsed = "1h",
    when = AppError::is_transient,
    retry_after = AppError::hint,
)]
async fn everything(service: &Service) -> Result<u32, AppError> {
    service.call()
}

fn below_three(value: &u32) -> bool {
    *value < 3
}

#[retry(name = "retry-when-ok", max_attempts = 5, initial_delay = "1ms", when_ok = below_three)]
async fn when_ok(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-linear", backoff = "linear", initial_delay = "2s", jitter = "equal")]
async fn linear(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-fixed", backoff = "fixed", initial_delay = "1h", max_delay = "1h", jitter = "full")]
async fn fixed(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-decorrelated", backoff = "decorrelated", max_attempts = 1)]
async fn decorrelated(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-proportional", multiplier = 1.5, jitter = "proportional", jitter_factor = 0.25)]
async fn proportional(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-proportional-default", jitter = "proportional")]
async fn proportional_default(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-conservative", preset = "conservative")]
async fn conservative(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-aggressive", preset = "aggressive", max_attempts = 2, jitter = "none")]
async fn aggressive(service: &Service) -> Result<u32, AppError> {
    service.call()
}

// The preset's own `max_delay` (60s) is what `initial_delay` is checked against.
#[retry(name = "retry-patient", preset = "patient", initial_delay = "30s", backoff = "linear")]
async fn patient(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry]
async fn defaults(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry()]
async fn empty_parens(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-budget", budget = "2.5%", budget_window = "1m", budget_min = "0/s")]
async fn budgeted(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(name = "retry-budget-defaults", budget = "100%")]
async fn budget_defaults(service: &Service) -> Result<u32, AppError> {
    service.call()
}

#[retry(crate = "resilience_runtime", max_attempts = 2, initial_delay = "1ms")]
async fn with_crate(service: &Service) -> Result<u32, AppError> {
    service.call()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        // Exact schedule (no jitter): 250ms, then 750ms (x3); the hint replaces the third delay.
        let service = Service::new(vec![
            AppError::Transient,
            AppError::Transient,
            AppError::Busy(Duration::from_millis(40)),
        ]);
        let started = Instant::now();
        assert_eq!(everything(&service).await, Ok(4));
        assert_eq!(started.elapsed(), Duration::from_millis(250 + 750 + 40));
        let policy = registry().retry("retry-everything").unwrap().policy();
        assert_eq!(policy.max_attempts(), 5);
        assert_eq!(policy.backoff(), BackoffKind::Exponential);
        assert_eq!(policy.initial_delay(), Duration::from_millis(250));
        assert_eq!(policy.max_delay(), Duration::from_secs(90));
        assert_eq!(policy.multiplier(), 3.0);
        assert_eq!(policy.jitter(), Jitter::None);
        assert_eq!(policy.max_elapsed(), Some(Duration::from_secs(3600)));

        // `when` stops at an error that is not worth retrying.
        let service = Service::new(vec![AppError::Transient, AppError::Fatal]);
        assert_eq!(everything(&service).await, Err(AppError::Fatal));
        assert_eq!(service.calls(), 2);

        // `when_ok` tries an `Ok` it flags again: 1 and 2 are, 3 is not.
        let service = Service::new(vec![]);
        assert_eq!(when_ok(&service).await, Ok(3));
        assert_eq!(service.calls(), 3);

        let service = Service::new(vec![AppError::Fatal, AppError::Fatal]);
        assert_eq!(linear(&service).await, Ok(3));
        let policy = registry().retry("retry-linear").unwrap().policy();
        assert_eq!(policy.backoff(), BackoffKind::Linear);
        assert_eq!(policy.initial_delay(), Duration::from_secs(2));
        assert_eq!(policy.jitter(), Jitter::Equal);

        let service = Service::new(vec![AppError::Fatal]);
        assert_eq!(fixed(&service).await, Ok(2));
        let policy = registry().retry("retry-fixed").unwrap().policy();
        assert_eq!(policy.backoff(), BackoffKind::Fixed);
        assert_eq!(policy.initial_delay(), Duration::from_secs(3600));
        assert_eq!(policy.jitter(), Jitter::Full);

        // One attempt in total: never retried.
        let service = Service::new(vec![AppError::Transient]);
        assert_eq!(decorrelated(&service).await, Err(AppError::Transient));
        assert_eq!(service.calls(), 1);
        let policy = registry().retry("retry-decorrelated").unwrap().policy();
        assert_eq!(policy.backoff(), BackoffKind::Decorrelated);

        let service = Service::new(vec![AppError::Transient]);
        assert_eq!(proportional(&service).await, Ok(2));
        let policy = registry().retry("retry-proportional").unwrap().policy();
        assert_eq!(policy.multiplier(), 1.5);
        assert_eq!(policy.jitter(), Jitter::Proportional(0.25));

        let service = Service::new(vec![]);
        assert_eq!(proportional_default(&service).await, Ok(1));
        let policy = registry().retry("retry-proportional-default").unwrap().policy();
        assert_eq!(policy.jitter(), Jitter::Proportional(0.1));

        let service = Service::new(vec![]);
        assert_eq!(conservative(&service).await, Ok(1));
        let policy = registry().retry("retry-conservative").unwrap().policy();
        assert_eq!(policy.max_attempts(), 3);
        assert_eq!(policy.initial_delay(), Duration::from_secs(1));
        assert_eq!(policy.max_delay(), Duration::from_secs(16));

        // Explicit keys override the preset; the rest comes from it.
        let service = Service::new(vec![AppError::Transient, AppError::Transient]);
        let started = Instant::now();
        assert_eq!(aggressive(&service).await, Err(AppError::Transient));
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        let policy = registry().retry("retry-aggressive").unwrap().policy();
        assert_eq!(policy.max_attempts(), 2);
        assert_eq!(policy.multiplier(), 1.5);
        assert_eq!(policy.jitter(), Jitter::None);

        let service = Service::new(vec![]);
        assert_eq!(patient(&service).await, Ok(1));
        let policy = registry().retry("retry-patient").unwrap().policy();
        assert_eq!(policy.max_attempts(), 4);
        assert_eq!(policy.initial_delay(), Duration::from_secs(30));
        assert_eq!(policy.max_delay(), Duration::from_secs(60));
        assert_eq!(policy.backoff(), BackoffKind::Linear);

        // Defaults: 3 attempts, every error retried.
        let service = Service::new(vec![AppError::Fatal, AppError::Fatal, AppError::Fatal]);
        assert_eq!(defaults(&service).await, Err(AppError::Fatal));
        assert_eq!(service.calls(), 3);
        let service = Service::new(vec![AppError::Fatal]);
        assert_eq!(empty_parens(&service).await, Ok(2));

        let service = Service::new(vec![AppError::Fatal, AppError::Fatal]);
        assert_eq!(with_crate(&service).await, Err(AppError::Fatal));
        assert_eq!(service.calls(), 2);

        // A budget with no minimum and no calls before: the first failure is not retried.
        let service = Service::new(vec![AppError::Fatal]);
        assert_eq!(budgeted(&service).await, Err(AppError::Fatal));
        assert_eq!(service.calls(), 1);
        let budget = registry().retry("retry-budget").unwrap().policy().budget().unwrap();
        assert_eq!(budget.percent(), 2.5);
        assert_eq!(budget.window(), Duration::from_secs(60));
        assert_eq!(budget.min(), (0, Duration::from_secs(1)));
        // The defaults: a 10 s window and 10/s always allowed.
        let service = Service::new(vec![AppError::Fatal]);
        assert_eq!(budget_defaults(&service).await, Ok(2));
        let budget = registry().retry("retry-budget-defaults").unwrap().policy().budget().unwrap();
        assert_eq!((budget.window(), budget.min()), (Duration::from_secs(10), (10, Duration::from_secs(1))));
    });
}
