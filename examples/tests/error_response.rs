//! `resilience_runtime::Error` as an axum response, over real HTTP: handlers on a loopback
//! server return it (directly, or from fns behind resilience attributes), and hyper's client
//! reads the status, `Retry-After` and the JSON body.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use resilience_runtime::{Error, circuit_breaker, rate_limit, registry};
use serde_json::Value;

#[rate_limit(name = "response-api", rate = "1/h", on_limit = "reject")]
async fn hourly() -> Result<&'static str, Error> {
    Ok("the hour's call")
}

#[circuit_breaker(name = "response-db", failure_threshold = 1, recovery_timeout = "1h")]
async fn guarded() -> Result<&'static str, Error> {
    Ok("answered")
}

/// Routes that fail with each kind of error, and two guarded by attributes.
fn app() -> Router {
    let fail = |error: Error| move || async move { Err::<(), Error>(error) };
    Router::new()
        .route(
            "/rate-limited",
            get(fail(Error::rate_limited(
                "api",
                Some(Duration::from_millis(200)),
            ))),
        )
        .route(
            "/rate-limited-now",
            get(fail(Error::rate_limited("api", Some(Duration::ZERO)))),
        )
        .route(
            "/rate-limited-unknown",
            get(fail(Error::rate_limited("api", None))),
        )
        .route(
            "/circuit-open",
            get(fail(Error::circuit_open(
                "db",
                Some(Duration::from_secs(30)),
            ))),
        )
        .route(
            "/circuit-open-unknown",
            get(fail(Error::circuit_open("db", None))),
        )
        .route("/bulkhead-full", get(fail(Error::bulkhead_full("pool", 8))))
        .route(
            "/timeout",
            get(fail(Error::timeout(Duration::from_millis(500)))),
        )
        .route("/hourly", get(hourly))
        .route("/guarded", get(guarded))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

/// Serves [`app`] on an ephemeral loopback port and sends each path a `GET` there.
async fn get_all(paths: &[&str]) -> Vec<Answer> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    let server = tokio::spawn(async move {
        axum::serve(listener, app()).await.expect("server runs");
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut answers = Vec::new();
    for path in paths {
        let request = Request::get(format!("{base}{path}"))
            .body(Body::empty())
            .expect("valid request");
        let response = client.request(request).await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("a body");
        let json = serde_json::from_slice(&body.to_bytes()).unwrap_or(Value::Null);
        answers.push(Answer {
            status,
            headers,
            json,
        });
    }
    server.abort();
    answers
}

fn retry_after(answer: &Answer) -> Option<&str> {
    answer
        .headers
        .get(header::RETRY_AFTER)
        .map(|value| value.to_str().expect("ASCII"))
}

#[tokio::test]
async fn each_error_has_its_status_retry_after_and_json_body() {
    let cases = [
        (
            "/rate-limited",
            429,
            Some("1"),
            "rate limit `api` exceeded; retry after 200ms",
        ),
        (
            "/rate-limited-now",
            429,
            Some("0"),
            "rate limit `api` exceeded; retry after 0ns",
        ),
        (
            "/rate-limited-unknown",
            429,
            None,
            "rate limit `api` exceeded",
        ),
        (
            "/circuit-open",
            503,
            Some("30"),
            "circuit breaker `db` is open; retry after 30s",
        ),
        (
            "/circuit-open-unknown",
            503,
            None,
            "circuit breaker `db` is open",
        ),
        (
            "/bulkhead-full",
            503,
            None,
            "bulkhead `pool` is full (8 calls in flight)",
        ),
        ("/timeout", 504, None, "call timed out after 500ms"),
    ];
    let paths: Vec<&str> = cases.iter().map(|case| case.0).collect();
    for (answer, (path, status, hint, message)) in get_all(&paths).await.iter().zip(cases) {
        assert_eq!(answer.status.as_u16(), status, "{path}");
        assert_eq!(retry_after(answer), hint, "{path}");
        assert_eq!(
            answer.headers[header::CONTENT_TYPE],
            "application/json",
            "{path}"
        );
        assert_eq!(
            answer.json,
            serde_json::json!({ "error": message, "status": status }),
            "{path}"
        );
    }
}

#[tokio::test]
async fn handlers_behind_attributes_answer_with_the_layers_rejection() {
    let answers = get_all(&["/hourly", "/hourly", "/guarded"]).await;
    assert_eq!(answers[0].status, StatusCode::OK);
    assert_eq!(answers[1].status, StatusCode::TOO_MANY_REQUESTS);
    // The limiter's next permit is an hour away, a little less by the time it answers.
    let hint: u64 = retry_after(&answers[1]).unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&hint), "{hint}");
    assert_eq!(answers[2].status, StatusCode::OK);

    // One failure opens the breaker for an hour, a little less by the time it answers (the
    // header rounds up); a forced-open one knows no time.
    let breaker = registry().circuit_breaker("response-db").unwrap();
    breaker.try_acquire().unwrap().record_failure();
    let answers = get_all(&["/guarded"]).await;
    assert_eq!(answers[0].status, StatusCode::SERVICE_UNAVAILABLE);
    let hint: u64 = retry_after(&answers[0]).unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&hint), "{hint}");
    let message = answers[0].json["error"].as_str().unwrap();
    assert!(
        message.starts_with("circuit breaker `response-db` is open; retry after "),
        "{message}"
    );
    breaker.force_open();
    let answers = get_all(&["/guarded"]).await;
    assert_eq!(answers[0].status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(retry_after(&answers[0]), None);
}
