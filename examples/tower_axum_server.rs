//! Tower layers on an axum server: a rate limit per client and a circuit breaker in front of
//! a quote handler whose pricing backend goes down for a while.
//!
//! The server listens on a loopback port, and the example's own client (hyper-util) sends a
//! scripted series of requests and prints what the layers did:
//!
//! 1. Client `alice` sends five requests at once: her burst of three passes, the other two get
//!    `429 Too Many Requests` with `Retry-After`. Client `bob` has a limit of his own.
//! 2. The pricing backend fails: its 503 answers count as failures for the breaker, which
//!    opens after three; then the server answers 503 with `Retry-After` without calling the
//!    backend at all.
//! 3. The backend recovers; once the breaker's recovery timeout has passed, trial requests go
//!    through and close it.
//!
//! The layers' errors are turned into responses by `HandleErrorLayer`. Run it with
//! `cargo run -p resilience-examples --example tower_axum_server`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
use resilience_runtime::rate_limit::{OnLimit, Rate, RateLimitConfig};
use resilience_runtime::tower::{CircuitBreakerLayer, RateLimitLayer};
use resilience_runtime::{Error, registry};
use tower::{BoxError, ServiceBuilder};

/// The header that names the client; each value gets its own rate limit.
const API_KEY: &str = "x-api-key";

/// The backend the quote handler asks for prices.
#[derive(Debug, Default)]
struct Pricing {
    down: AtomicBool,
    calls: AtomicU32,
}

/// `GET /quote`: a price, or 503 while the pricing backend is down.
async fn quote(State(pricing): State<Arc<Pricing>>) -> Response {
    pricing.calls.fetch_add(1, Ordering::Relaxed);
    if pricing.down.load(Ordering::Relaxed) {
        (StatusCode::SERVICE_UNAVAILABLE, "pricing is down").into_response()
    } else {
        "EUR 12.40".into_response()
    }
}

/// A layer's error as an HTTP answer: 429 for a rate limit, 503 for an open breaker, both
/// with `Retry-After` when the layer knows how long.
async fn rejection_response(error: BoxError) -> Response {
    let (status, retry_after) = match error.downcast_ref::<Error>() {
        Some(Error::RateLimited { retry_after, .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, *retry_after)
        }
        Some(Error::CircuitOpen { retry_after, .. }) => {
            (StatusCode::SERVICE_UNAVAILABLE, *retry_after)
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, None),
    };
    let mut response = (status, error.to_string()).into_response();
    if let Some(after) = retry_after {
        // Whole seconds, rounded up: the header has no finer unit.
        let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The quote route behind its layers; the first `.layer(..)` is the outermost.
fn app(pricing: Arc<Pricing>) -> Router {
    let per_client = RateLimitConfig::new(Rate::per_second(2))
        .with_burst(3)
        .with_on_limit(OnLimit::Reject);
    let breaker = CircuitBreakerConfig::new()
        .with_failure_threshold(3)
        .with_recovery_timeout(Duration::from_millis(300));
    Router::new()
        .route("/quote", get(quote))
        .with_state(pricing)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(rejection_response))
                .layer(
                    RateLimitLayer::new("quotes-per-client", per_client)
                        .key_by(|request: &Request| request.headers().get(API_KEY).cloned()),
                )
                .layer(
                    CircuitBreakerLayer::new("quotes-pricing", breaker)
                        .record_if_ok(|response: &Response| response.status().is_server_error()),
                ),
        )
}

/// Sends `GET /quote` as `client` and prints the answer.
async fn ask(client: &Client<HttpConnector, Body>, base: &str, who: &str) -> StatusCode {
    let request = Request::get(format!("{base}/quote"))
        .header(API_KEY, who)
        .body(Body::empty())
        .expect("a valid request");
    let response = client.request(request).await.expect("the server answers");
    let status = response.status();
    match response.headers().get(header::RETRY_AFTER) {
        Some(after) => {
            let after = after.to_str().unwrap_or("?");
            println!("  {who:>8} → {status} (Retry-After: {after}s)");
        }
        None => println!("  {who:>8} → {status}"),
    }
    status
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pricing = Arc::new(Pricing::default());
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(axum::serve(listener, app(Arc::clone(&pricing))).into_future());
    let client = Client::builder(TokioExecutor::new()).build_http();

    println!("1. a rate limit per client (3 at once, then 2 a second):");
    for _ in 0..5 {
        ask(&client, &base, "alice").await;
    }
    ask(&client, &base, "bob").await;

    println!("2. the pricing backend goes down; the breaker opens after 3 failures:");
    pricing.down.store(true, Ordering::Relaxed);
    let before = pricing.calls.load(Ordering::Relaxed);
    for client_id in 0..5 {
        ask(&client, &base, &format!("client-{client_id}")).await;
    }
    let breaker = registry()
        .circuit_breaker("quotes-pricing")
        .expect("declared");
    println!(
        "  breaker {:?}; the backend saw {} of the 5 requests",
        breaker.state(),
        pricing.calls.load(Ordering::Relaxed) - before
    );

    println!("3. the backend recovers; after the recovery timeout, trial requests close it:");
    pricing.down.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(350)).await;
    for client_id in 5..7 {
        ask(&client, &base, &format!("client-{client_id}")).await;
    }
    println!("  breaker {:?}", breaker.state());

    let limiter = registry()
        .rate_limiter("quotes-per-client")
        .expect("declared");
    let limits = limiter.metrics();
    let calls = breaker.metrics();
    println!(
        "rate limit: {} permitted, {} rejected, {} clients tracked",
        limits.permitted, limits.rejected, limits.tracked_keys
    );
    println!(
        "breaker: {} successful, {} failed, {} not permitted",
        calls.successful, calls.failed, calls.not_permitted
    );
    server.abort();
    Ok(())
}
