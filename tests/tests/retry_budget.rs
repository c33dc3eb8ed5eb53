//! Retry budgets: `#[retry(budget = "10%", budget_min = "0/s")]` lets retries add at most that
//! share of the named retry's calls over the window. An exhausted budget ends the call with
//! its last outcome (the error, or a flagged `Ok`), counted each time and logged once per
//! burst; traffic that succeeds again refills it; the budget is one per name, shared by
//! attribute sites, the plain API and tower layers; configuration sets it, and a live change
//! keeps what was spent; a `#[hedge]` inside the retry spends the same budget per hedge. All
//! on tokio's paused clock.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use resilience_runtime::retry::{RetryBudget, RetryConfig, RetryOn};
use resilience_runtime::tower::RetryLayer;
use resilience_runtime::{config, registry, retry};
use resilience_tests::ServiceError;
use tower::{BoxError, Service, ServiceExt, service_fn};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Warnings captured in the whole binary, by message and the instance they name (each test
/// names its own instance). Process-wide, as an event's callsite may first be seen on another
/// test's thread.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: tracing::Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(fields);
    }
}

impl Warnings {
    /// The binary's capture, installed as the global subscriber on first use.
    fn global() -> &'static Self {
        static WARNINGS: std::sync::OnceLock<Warnings> = std::sync::OnceLock::new();
        WARNINGS.get_or_init(|| {
            let warnings = Self::default();
            tracing::subscriber::set_global_default(
                tracing_subscriber::registry().with(warnings.clone()),
            )
            .expect("no other global subscriber in this binary");
            warnings
        })
    }

    /// How many warnings with `message` name `name`.
    fn count(&self, message: &str, name: &str) -> usize {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|fields| {
                fields.get("message").map(String::as_str) == Some(message)
                    && fields.get("name").map(String::as_str) == Some(name)
            })
            .count()
    }
}

const EXHAUSTED: &str =
    "retry budget exhausted: calls end with their last outcome until it allows retries again";

/// A service that fails while told to, naming the call and attempt in its error.
#[derive(Default)]
struct Backend {
    failing: std::sync::atomic::AtomicBool,
    calls: AtomicU32,
    attempts: AtomicU32,
}

impl Backend {
    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Starts a logical call (the retry's attempts share its number).
    fn next_call(&self) -> u32 {
        self.calls.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn attempt(&self, call: u32) -> Result<u32, ServiceError> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
        if self.failing.load(Ordering::SeqCst) {
            Err(ServiceError::Transient(format!(
                "call {call}, attempt {attempt}"
            )))
        } else {
            Ok(call)
        }
    }

    fn attempts(&self) -> u32 {
        self.attempts.swap(0, Ordering::SeqCst)
    }
}

#[retry(
    name = "budget-outage",
    max_attempts = 5,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    budget = "10%",
    budget_min = "0/s"
)]
async fn outage_call(backend: &Backend, call: u32) -> Result<u32, ServiceError> {
    backend.attempt(call)
}

async fn outage(backend: &Backend) -> Result<u32, ServiceError> {
    let call = backend.next_call();
    outage_call(backend, call).await
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_budget_ends_calls_with_their_last_error_counted_and_logged_once_per_burst() {
    let warnings = Warnings::global();
    let backend = Backend::default();
    for _ in 0..100 {
        outage(&backend).await.unwrap();
    }
    backend.attempts();
    let retry = registry().retry("budget-outage").unwrap();
    assert_eq!(retry.budget().unwrap().allowed_in_window, 10);

    backend.fail(true);
    let mut attempts = Vec::new();
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        outcomes.push(outage(&backend).await);
        attempts.push(backend.attempts());
    }
    // 10% of 101..=120 calls: 10 retries, an 11th at the 110th call, a 12th at the 120th.
    assert_eq!(
        attempts,
        [5, 5, 3, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    );
    // The third call ended with its own last error, the one of its third attempt.
    assert_eq!(
        outcomes[2],
        Err(ServiceError::Transient(String::from("call 103, attempt 3")))
    );
    let metrics = retry.metrics();
    assert_eq!((metrics.retries, metrics.budget_exhausted), (12, 18));
    assert_eq!(metrics.failed, 20);
    let budget = retry.budget().unwrap();
    assert_eq!(
        (budget.retries_in_window, budget.allowed_in_window),
        (12, 12)
    );
    assert_eq!((budget.refused, budget.exhaustions), (18, 3));
    assert!(budget.exhausted);
    // Three bursts (the 110th and 120th calls' retries ended the first two): three warnings
    // for 18 refusals.
    assert_eq!(warnings.count(EXHAUSTED, "budget-outage"), 3);

    // Traffic succeeds again: its calls refill the budget, and the next failure is retried.
    backend.fail(false);
    for _ in 0..50 {
        outage(&backend).await.unwrap();
    }
    backend.attempts();
    backend.fail(true);
    assert!(outage(&backend).await.is_err());
    assert_eq!(
        backend.attempts(),
        5,
        "171 calls allow 17 retries, 12 spent"
    );
    let budget = retry.budget().unwrap();
    assert_eq!((budget.retries_in_window, budget.exhaustions), (16, 3));
    assert!(!budget.exhausted, "the burst ended with an allowed retry");
}

#[retry(
    name = "budget-slides",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "1ms",
    jitter = "none",
    budget = "50%",
    budget_window = "2s",
    budget_min = "1/s"
)]
async fn sliding(backend: &Backend) -> Result<u32, ServiceError> {
    backend.attempt(0)
}

