//! The URL forms of `RESILIENCE_REDIS_URL` / `Registry::set_redis_url` against a real server:
//! a password, an ACL user with only the commands a limiter needs, a database number, a Unix
//! socket; and the mistakes: a wrong or missing password, a user without the rights, an
//! unparsable URL, a port with nothing listening. Each mistake is said in `last_error` (never
//! with the password) and leaves decisions to `on_backend_error` at once, not after a
//! timeout.
//!
//! Against a real `redis-server` (ignored unless run with `-- --ignored`, which `.ci/run`
//! does). Tests in this file run one at a time: they point the process-wide registry at
//! their own server.
#![cfg(feature = "redis")]

use std::time::Duration;

use resilience_runtime::rate_limit::{
    Backend, BackendStatus, OnBackendError, OnLimit, Rate, RateLimitConfig, RateLimiter,
};
use resilience_runtime::{Error, registry};

#[path = "support/redis_server.rs"]
mod redis_server;
use redis_server::{RedisServer, command, free_port, one_at_a_time, runtime};

/// Long, so that a mistake said before it is plainly not a time-out.
const BACKEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Two permits a minute: the third call is the server's rejection.
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

fn retry_after(result: Result<(), Error>) -> Option<Option<Duration>> {
    match result {
        Err(Error::RateLimited { retry_after, .. }) => Some(retry_after),
        _ => None,
    }
}

/// Two permits, then the server's rejection (with the time until the next permit).
async fn the_server_decides(limiter: &RateLimiter) {
    limiter.acquire().await.unwrap();
    limiter.acquire().await.unwrap();
    let after = retry_after(limiter.acquire().await).expect("the server's limit");
    assert!(after.is_some(), "the server says when");
    let status = status(limiter);
    assert!(status.available, "{status:?}");
    assert_eq!((status.decisions, status.errors), (3, 0));
}

/// The call is refused at once by the policy ("deny", no time until a permit), and the
/// error reads as `expected`.
async fn the_policy_decides(limiter: &RateLimiter, expected: &[&str]) -> String {
    let started = std::time::Instant::now();
    assert_eq!(retry_after(limiter.acquire().await), Some(None), "deny");
    assert!(
        started.elapsed() < BACKEND_TIMEOUT,
        "said before the time-out"
    );
    let status = status(limiter);
    assert!(!status.available);
    assert_eq!((status.decisions, status.errors), (0, 1));
    let error = status.last_error.expect("the error is shown");
    for word in expected {
        assert!(error.contains(word), "{word:?} in {error:?}");
    }
    error
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_password_in_the_url_and_the_wrong_one() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let port = server.port();
    runtime().block_on(async {
        registry().set_redis_url(format!("redis://:s3cret-pw@127.0.0.1:{port}/"));
        the_server_decides(&limiter("redis-urls-password")).await;

        registry().set_redis_url(format!("redis://:not-it@127.0.0.1:{port}/"));
        let error = the_policy_decides(
            &limiter("redis-urls-wrong-password"),
            &["authentication failed"],
        )
        .await;
        assert!(!error.contains("not-it"), "{error}");

        registry().set_redis_url(format!("redis://127.0.0.1:{port}/"));
        the_policy_decides(&limiter("redis-urls-no-password"), &["NOAUTH"]).await;
    });
}

