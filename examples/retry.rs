//! `#[retry]`: a payment gateway that answers 503 twice, then accepts the charge.
//!
//! The first 503 carries `Retry-After: 1s`, which replaces the backoff delay; the second has
//! none, so exponential backoff decides. A declined card is not transient: `when` says no.
//!
//! Run it with `cargo run -p resilience-examples --example retry`.

use std::sync::{OnceLock, atomic::AtomicU32, atomic::Ordering};
use std::time::Duration;

use resilience_runtime::{registry, retry};
use tokio::time::{Instant, sleep};

/// What the payment gateway can answer with.
#[derive(Debug, thiserror::Error)]
enum PaymentError {
    /// HTTP 503 with a `Retry-After` header.
    #[error("503 Service Unavailable, Retry-After: {0:?}")]
    Overloaded(Duration),
    /// HTTP 503 without a hint.
    #[error("503 Service Unavailable")]
    Unavailable,
    /// HTTP 402: the card was declined, and asking again will not change that.
    #[error("402 Payment Required: card declined")]
    Declined,
    /// A resilience layer refused or cut short the call.
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl PaymentError {
    /// Only a 503 is worth another attempt.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Overloaded(_) | Self::Unavailable)
    }

    /// The server's hint; when present it replaces the backoff delay.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Overloaded(after) => Some(*after),
            _ => None,
        }
    }
}

/// When the run started, on tokio's paused clock (fixed by the first call to [`now`]).
static START: OnceLock<Instant> = OnceLock::new();
/// Requests the simulated gateway has received.
static REQUESTS: AtomicU32 = AtomicU32::new(0);

/// Seconds since the run started.
fn now() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Charges a card at a gateway that takes 80ms per request and answers 503 to the first two.
#[retry(name = "payments", max_attempts = 4, backoff = "exponential", initial_delay = "200ms",
        max_delay = "2s", jitter = "none", when = PaymentError::is_transient,
        retry_after = PaymentError::retry_after)]
async fn charge(card: &str, cents: u64) -> Result<String, PaymentError> {
    let (request, sent) = (REQUESTS.fetch_add(1, Ordering::SeqCst) + 1, now());
    sleep(Duration::from_millis(80)).await;
    let answer = match request {
        1 => Err(PaymentError::Overloaded(Duration::from_secs(1))),
        2 => Err(PaymentError::Unavailable),
        _ if card.ends_with("0002") => Err(PaymentError::Declined),
        _ => Ok(format!("receipt ch_{request:04} for {cents}c")),
    };
    let line = format!("  t={sent:.3}s..{:.3}s  request {request}", now());
    match &answer {
        Ok(receipt) => println!("{line} -> {receipt}"),
        Err(err) => println!("{line} -> {err}"),
    }
    answer
}

/// Charges a card twice: once through two 503s, once with a card the bank declines.
async fn run() {
    println!("Charging a card through a gateway that is briefly overloaded:");
    let receipt = charge("4242-4242-4242-4242", 1999).await;
    println!("  => {receipt:?}\n");
    println!("Charging a card that the bank declines:");
    let declined = charge("4000-0000-0000-0002", 500).await;
    println!("  => {declined:?}\n");
    let retry = registry().retry("payments").expect("declared by #[retry]");
    println!("{:?}", retry.metrics());
    println!(
        "Conclusion: both 503s were retried (1s as told, then 400ms of backoff); the decline was not."
    );
}

/// Runs the scenario on a paused current-thread runtime.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    run().await;
}