#[tokio::test(start_paused = true)]
async fn spent_retries_leave_the_window_and_the_minimum_stays_allowed() {
    let backend = Backend::default();
    backend.fail(true);
    // No calls before: only the minimum, 1/s over a 2 s window, allows retries.
    let mut retried = 0;
    for _ in 0..4 {
        let _ = sliding(&backend).await;
        retried += backend.attempts() - 1;
    }
    // Four calls allow 50% of 4 = 2 plus the minimum 2.
    assert_eq!(retried, 4);
    let _ = sliding(&backend).await;
    assert_eq!(backend.attempts(), 1, "spent");
    // Once the window has slid past them, the minimum allows retries again.
    tokio::time::advance(Duration::from_secs(3)).await;
    let _ = sliding(&backend).await;
    assert_eq!(backend.attempts(), 3);
}

#[retry(
    name = "budget-shared",
    max_attempts = 3,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    budget = "10%",
    budget_min = "0/s"
)]
async fn shared_site(backend: &Backend) -> Result<u32, ServiceError> {
    backend.attempt(0)
}

#[tokio::test(start_paused = true)]
async fn an_attribute_site_a_plain_retry_and_a_tower_layer_share_one_budget() {
    let backend = Arc::new(Backend::default());
    for _ in 0..30 {
        shared_site(&backend).await.unwrap();
    }
    backend.attempts();
    let retry = registry().retry("budget-shared").unwrap();
    backend.fail(true);

    // The plain API: 31 calls allow 3 retries; this call takes the 2 its attempts allow.
    let plain: Result<u32, ServiceError> = retry
        .run_on(RetryOn::new(), || {
            let outcome = backend.attempt(0);
            async move { outcome }
        })
        .await;
    assert!(plain.is_err());
    assert_eq!(backend.attempts(), 3);

    // A tower layer naming it: the one retry left, then the budget refuses.
    let served = Arc::clone(&backend);
    let mut service = tower::ServiceBuilder::new()
        .layer(RetryLayer::named("budget-shared"))
        .service(service_fn(move |(): ()| {
            let outcome = served.attempt(0).map_err(BoxError::from);
            async move { outcome }
        }));
    let sent: Result<u32, BoxError> = service.ready().await.unwrap().call(()).await;
    assert!(sent.unwrap_err().to_string().contains("transient failure"));
    assert_eq!(backend.attempts(), 2);

    // The attribute site: nothing left for it either.
    assert!(shared_site(&backend).await.is_err());
    assert_eq!(backend.attempts(), 1);
    let metrics = retry.metrics();
    assert_eq!(
        (metrics.calls, metrics.retries, metrics.budget_exhausted),
        (33, 3, 2)
    );
}

#[retry(
    name = "budget-live",
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    budget = "10%",
    budget_min = "0/s"
)]
async fn live(backend: &Backend) -> Result<u32, ServiceError> {
    backend.attempt(0)
}

#[tokio::test(start_paused = true)]
async fn a_live_change_keeps_the_retries_spent() {
    let backend = Backend::default();
    for _ in 0..100 {
        live(&backend).await.unwrap();
    }
    backend.fail(true);
    for _ in 0..15 {
        let _ = live(&backend).await;
    }
    let retry = registry().retry("budget-live").unwrap();
    // 10% of up to 115 calls: 11 spent.
    assert_eq!(retry.metrics().retries, 11);
    let before = retry.budget().unwrap();

    // Doubled while running: the 11 spent still count against 20% of 120 calls.
    let policy = retry.policy();
    let doubled = RetryBudget::new(20.0).with_min(0, Duration::from_secs(1));
    retry.set_policy(policy.with_budget(doubled));
    for _ in 0..5 {
        let _ = live(&backend).await;
    }
    let after = retry.budget().unwrap();
    assert_eq!(after.budget, doubled);
    assert_eq!(after.retries_in_window, 16, "5 more: the spent were kept");
    assert_eq!(after.refused, before.refused);

    // Without a budget, the retry retries as its attempts allow, and pays no budget.
    retry.set_policy(policy.without_budget());
    backend.attempts();
    let _ = live(&backend).await;
    assert_eq!(backend.attempts(), 2);
    assert_eq!(retry.budget(), None);
}

