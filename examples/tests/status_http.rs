//! The status endpoint over real HTTP: `resilience_runtime::status::router()` served on
//! loopback, called with hyper's client.

use std::net::{Ipv4Addr, SocketAddr};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use resilience_runtime::circuit_breaker::{CircuitBreakerConfig, CircuitState};
use resilience_runtime::{Error, circuit_breaker, registry};
use serde_json::Value;

#[circuit_breaker(name = "http-payments", failure_threshold = 2)]
async fn pay(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::timeout(std::time::Duration::from_secs(1)))
    }
}

/// The router on an ephemeral loopback port, and a client for it.
struct Server {
    base: String,
    client: Client<HttpConnector, Body>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("bind loopback");
        let address = listener.local_addr().expect("bound address");
        let task = tokio::spawn(async move {
            axum::serve(listener, resilience_runtime::status::router())
                .await
                .expect("server runs");
        });
        Self {
            base: format!("http://{address}"),
            client: Client::builder(TokioExecutor::new()).build_http(),
            task,
        }
    }

    /// Sends a request; answers with the response, its body unread.
    async fn request(
        &self,
        method: Method,
        path: &str,
        accept: Option<&str>,
    ) -> Response<Incoming> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(accept) = accept {
            request = request.header(header::ACCEPT, accept);
        }
        self.client
            .request(request.body(Body::empty()).expect("valid request"))
            .await
            .expect("the server answers")
    }

    /// Sends a request; answers with the status, the content type and the body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        accept: Option<&str>,
    ) -> (StatusCode, String, Bytes) {
        let response = self.request(method, path, accept).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a whole body")
            .to_bytes();
        (status, content_type, body)
    }

    async fn json(&self, method: Method, path: &str) -> (StatusCode, Value) {
        let (status, content_type, body) = self.send(method, path, None).await;
        assert_eq!(content_type, "application/json", "{path}");
        let json = serde_json::from_slice(&body).expect("JSON body");
        (status, json)
    }

    /// Asserts an error answer: its status and a JSON body naming the problem.
    async fn expect_error(&self, method: Method, path: &str, status: StatusCode, says: &str) {
        let (actual, json) = self.json(method.clone(), path).await;
        assert_eq!(actual, status, "{method} {path}: {json}");
        assert_eq!(json["status"], status.as_u16(), "{json}");
        let error = json["error"].as_str().expect("an error message");
        assert!(
            error.contains(says),
            "{method} {path}: {error:?} lacks {says:?}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn status_shows_every_kind_as_json_and_as_tables() {
    pay(true).await.unwrap();
    let _ = pay(false).await;
    registry().register_bulkhead(
        "http-pool",
        resilience_runtime::bulkhead::BulkheadConfig::new(3),
    );
    let server = Server::start().await;

    let (status, json) = server.json(Method::GET, "/resilience/status").await;
    assert_eq!(status, StatusCode::OK);
    for kind in [
        "circuit_breakers",
        "rate_limiters",
        "bulkheads",
        "retries",
        "conflicts",
    ] {
        assert!(json[kind].is_array(), "{kind} missing from {json}");
    }
    let breaker = json["circuit_breakers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|breaker| breaker["name"] == "http-payments")
        .expect("the breaker is listed");
    assert_eq!(breaker["state"], "closed");
    assert_eq!(breaker["config"]["failure_threshold"], 2);
    assert_eq!(breaker["metrics"]["successful"], 1);
    assert_eq!(breaker["metrics"]["failed"], 1);
    let pool = json["bulkheads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pool| pool["name"] == "http-pool")
        .expect("the bulkhead is listed");
    assert_eq!(pool["config"]["max_concurrent"], 3);
    assert_eq!(pool["metrics"]["in_flight"], 0);

    let (status, content_type, body) = server
        .send(Method::GET, "/resilience/status", Some("text/plain"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let tables = String::from_utf8(body.to_vec()).unwrap();
    assert!(tables.contains("Circuit breakers"), "{tables}");
    assert!(tables.contains("http-payments"), "{tables}");
    assert!(tables.contains("http-pool"), "{tables}");
}

#[tokio::test]
async fn each_action_changes_the_breaker_state() {
    let breaker = registry().register_circuit_breaker(
        "http-controlled",
        CircuitBreakerConfig::new().with_failure_threshold(1),
    );
    let server = Server::start().await;
    let path = |action: &str| format!("/resilience/breakers/http-controlled/{action}");

    let (status, json) = server.json(Method::POST, &path("force-open")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["state"], "forced_open");
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);

    let (status, json) = server.json(Method::POST, &path("close")).await;
    assert_eq!((status, &json["state"]), (StatusCode::OK, &"closed".into()));
    assert_eq!(breaker.state(), CircuitState::Closed);

    let (status, json) = server.json(Method::POST, &path("disable")).await;
    assert_eq!(
        (status, &json["state"]),
        (StatusCode::OK, &"disabled".into())
    );
    assert_eq!(breaker.state(), CircuitState::Disabled);

    let (status, json) = server.json(Method::POST, &path("metrics-only")).await;
    assert_eq!(
        (status, &json["state"]),
        (StatusCode::OK, &"metrics_only".into())
    );
    assert_eq!(breaker.state(), CircuitState::MetricsOnly);

    // Open it the ordinary way, then reset it over HTTP: closed, with its counts cleared.
    breaker.close();
    breaker.try_acquire().unwrap().record_failure();
    assert_eq!(breaker.state(), CircuitState::Open);
    let (status, json) = server.json(Method::POST, &path("reset")).await;
    assert_eq!((status, &json["state"]), (StatusCode::OK, &"closed".into()));
    assert_eq!(json["metrics"]["failed"], 0);
    assert_eq!(breaker.state(), CircuitState::Closed);

    let (status, json) = server
        .json(Method::GET, "/resilience/breakers/http-controlled")
        .await;
    assert_eq!(
        (status, &json["name"]),
        (StatusCode::OK, &"http-controlled".into())
    );
    let reasons: Vec<&str> = json["recent_transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.ends_with(&["1 consecutive failures", "reset"]),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_the_server_keeps_serving() {
    registry().register_circuit_breaker("http-untouched", CircuitBreakerConfig::new());
    let server = Server::start().await;

    server
        .expect_error(
            Method::POST,
            "/resilience/breakers/no-such-breaker/reset",
            StatusCode::NOT_FOUND,
            "no circuit breaker named `no-such-breaker`",
        )
        .await;
    server
        .expect_error(
            Method::GET,
            "/resilience/breakers/no-such-breaker",
            StatusCode::NOT_FOUND,
            "no circuit breaker named",
        )
        .await;
    server
        .expect_error(
            Method::POST,
            "/resilience/breakers/http-untouched/explode",
            StatusCode::NOT_FOUND,
            "unknown action `explode`; one of reset, force-open, disable, close",
        )
        .await;
    server
        .expect_error(
            Method::GET,
            "/resilience/breakers/http-untouched/reset",
            StatusCode::METHOD_NOT_ALLOWED,
            "`GET` is not allowed",
        )
        .await;
    server
        .expect_error(
            Method::DELETE,
            "/resilience/status",
            StatusCode::METHOD_NOT_ALLOWED,
            "`DELETE` is not allowed on `/resilience/status`",
        )
        .await;
    // A 405 names the methods that are allowed.
    for (method, path, allowed) in [
        (Method::DELETE, "/resilience/status", "GET,HEAD"),
        (
            Method::GET,
            "/resilience/breakers/http-untouched/reset",
            "POST",
        ),
    ] {
        let response = server.request(method, path, None).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], allowed, "{path}");
    }
    for path in [
        "/",
        "/resilience",
        "/resilience/status/extra",
        "/resilience/breakers",
        "/resilience/breakers/http-untouched/reset/again",
    ] {
        server
            .expect_error(Method::GET, path, StatusCode::NOT_FOUND, "no endpoint at")
            .await;
    }
    // Not UTF-8 once percent-decoded.
    server
        .expect_error(
            Method::POST,
            "/resilience/breakers/%FF%FE/reset",
            StatusCode::BAD_REQUEST,
            "UTF-8",
        )
        .await;

    // None of it touched the breaker, and the server still answers.
    assert_eq!(
        registry()
            .circuit_breaker("http-untouched")
            .unwrap()
            .state(),
        CircuitState::Closed
    );
    let (status, _) = server.json(Method::GET, "/resilience/status").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn names_with_reserved_characters_are_percent_encoded() {
    let breaker = registry().register_circuit_breaker("http/odd name", CircuitBreakerConfig::new());
    let server = Server::start().await;
    let (status, json) = server
        .json(
            Method::POST,
            "/resilience/breakers/http%2Fodd%20name/force-open",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["name"], "http/odd name");
    assert_eq!(breaker.state(), CircuitState::ForcedOpen);
}
