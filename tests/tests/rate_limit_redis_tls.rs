//! `rediss://` (feature `redis-tls`) against a real `redis-server` listening on TLS only, with
//! a certificate authority and a server certificate this file makes (rcgen) for each test:
//! a limiter that trusts the authority through `RESILIENCE_REDIS_CA` decides through the
//! server; one that does not trust it reads a TLS error in `last_error`, said at once rather
//! than after `backend_timeout`; a server that never finishes the handshake (a silent one, or
//! a plain port) holds no call past `backend_timeout`.
//!
//! Against a real server (ignored unless run with `-- --ignored`, which `.ci/run` does); the
//! silent server needs none. Tests in this file run one at a time: they point the
//! process-wide registry at their own server and set `RESILIENCE_REDIS_CA`.
#![cfg(feature = "redis-tls")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use resilience_runtime::rate_limit::{
    Backend, BackendStatus, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{RedisServer, TempDir, free_port, one_at_a_time, runtime};

const CA_VARIABLE: &str = "RESILIENCE_REDIS_CA";

/// Sets `RESILIENCE_REDIS_CA` (removes it for `None`).
fn trust(ca: Option<&Path>) {
    // SAFETY: tests in this file run one at a time (`one_at_a_time`), and nothing else in
    // this binary reads or writes the environment meanwhile.
    unsafe {
        match ca {
            Some(path) => std::env::set_var(CA_VARIABLE, path),
            None => std::env::remove_var(CA_VARIABLE),
        }
    }
}

/// Long, so that an error said before it is plainly not a time-out.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(5);

fn limiter(name: &'static str) -> RateLimiter {
    RateLimiter::new(
        name,
        RateLimitConfig::new(Rate::per_minute(2))
            .with_on_limit(OnLimit::Reject)
            .with_backend(Backend::Redis)
            .with_on_backend_error(OnBackendError::Deny)
            .with_backend_timeout(BACKEND_TIMEOUT),
    )
}

fn status(limiter: &RateLimiter) -> BackendStatus {
    limiter.snapshot().backend.expect("a remote backend")
}

/// A certificate authority and a server certificate it signed for `localhost` and
/// `127.0.0.1`, as PEM files in `dir`.
struct Certificates {
    ca: PathBuf,
    server: PathBuf,
    key: PathBuf,
}

impl Certificates {
    fn make(dir: &Path, label: &str) -> Self {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, format!("resilience test CA {label}"));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_certificate = ca.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca, ca_key);
        let server_key = KeyPair::generate().unwrap();
        let mut server =
            CertificateParams::new(vec![String::from("localhost"), String::from("127.0.0.1")])
                .unwrap();
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        let server_certificate = server.signed_by(&server_key, &issuer).unwrap();
        let files = Self {
            ca: dir.join(format!("{label}-ca.pem")),
            server: dir.join(format!("{label}-server.pem")),
            key: dir.join(format!("{label}-server.key")),
        };
        std::fs::write(&files.ca, ca_certificate.pem()).unwrap();
        std::fs::write(&files.server, server_certificate.pem()).unwrap();
        std::fs::write(&files.key, server_key.serialize_pem()).unwrap();
        files
    }
}

/// A server on TLS only, with `certificates`; its TLS port.
fn tls_server(certificates: &Certificates) -> (RedisServer, u16) {
    let port = free_port();
    let arg = |path: &Path| path.to_str().unwrap().to_owned();
    let server = RedisServer::start_with(&[
        "--port",
        "0",
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        &arg(&certificates.server),
        "--tls-key-file",
        &arg(&certificates.key),
        "--tls-ca-cert-file",
        &arg(&certificates.ca),
        "--tls-auth-clients",
        "no",
    ]);
    (server, port)
}