/// A 503 returned as `Ok`.
fn unavailable(status: &u16) -> bool {
    *status == 503
}

static STATUS: AtomicU32 = AtomicU32::new(200);
static STATUS_CALLS: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "budget-when-ok",
    max_attempts = 4,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    when_ok = unavailable,
    budget = "10%",
    budget_min = "0/s"
)]
async fn status() -> Result<u16, ServiceError> {
    STATUS_CALLS.fetch_add(1, Ordering::SeqCst);
    Ok(u16::try_from(STATUS.load(Ordering::SeqCst)).unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_flagged_ok_spends_the_budget_and_an_exhausted_one_returns_it() {
    for _ in 0..10 {
        assert_eq!(status().await.unwrap(), 200);
    }
    STATUS.store(503, Ordering::SeqCst);
    STATUS_CALLS.store(0, Ordering::SeqCst);
    // 11 calls allow one retry: the second 503 is the call's outcome.
    assert_eq!(status().await.unwrap(), 503);
    assert_eq!(STATUS_CALLS.load(Ordering::SeqCst), 2);
    assert_eq!(status().await.unwrap(), 503);
    assert_eq!(STATUS_CALLS.load(Ordering::SeqCst), 3, "refused at once");
    let metrics = registry().retry("budget-when-ok").unwrap().metrics();
    assert_eq!((metrics.retries, metrics.budget_exhausted), (1, 2));
}

#[tokio::test(start_paused = true)]
async fn configuration_sets_the_budget_keys() {
    let retry = registry().register_retry("budget-file", RetryConfig::new());
    config::load_str(
        r#"
        [retry."budget-file"]
        budget = "25%"
        budget_window = "30s"
        budget_min = "0/s"
        "#,
    )
    .unwrap();
    assert_eq!(
        retry.policy().budget(),
        Some(
            RetryBudget::new(25.0)
                .with_window(Duration::from_secs(30))
                .with_min(0, Duration::from_secs(1))
        )
    );

    let from_env = registry().register_retry("budget-env", RetryConfig::new());
    let variable = config::variable_name("retry", "budget-env", "budget");
    // SAFETY: no other test of this binary reads or writes the environment.
    unsafe { std::env::set_var(&variable, "5%") };
    config::reload_env().unwrap();
    assert_eq!(from_env.policy().budget(), Some(RetryBudget::new(5.0)));
    unsafe { std::env::remove_var(&variable) };

    for (toml, expected) in [
        ("budget = \"20\"", "write \"20%\""),
        ("budget = \"120%\"", "above 100%"),
        ("budget = 20", "write \"20%\""),
        ("budget_window = \"5s\"", "only applies to a retry budget"),
    ] {
        let error = config::load_str(&format!("[retry.\"budget-bad\"]\n{toml}\n")).unwrap_err();
        assert!(error.to_string().contains(expected), "{toml}: {error}");
    }
    assert_eq!(
        RetryConfig::new().budget(),
        None,
        "no budget unless one is set"
    );
}

static SLOW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static HEDGED_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "budget-hedged",
    max_attempts = 2,
    backoff = "fixed",
    initial_delay = "10ms",
    jitter = "none",
    budget = "10%",
    budget_min = "0/s"
)]
#[resilience_runtime::hedge(name = "budget-hedge", delay = "50ms")]
async fn hedged() -> Result<u32, ServiceError> {
    HEDGED_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    if SLOW.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn a_hedge_inside_a_retry_spends_its_budget_and_starts_none_when_it_is_spent() {
    for _ in 0..10 {
        assert_eq!(hedged().await.unwrap(), 1);
    }
    assert_eq!(
        HEDGED_ATTEMPTS.swap(0, Ordering::SeqCst),
        10,
        "answered before the delay"
    );
    SLOW.store(true, Ordering::SeqCst);
    // 11 calls allow one retry: the hedge takes it.
    assert_eq!(hedged().await.unwrap(), 1);
    assert_eq!(HEDGED_ATTEMPTS.swap(0, Ordering::SeqCst), 2);
    // Spent: the next slow call runs its one attempt to the end.
    let started = tokio::time::Instant::now();
    assert_eq!(hedged().await.unwrap(), 1);
    assert_eq!(started.elapsed(), Duration::from_secs(1));
    assert_eq!(HEDGED_ATTEMPTS.swap(0, Ordering::SeqCst), 1);

    let retry = registry().retry("budget-hedged").unwrap();
    let budget = retry.budget().unwrap();
    assert_eq!((budget.retries_in_window, budget.refused), (1, 1));
    assert_eq!(
        retry.metrics().retries,
        0,
        "hedges are not the retry's own retries"
    );
    let hedge = registry().hedge("budget-hedge").unwrap();
    assert_eq!(hedge.metrics().hedges_started, 1);
}
