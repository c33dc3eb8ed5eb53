//! A `redis-server` of one test, on a free loopback port, killed on drop; shared by the test
//! files that need a real server (`#[path]`-included, each file uses what it needs).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One test at a time: each points the registry at its own server (or cluster).
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One thread, so that a test can pause tokio's clock once its instances are connected.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Two worker threads on real time, for calls that meet at the server from both.
pub fn two_threads() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A `redis-server` of this test alone, killed on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
    args: Vec<String>,
    dir: TempDir,
}

/// A free loopback port (free when asked: the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

impl RedisServer {
    /// Starts a server on a free loopback port.
    ///
    /// # Panics
    ///
    /// When `redis-server` is not on `PATH`: a test that needs it and runs without it fails.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server on a free loopback port with these extra `redis-server` arguments
    /// (`--requirepass`, `--tls-port`, ...).
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_with(args: &[&str]) -> Self {
        Self::spawn(
            free_port(),
            args.iter().map(|arg| (*arg).to_owned()).collect(),
        )
    }

    /// Starts a server on `port` (a restart of one that was stopped).
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    pub fn start_on(port: u16) -> Self {
        Self::spawn(port, Vec::new())
    }

    fn spawn(port: u16, args: Vec<String>) -> Self {
        let binary = find_on_path("redis-server").unwrap_or_else(|| {
            panic!("needs redis-server on PATH; install it (e.g. `apt-get install redis-server`)")
        });
        let dir = TempDir::new("redis");
        let child = Command::new(binary)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(&dir.0)
            .arg("--logfile")
            .arg(dir.0.join("redis.log"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Self {
            child,
            port,
            args,
            dir,
        };
        server.wait_until_ready();
        server
    }

    /// The server's loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's own directory (its log, its sockets), removed on drop.
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// Waits (a bounded number of short polls) until the server says it is ready: whatever
    /// it listens on (TCP, TLS, a Unix socket) and whatever it asks of clients first.
    fn wait_until_ready(&self) {
        let log = self.dir.0.join("redis.log");
        for _ in 0..400 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("Ready to accept connections") {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        panic!(
            "redis-server {:?} did not start on port {}: {text}",
            self.args, self.port
        );
    }

    /// A connection of the test's own, for commands the limiter never sends (faults,
    /// configuration), as user `default` with no password.
    pub fn admin(&self) -> redis::Connection {
        self.admin_at(&self.url())
    }

    /// A connection of the test's own at `url` (with a password, say).
    pub fn admin_at(&self, url: &str) -> redis::Connection {
        let client = redis::Client::open(url).expect("a valid admin URL");
        let connection = client
            .get_connection_with_timeout(Duration::from_secs(5))
            .expect("the test reaches its server");
        connection
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        connection
    }

    /// Stops the server now (as a crash would: no goodbye to clients).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `args` as one command on `connection`.
pub fn command<T: redis::FromRedisValue>(connection: &mut redis::Connection, args: &[&str]) -> T {
    let mut command = redis::cmd(args[0]);
    for arg in &args[1..] {
        command.arg(*arg);
    }
    command
        .query(connection)
        .unwrap_or_else(|error| panic!("{args:?}: {error}"))
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("resilience-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("a temporary directory");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn find_on_path(binary: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(binary))
        .find(|path| path.is_file())
}