/// The call is refused at once by the policy ("deny"), with a TLS error naming `expected`.
async fn a_tls_error(limiter: &RateLimiter, expected: &str) -> String {
    let started = std::time::Instant::now();
    match limiter.acquire().await {
        Err(Error::RateLimited {
            retry_after: None, ..
        }) => {}
        other => panic!("deny, not {other:?}"),
    }
    assert!(
        started.elapsed() < BACKEND_TIMEOUT,
        "said before the time-out"
    );
    let status = status(limiter);
    assert!(!status.available);
    assert_eq!((status.decisions, status.errors), (0, 1));
    let error = status.last_error.expect("the error is shown");
    assert!(error.starts_with("TLS: "), "{error}");
    assert!(error.contains(expected), "{expected:?} in {error:?}");
    error
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_limiter_that_trusts_the_servers_authority_decides_through_it() {
    let _serial = one_at_a_time();
    let dir = TempDir::new("tls");
    let certificates = Certificates::make(&dir.0, "trusted");
    let (server, port) = tls_server(&certificates);
    trust(Some(&certificates.ca));
    runtime().block_on(async {
        for (name, host) in [
            ("redis-tls-by-address", "127.0.0.1"),
            ("redis-tls-by-name", "localhost"),
        ] {
            registry().set_redis_url(format!("rediss://{host}:{port}/"));
            let limiter = limiter(name);
            limiter.acquire().await.unwrap();
            limiter.acquire().await.unwrap();
            match limiter.acquire().await {
                Err(Error::RateLimited {
                    retry_after: Some(_),
                    ..
                }) => {}
                other => panic!("the server's refusal, not {other:?}"),
            }
            let status = status(&limiter);
            assert!(status.available, "{status:?}");
            assert_eq!((status.decisions, status.errors), (3, 0));
        }
    });
    trust(None);
    drop(server);
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn an_untrusted_server_is_a_tls_error_said_at_once() {
    let _serial = one_at_a_time();
    let dir = TempDir::new("tls");
    let certificates = Certificates::make(&dir.0, "server");
    let other = Certificates::make(&dir.0, "other");
    let (server, port) = tls_server(&certificates);
    runtime().block_on(async {
        registry().set_redis_url(format!("rediss://127.0.0.1:{port}/"));
        // The platform's roots alone do not know the test's authority.
        trust(None);
        a_tls_error(
            &limiter("redis-tls-platform-roots"),
            "invalid peer certificate",
        )
        .await;
        // Nor does another authority.
        trust(Some(&other.ca));
        a_tls_error(&limiter("redis-tls-other-ca"), "invalid peer certificate").await;
        // A file that is not there.
        let missing = dir.0.join("missing.pem");
        trust(Some(&missing));
        a_tls_error(
            &limiter("redis-tls-missing-ca"),
            "cannot read RESILIENCE_REDIS_CA",
        )
        .await;
    });
    trust(None);
    drop(server);
}

/// A plain server takes the TLS greeting for an unfinished command and waits for the rest:
/// the call ends at `backend_timeout`, as with any silent server.
#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn tls_to_a_plain_port_ends_at_backend_timeout() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    runtime().block_on(async {
        trust(None);
        registry().set_redis_url(format!("rediss://127.0.0.1:{}/", server.port()));
        let limiter = RateLimiter::new(
            "redis-tls-plain-port",
            RateLimitConfig::new(Rate::per_second(1))
                .with_on_limit(OnLimit::Reject)
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Allow)
                .with_backend_timeout(Duration::from_millis(200)),
        );
        limiter.acquire().await.unwrap();
        let status = status(&limiter);
        assert_eq!((status.errors, status.fallback_decisions), (1, 1));
        assert_eq!(status.last_error.as_deref(), Some("no answer within 200ms"));
    });
}

/// A server that accepts the connection and never answers the handshake: the call ends at
/// `backend_timeout`, on tokio's paused clock, so the time is exact.
#[test]
fn a_handshake_never_answered_holds_no_call_past_backend_timeout() {
    let _serial = one_at_a_time();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        registry().set_redis_url(format!("rediss://127.0.0.1:{port}/"));
        let limiter = RateLimiter::new(
            "redis-tls-silent",
            RateLimitConfig::new(Rate::per_second(1))
                .with_on_limit(OnLimit::Reject)
                .with_backend(Backend::Redis)
                .with_on_backend_error(OnBackendError::Allow)
                .with_backend_timeout(Duration::from_millis(50)),
        );
        let started = tokio::time::Instant::now();
        limiter.acquire().await.unwrap();
        assert_eq!(started.elapsed(), Duration::from_millis(50));
        let status = status(&limiter);
        assert_eq!((status.errors, status.fallback_decisions), (1, 1));
        assert_eq!(status.last_error.as_deref(), Some("no answer within 50ms"));
        drop(listener);
    });
}
