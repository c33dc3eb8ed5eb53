//! An HTTP client that waits as long as the server asks: `Retry-After` in seconds or as an
//! HTTP-date, read by `resilience_runtime::http` and fed to `#[retry]`.
//!
//! A small axum server on loopback answers `GET /stock` with 503 twice, first with
//! `Retry-After: 1`, then with `Retry-After: <an HTTP-date two seconds ahead>`, and then with
//! 200. The reqwest client below retries transient statuses, and each wait is the server's
//! hint instead of the 100 ms backoff (two to three seconds in all):
//!
//! ```text
//! cargo run -p resilience-examples --example http_client
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::IntoResponse;
use axum::routing::get;
use resilience_runtime::{http, retry, timeout};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
enum FetchError {
    #[error("the server answered {status}")]
    Status {
        status: reqwest::StatusCode,
        retry_after: Option<Duration>,
    },
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl FetchError {
    /// What is worth another attempt: a transient status, a failed connection, an attempt
    /// that timed out.
    fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => http::is_transient(*status),
            Self::Transport(error) => error.is_connect() || error.is_timeout(),
            Self::Resilience(error) => matches!(error, resilience_runtime::Error::Timeout { .. }),
        }
    }

    /// The server's own idea of when to come back.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::Transport(_) | Self::Resilience(_) => None,
        }
    }
}

/// Reads the stock, retrying transient answers after the server's `Retry-After` (at most
/// 5s each); each attempt has 2s.
#[retry(
    name = "stock-client",
    max_attempts = 4,
    initial_delay = "100ms",
    max_delay = "5s",
    when = FetchError::is_transient,
    retry_after = FetchError::retry_after
)]
#[timeout("2s")]
async fn fetch_stock(client: &reqwest::Client, url: &str) -> Result<String, FetchError> {
    let response = client.get(url).send().await?;
    let status = response.status();
    if !status.is_success() {
        let retry_after = http::retry_after(response.headers());
        println!("  {status}, Retry-After {retry_after:?}");
        return Err(FetchError::Status {
            status,
            retry_after,
        });
    }
    Ok(response.text().await?)
}

static REQUESTS: AtomicU32 = AtomicU32::new(0);

/// Busy twice, with a hint in each of `Retry-After`'s forms, then an answer.
async fn stock() -> impl IntoResponse {
    let busy = StatusCode::SERVICE_UNAVAILABLE;
    match REQUESTS.fetch_add(1, Ordering::SeqCst) {
        0 => (busy, [(RETRY_AFTER, "1".to_owned())], "busy").into_response(),
        1 => {
            let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            (busy, [(RETRY_AFTER, date)], "still busy").into_response()
        }
        _ => "42 in stock".into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,resilience_runtime=debug".into()),
        )
        .init();

    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    let url = format!("http://{}/stock", listener.local_addr()?);
    let server = tokio::spawn(async move {
        let app = Router::new().route("/stock", get(stock));
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the server stopped");
        }
    });

    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    println!("GET {url}");
    let stock = fetch_stock(&client, &url).await?;
    println!(
        "{stock:?} after {} requests in {:.1?}",
        REQUESTS.load(Ordering::SeqCst),
        started.elapsed()
    );
    server.abort();
    Ok(())
}
