//! The registry as an operator's window: a status endpoint, breaker control and Prometheus
//! metrics over HTTP.
//!
//! A small scripted workload runs first (a payments breaker trips, a rate limit rejects,
//! retries recover), then a background caller keeps the numbers moving while the server
//! answers on loopback until Ctrl-C:
//!
//! ```text
//! cargo run -p resilience-examples --example status_server -- 8080   # or RESILIENCE_STATUS_PORT
//! curl -s localhost:8080/resilience/status                        # JSON
//! curl -s -H 'Accept: text/plain' localhost:8080/resilience/status # tables
//! curl -s -X POST localhost:8080/resilience/breakers/payments/reset
//! curl -s -X POST localhost:8080/resilience/breakers/payments/force-open
//! curl -s localhost:8080/metrics                                  # Prometheus text
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, registry, retry};

/// The port when neither the first argument nor `RESILIENCE_STATUS_PORT` gives one.
const DEFAULT_PORT: u16 = 8080;

/// What the simulated services fail with.
#[derive(Debug, thiserror::Error)]
enum ServiceError {
    #[error("payment gateway returned 502")]
    BadGateway,
    #[error("catalog replica lagging")]
    Lagging,
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

static PAYMENTS: AtomicU32 = AtomicU32::new(0);
static CATALOG: AtomicU32 = AtomicU32::new(0);

/// A payment gateway that fails its first four calls, then recovers.
#[circuit_breaker(name = "payments", failure_threshold = 3, recovery_timeout = "10s")]
async fn charge(cents: u32) -> Result<u32, ServiceError> {
    if PAYMENTS.fetch_add(1, Ordering::Relaxed) < 4 {
        return Err(ServiceError::BadGateway);
    }
    Ok(cents)
}

/// A catalog whose every third call fails once, behind a retry, a limit and a pool.
#[retry(
    name = "catalog-retry",
    max_attempts = 3,
    initial_delay = "5ms",
    jitter = "none"
)]
#[rate_limit(name = "catalog-api", rate = "20/s", on_limit = "reject")]
#[bulkhead(name = "catalog-pool", max_concurrent = 4)]
async fn item(id: u32) -> Result<String, ServiceError> {
    if CATALOG.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
        return Err(ServiceError::Lagging);
    }
    Ok(format!("item-{id}"))
}

/// Trips the payments breaker and pushes the catalog into its rate limit.
async fn scripted_workload() {
    for cents in [100, 200, 300, 400] {
        if let Err(error) = charge(cents).await {
            tracing::info!(%error, "charge failed");
        }
    }
    for id in 0..30 {
        if let Err(error) = item(id).await {
            tracing::info!(%error, "catalog call failed");
        }
    }
}

/// The port from the first argument, else `RESILIENCE_STATUS_PORT`, else [`DEFAULT_PORT`].
fn port() -> Result<u16, String> {
    let given = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("RESILIENCE_STATUS_PORT").ok());
    match given {
        None => Ok(DEFAULT_PORT),
        Some(text) => text
            .parse()
            .map_err(|_| format!("not a port number: {text:?}")),
    }
}

/// `/metrics`: the registry's counts, copied into the recorder right before rendering.
fn metrics_route(prometheus: PrometheusHandle) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let prometheus = prometheus.clone();
            async move {
                resilience_runtime::metrics::record();
                prometheus.render()
            }
        }),
    )
}

async fn shutdown_signal() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        tracing::error!(%error, "cannot listen for Ctrl-C; stopping");
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,resilience_runtime=debug".into()),
        )
        .init();
    let prometheus = PrometheusBuilder::new().install_recorder()?;
    let port = port()?;

    scripted_workload().await;
    println!("{}", registry().snapshot());

    // Keeps the catalog busy so the numbers move between two looks.
    let background = tokio::spawn(async {
        let mut ticks = tokio::time::interval(Duration::from_millis(500));
        for id in 0.. {
            ticks.tick().await;
            let _ = item(id).await;
        }
    });

    let app = resilience_runtime::status::router().merge(metrics_route(prometheus));
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!("serving http://{address}/resilience/status and /metrics; Ctrl-C stops");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    background.abort();
    Ok(())
}
