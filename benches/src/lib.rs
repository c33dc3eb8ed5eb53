//! Shared helpers for the benchmarks.

/// A `redis-server` on a free loopback port, killed on drop.
#[cfg(feature = "redis")]
pub mod redis_server {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    /// A running server.
    pub struct RedisServer {
        child: Child,
        port: u16,
    }

    impl RedisServer {
        /// Starts one (no persistence, `127.0.0.1` only), or `None` without `redis-server`
        /// on `PATH`.
        #[must_use]
        pub fn start() -> Option<Self> {
            let binary = std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join("redis-server"))
                .find(|path: &PathBuf| path.is_file())?;
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .ok()?
                .port();
            let child = Command::new(binary)
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let server = Self { child, port };
            for _ in 0..200 {
                if server.answers() {
                    return Some(server);
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            None
        }

        fn answers(&self) -> bool {
            let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
                return false;
            };
            let mut reply = [0; 7];
            stream
                .set_read_timeout(Some(Duration::from_secs(1)))
                .is_ok()
                && stream.write_all(b"PING\r\n").is_ok()
                && stream.read_exact(&mut reply).is_ok()
                && &reply == b"+PONG\r\n"
        }

        /// The loopback port it listens on.
        #[must_use]
        pub fn port(&self) -> u16 {
            self.port
        }

        /// `redis://127.0.0.1:<port>/`.
        #[must_use]
        pub fn url(&self) -> String {
            format!("redis://127.0.0.1:{}/", self.port)
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub mod cpu_time;

/// Applies `RESILIENCE_CLOCK` (`tokio`, or `cpu`, the default of this crate's build, whose tokio
/// cannot pause time) before anything is measured,
/// also for instances built directly rather than through the registry; returns the source
/// in use. `benches/run` measures our side once on each clock.
pub fn clock_from_env() -> resilience_runtime::clock::ClockSource {
    resilience_runtime::clock::source()
}

/// Keeps a call's result from being optimised away, without copying it.
///
/// `std::hint::black_box(value)` takes the value by value, so a result that an out-of-line fn
/// returned through memory (any `Result` wider than two registers) is copied once more, with
/// 16-byte loads issued right after the callee's 8-byte stores of the same bytes. Such a load
/// cannot be forwarded from the stores and waits for them to retire: 6 ns a call on the
/// benchmark machine, a cost of the harness that a caller matching on the result does not pay,
/// and one that only the side whose fn is not inlined pays. Every sync row, ours and the
/// peers', hands its result over by reference instead (async rows keep criterion's
/// `to_async`, whose extra `async` block around the call would cost more than it saves).
#[inline(always)]
pub fn observe<T>(value: T) {
    std::hint::black_box(&value);
}
