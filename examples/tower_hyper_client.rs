//! A hyper client as a tower stack: a circuit breaker, a retry and a timeout per attempt in
//! front of hyper-util's client, calling a flaky stock server on a loopback port.
//!
//! The server answers 503 to every third request and takes two seconds over every fourth;
//! the stack, as `#[circuit_breaker] #[retry] #[timeout("250ms")]` would be on a fn:
//!
//! - the timeout cuts each slow attempt at 250ms, and the retry sends the request again;
//! - the retry tries a 503 response again too (`when_ok`), after 50ms;
//! - a request is copied for a retry only if it is a `GET` (`clone_request`): a `POST`
//!   that gets a 503 is not sent twice, and its 503 is the answer;
//! - the breaker judges each call after its retries: a call that ends on a 503 is a failure
//!   (`record_if_ok`), and after three the breaker opens, so that the next call fails at once
//!   without reaching the server. After its recovery timeout, calls go through again.
//!
//! Run it with `cargo run -p resilience-examples --example tower_hyper_client`.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Request, Response, StatusCode};
use axum::routing::any;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use resilience_runtime::circuit_breaker::CircuitBreakerConfig;
use resilience_runtime::retry::{BackoffKind, Jitter, RetryConfig};
use resilience_runtime::tower::{CircuitBreakerLayer, RetryLayer, TimeoutLayer};
use resilience_runtime::{Error, registry};
use tokio::time::Instant;
use tower::{BoxError, Service, ServiceBuilder, ServiceExt};

type Body = Empty<Bytes>;

/// The stock server's own state: how many requests it has seen, and whether it is down.
#[derive(Debug, Default)]
struct Stock {
    requests: AtomicU32,
    down: AtomicBool,
}

/// `/stock`: 503 while down or on every third request, two seconds late on every fourth.
async fn stock_page(State(stock): State<Arc<Stock>>) -> (StatusCode, &'static str) {
    let request = stock.requests.fetch_add(1, Ordering::Relaxed) + 1;
    if stock.down.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    }
    if request % 4 == 0 {
        tokio::time::sleep(Duration::from_secs(2)).await;
    } else if request % 3 == 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, "busy");
    }
    (StatusCode::OK, "17 in stock")
}

/// A copy of `request` for another attempt, if sending it twice is harmless (tower's
/// `Policy::clone_request` convention: `None` means it is sent once).
fn resend_if_idempotent(request: &Request<Body>) -> Option<Request<Body>> {
    if request.method() != Method::GET {
        return None;
    }
    let mut copy = Request::new(Empty::new());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    Some(copy)
}

fn is_server_error<B>(response: &Response<B>) -> bool {
    response.status().is_server_error()
}

/// Sends one request through `client` and prints what came back, and how many attempts the
/// server saw.
async fn call<S, B>(client: &mut S, stock: &Stock, url: &str, method: Method, label: &str)
where
    S: Service<Request<Body>, Response = Response<B>, Error = BoxError>,
{
    let request = Request::builder()
        .method(method.clone())
        .uri(url)
        .body(Empty::new())
        .expect("a valid request");
    let before = stock.requests.load(Ordering::Relaxed);
    let start = Instant::now();
    let outcome = match client.ready().await {
        Ok(ready) => ready.call(request).await,
        Err(error) => Err(error),
    };
    let attempts = stock.requests.load(Ordering::Relaxed) - before;
    let took = start.elapsed().as_millis();
    let answer = match outcome {
        Ok(response) => response.status().to_string(),
        Err(error) => match error.downcast_ref::<Error>() {
            Some(layer) => format!("{layer}"),
            None => format!("client error: {error}"),
        },
    };
    println!(
        "  {label:<9} {method:<4} → {answer} ({attempts} attempt(s) reached the server, {took} ms)"
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stock = Arc::new(Stock::default());
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let url = format!("http://{}/stock", listener.local_addr()?);
    let app = Router::new()
        .route("/stock", any(stock_page))
        .with_state(Arc::clone(&stock));
    let server = tokio::spawn(axum::serve(listener, app).into_future());

    let breaker = CircuitBreakerConfig::new()
        .with_failure_threshold(3)
        .with_recovery_timeout(Duration::from_millis(400));
    let retry = RetryConfig::new()
        .with_max_attempts(3)
        .with_backoff(BackoffKind::Fixed)
        .with_initial_delay(Duration::from_millis(50))
        .with_jitter(Jitter::None);
    let mut client = ServiceBuilder::new()
        .layer(CircuitBreakerLayer::new("stock-api", breaker).record_if_ok(is_server_error))
        .layer(
            RetryLayer::new("stock-retry", retry)
                .when_ok(is_server_error)
                .clone_request(resend_if_idempotent),
        )
        .layer(TimeoutLayer::new(Duration::from_millis(250)))
        .service(Client::builder(TokioExecutor::new()).build_http::<Body>());

    println!("1. a flaky server: the retry and the timeout make every call succeed");
    for n in 1..=8 {
        call(&mut client, &stock, &url, Method::GET, &format!("call {n}")).await;
    }
    println!("2. a POST is not sent twice: its 503 is the answer");
    call(&mut client, &stock, &url, Method::POST, "call 9").await;

    println!("3. the server goes down: with the POST's 503, three failed calls open the breaker");
    stock.down.store(true, Ordering::Relaxed);
    for n in 10..=13 {
        call(&mut client, &stock, &url, Method::GET, &format!("call {n}")).await;
    }
    let breaker = registry().circuit_breaker("stock-api").expect("declared");
    println!("  breaker {:?}", breaker.state());

    println!("4. the server is back; after the recovery timeout the breaker lets calls through");
    stock.down.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(450)).await;
    for n in 14..=15 {
        call(&mut client, &stock, &url, Method::GET, &format!("call {n}")).await;
    }
    println!("  breaker {:?}", breaker.state());

    let retries = registry().retry("stock-retry").expect("declared").metrics();
    let calls = breaker.metrics();
    println!(
        "retry: {} calls, {} retries, {} succeeded after retrying, {} gave up",
        retries.calls, retries.retries, retries.succeeded_after_retry, retries.exhausted
    );
    println!(
        "breaker: {} successful, {} failed, {} not permitted",
        calls.successful, calls.failed, calls.not_permitted
    );
    server.abort();
    Ok(())
}