/// The commands a limiter sends, and those its scripts call: what an ACL user needs.
const LIMITER_ACL: &[&str] = &[
    "on",
    ">limiter-pw",
    "resetkeys",
    "~resilience:*",
    "-@all",
    "+evalsha",
    "+eval",
    "+time",
    "+exists",
    "+get",
    "+set",
    "+del",
    "+pexpire",
    "+zadd",
    "+zrange",
    "+zrem",
    "+zremrangebyscore",
];

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn an_acl_user_with_the_limiters_commands_and_one_without() {
    let _serial = one_at_a_time();
    let server = RedisServer::start();
    let port = server.port();
    let mut admin = server.admin();
    let mut setuser = vec!["ACL", "SETUSER", "limiter"];
    setuser.extend_from_slice(LIMITER_ACL);
    let _: () = command(&mut admin, &setuser);
    // Another user whose keys are elsewhere.
    let _: () = command(
        &mut admin,
        &[
            "ACL",
            "SETUSER",
            "elsewhere",
            "on",
            ">other-pw",
            "~cache:*",
            "+@all",
        ],
    );
    runtime().block_on(async {
        registry().set_redis_url(format!("redis://limiter:limiter-pw@127.0.0.1:{port}/"));
        the_server_decides(&limiter("redis-urls-acl")).await;

        // Waiters that give up hand their reservations back: the give-back script too.
        let waits = RateLimiter::new(
            "redis-urls-acl-give-back",
            RateLimitConfig::new(Rate::per_second(1))
                .with_burst(1)
                .with_backend(Backend::Redis)
                .with_backend_timeout(BACKEND_TIMEOUT),
        );
        waits.acquire().await.unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(50), waits.acquire())
                .await
                .is_err()
        );
        let mut given_back = 0;
        for _ in 0..100 {
            given_back = status(&waits).give_backs;
            if given_back == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(given_back, 1, "{:?}", status(&waits));
        assert_eq!(status(&waits).errors, 0);

        registry().set_redis_url(format!("redis://elsewhere:other-pw@127.0.0.1:{port}/"));
        let error =
            the_policy_decides(&limiter("redis-urls-acl-denied"), &["NoPerm", "keys"]).await;
        assert!(!error.contains("other-pw"), "{error}");
    });
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_unix_socket() {
    let _serial = one_at_a_time();
    let dir = redis_server::TempDir::new("socket");
    let socket = dir.0.join("redis.sock");
    let socket_arg = socket.to_str().unwrap();
    let server = RedisServer::start_with(&["--unixsocket", socket_arg, "--unixsocketperm", "700"]);
    runtime().block_on(async {
        registry().set_redis_url(format!("redis+unix://{socket_arg}"));
        the_server_decides(&limiter("redis-urls-unix")).await;
    });
    drop(server);
}

#[test]
#[ignore = "needs redis-server on PATH: run with `-- --ignored` (see rate_limit_redis.rs)"]
fn a_database_number_with_a_password() {
    let _serial = one_at_a_time();
    let server = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let port = server.port();
    let mut admin = server.admin_at(&format!("redis://:s3cret-pw@127.0.0.1:{port}/"));
    runtime().block_on(async {
        registry().set_redis_url(format!("redis://:s3cret-pw@127.0.0.1:{port}/3"));
        the_server_decides(&limiter("redis-urls-db")).await;
        // A limiter on database 0 of the same server keeps a limit of its own.
        registry().set_redis_url(format!("redis://:s3cret-pw@127.0.0.1:{port}/0"));
        the_server_decides(&limiter("redis-urls-db")).await;
    });
    let pattern = "resilience:rate_limit:*redis-urls-db";
    for db in ["3", "0"] {
        let _: () = command(&mut admin, &["SELECT", db]);
        let keys: Vec<String> = command(&mut admin, &["KEYS", pattern]);
        assert_eq!(keys.len(), 1, "database {db}: {keys:?}");
    }
    let _: () = command(&mut admin, &["SELECT", "5"]);
    let keys: Vec<String> = command(&mut admin, &["KEYS", "resilience:*"]);
    assert!(keys.is_empty(), "{keys:?}");
}

/// Needs no server: it runs in the plain `cargo test` too.
#[test]
fn an_unparsable_url_and_a_port_with_nothing_listening() {
    let _serial = one_at_a_time();
    runtime().block_on(async {
        registry().set_redis_url("127.0.0.1:6379");
        the_policy_decides(&limiter("redis-urls-unparsable"), &["is not a Redis URL"]).await;

        registry().set_redis_url("redis://user:pw@127.0.0.1:notaport/");
        let error =
            the_policy_decides(&limiter("redis-urls-bad-port"), &["not a valid Redis URL"]).await;
        assert!(!error.contains(":pw@"), "{error}");

        // A port nothing listens on: refused at once.
        registry().set_redis_url(format!("redis://127.0.0.1:{}/", free_port()));
        the_policy_decides(&limiter("redis-urls-refused"), &["refused"]).await;
    });
}
