//! The direct connection against scripted servers (a thread each, on a loopback port):
//! replies matched to requests under many callers, replies cut into single bytes, callers
//! that leave at any point, a connection closed in the middle of a reply, bytes that are no
//! reply, a socket that takes no more, AUTH and SELECT, a Unix socket, and the scripts'
//! EVALSHA, NOSCRIPT and redirection on it. (The suites in `tests/` run it against a real
//! redis-server.)

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use redis::{ConnectionInfo, IntoConnectionInfo, Value};

use super::DirectConnection;
use super::resp;
use crate::base::redis::connection::Connection;
use crate::base::redis::script::LuaScript;

const TIMEOUT: Duration = Duration::from_millis(300);

/// A server on a loopback port that hands its one connection to `serve`, on a thread.
fn server(serve: impl FnOnce(Peer) + Send + 'static) -> ConnectionInfo {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        serve(Peer {
            stream,
            received: Vec::new(),
        });
    });
    format!("redis://127.0.0.1:{port}/")
        .into_connection_info()
        .unwrap()
}

/// The server's end of the connection.
struct Peer {
    stream: TcpStream,
    received: Vec<u8>,
}

impl Peer {
    /// The next command's arguments; `None` once the client closed.
    fn command(&mut self) -> Option<Vec<Vec<u8>>> {
        loop {
            if let Some(len) = resp::reply_len(&self.received).unwrap() {
                let value = redis::parse_redis_value(&self.received[..len]).unwrap();
                self.received.drain(..len);
                let Value::Array(args) = value else {
                    panic!("{value:?}");
                };
                return Some(
                    args.into_iter()
                        .map(|arg| match arg {
                            Value::BulkString(bytes) => bytes,
                            other => panic!("{other:?}"),
                        })
                        .collect(),
                );
            }
            let mut chunk = [0; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(count) => self.received.extend_from_slice(&chunk[..count]),
            }
        }
    }

    /// Whether a whole command has arrived already (and is waiting in `received`).
    fn has_command(&self) -> bool {
        matches!(resp::reply_len(&self.received), Ok(Some(_)))
    }

    fn send(&mut self, bytes: &[u8]) {
        // The client may have left already: what it does not read is its business.
        let _ = self.stream.write_all(bytes);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn echo_command(out: &mut Vec<u8>, value: i64) {
    resp::write_array(out, 2);
    resp::write_bulk(out, b"ECHO");
    resp::write_integer(out, value);
}

/// Answers `ECHO n` with the integer `n`, every command that has arrived in one write.
fn echo_server(delay: impl Fn(i64) -> Duration + Send + 'static) -> ConnectionInfo {
    server(move |mut peer| {
        let mut out = Vec::new();
        while let Some(args) = peer.command() {
            let value: i64 = std::str::from_utf8(&args[1]).unwrap().parse().unwrap();
            thread::sleep(delay(value));
            out.extend_from_slice(format!(":{value}\r\n").as_bytes());
            if !peer.has_command() {
                peer.send(&out);
                out.clear();
            }
        }
    })
}

async fn echo(connection: &DirectConnection, value: i64) -> redis::RedisResult<i64> {
    let reply = connection.request(|out| echo_command(out, value)).await?;
    redis::from_redis_value(reply).map_err(Into::into)
}

#[test]
fn every_reply_reaches_its_own_caller() {
    let info = echo_server(|_| Duration::ZERO);
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        let callers: Vec<_> = (0..64_i64)
            .map(|caller| {
                let connection = connection.clone();
                tokio::spawn(async move {
                    for call in 0..200 {
                        let value = caller * 1_000 + call;
                        assert_eq!(echo(&connection, value).await.unwrap(), value);
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
    });
}

#[test]
fn replies_cut_into_single_bytes_read_whole() {
    let reply = b"*3\r\n:1\r\n$4\r\na\r\nb\r\n*2\r\n$-1\r\n-ERR inner\r\n";
    let info = server(move |mut peer| {
        while peer.command().is_some() {
            for byte in reply {
                peer.send(&[*byte]);
                thread::sleep(Duration::from_micros(200));
            }
        }
    });
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        for _ in 0..3 {
            let value = connection
                .request(|out| echo_command(out, 0))
                .await
                .unwrap();
            let Value::Array(values) = value else {
                panic!("{value:?}");
            };
            assert_eq!(
                values[..2],
                [Value::Int(1), Value::BulkString(b"a\r\nb".to_vec())]
            );
            assert!(matches!(&values[2], Value::Array(inner) if inner[0] == Value::Nil));
        }
    });
}

/// A number from `seed`, below `below` (no generator crate in this one's dependencies).
fn scatter(seed: i64, below: u64) -> u64 {
    (seed.cast_unsigned().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) % below
}

#[test]
fn callers_that_leave_at_any_point_leave_the_others_in_step() {
    let info = echo_server(|value| Duration::from_micros(scatter(value, 4) * 100));
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        let left = Arc::new(AtomicU64::new(0));
        let callers: Vec<_> = (0..32_i64)
            .map(|caller| {
                let connection = connection.clone();
                let left = Arc::clone(&left);
                tokio::spawn(async move {
                    for call in 0..150 {
                        let value = caller * 1_000 + call;
                        let request = echo(&connection, value);
                        let reply = match scatter(value, 4) {
                            // Dropped at its first poll (its request written, or being read
                            // for the others).
                            0 => {
                                tokio::select! {
                                    biased;
                                    reply = request => Some(reply),
                                    () = std::future::ready(()) => None,
                                }
                            }
                            // Dropped after a while, often while reading for the others.
                            1 | 2 => {
                                let wait = Duration::from_micros(scatter(value + 7, 400));
                                tokio::time::timeout(wait, request).await.ok()
                            }
                            _ => Some(request.await),
                        };
                        match reply {
                            Some(reply) => assert_eq!(reply.unwrap(), value, "its own reply"),
                            None => {
                                left.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        assert!(left.load(Ordering::Relaxed) > 100, "callers left");
        // After all of that, the replies still go to their own requests.
        for value in 0..50 {
            assert_eq!(echo(&connection, -value).await.unwrap(), -value);
        }
    });
}

#[test]
fn the_reader_leaving_hands_reading_on() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let info = server(move |mut peer| {
        let mut values = Vec::new();
        for _ in 0..3 {
            let args = peer.command().unwrap();
            values.push(String::from_utf8(args[1].clone()).unwrap());
        }
        released.recv().unwrap();
        for value in values {
            peer.send(format!(":{value}\r\n").as_bytes());
        }
        while peer.command().is_some() {}
    });
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        // The first caller polls first and reads for the others...
        let mut first = Box::pin(echo(&connection, 1));
        assert!(poll_once(first.as_mut()).await.is_none());
        let others: Vec<_> = [2, 3]
            .into_iter()
            .map(|value| {
                let connection = connection.clone();
                tokio::spawn(async move { echo(&connection, value).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // ...and leaves before any reply.
        drop(first);
        release.send(()).unwrap();
        for (other, value) in others.into_iter().zip([2, 3]) {
            let reply = tokio::time::timeout(Duration::from_secs(5), other).await;
            assert_eq!(reply.expect("woken to read").unwrap().unwrap(), value);
        }
    });
}

/// Polls `future` once: its output if it was ready.
async fn poll_once<F: Future + Unpin>(future: F) -> Option<F::Output> {
    let mut future = future;
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match Future::poll(std::pin::Pin::new(&mut future), cx) {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[test]
fn a_connection_closed_in_a_reply_fails_every_caller_and_the_next() {
    let info = server(|mut peer| {
        for _ in 0..3 {
            peer.command().unwrap();
        }
        peer.send(b"*2\r\n:1\r\n");
        thread::sleep(Duration::from_millis(20));
        // Dropped: closed.
    });
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        let started = Instant::now();
        let callers: Vec<_> = (0..3)
            .map(|value| {
                let connection = connection.clone();
                tokio::spawn(async move { echo(&connection, value).await })
            })
            .collect();
        for caller in callers {
            let error = caller.await.unwrap().unwrap_err();
            assert!(
                error.is_io_error() || error.is_connection_dropped(),
                "{error:?}"
            );
        }
        assert!(started.elapsed() < TIMEOUT, "failed at once, not timed out");
        assert!(
            echo(&connection, 4).await.is_err(),
            "broken for later requests"
        );
    });
}

#[test]
fn bytes_that_are_no_reply_break_the_connection() {
    for reply in [&b"?what\r\n"[..], b"$-7\r\n", b":1x\r\n", b"*1\r\n!\r\n"] {
        let info = server(move |mut peer| {
            peer.command().unwrap();
            peer.send(reply);
            while peer.command().is_some() {}
        });
        runtime().block_on(async {
            let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
            let error = echo(&connection, 1).await.unwrap_err();
            assert_eq!(error.kind(), redis::ErrorKind::Parse, "{reply:?}");
            assert!(echo(&connection, 2).await.is_err(), "{reply:?}: broken");
        });
    }
}

#[test]
fn a_socket_that_takes_no_more_is_written_later_or_broken_in_time() {
    // A slow reader: the request leaves in many writes, finished by a task.
    let info = server(|mut peer| {
        peer.stream.set_nonblocking(false).unwrap();
        let mut chunk = [0; 4096];
        while !peer.has_command() {
            let count = peer.stream.read(&mut chunk).unwrap();
            peer.received.extend_from_slice(&chunk[..count]);
            thread::sleep(Duration::from_micros(50));
        }
        let args = peer.command().unwrap();
        peer.send(format!(":{}\r\n", args[1].len()).as_bytes());
        while peer.command().is_some() {}
    });
    let big = vec![b'x'; 8 << 20];
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, Duration::from_secs(5))
            .await
            .unwrap();
        let reply = connection
            .request(|out| {
                resp::write_array(out, 2);
                resp::write_bulk(out, b"SET");
                resp::write_bulk(out, &big);
            })
            .await
            .unwrap();
        assert_eq!(reply, Value::Int(8 << 20));
    });
    // A server that reads nothing: the write waits `timeout` at most, then the connection
    // breaks and the request fails.
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let info = server(move |peer| {
        let _ = finished.recv();
        drop(peer);
    });
    let big = vec![b'x'; 64 << 20];
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        let started = Instant::now();
        let reply = tokio::time::timeout(
            Duration::from_secs(10),
            connection.request(|out| {
                resp::write_array(out, 2);
                resp::write_bulk(out, b"SET");
                resp::write_bulk(out, &big);
            }),
        )
        .await
        .expect("ended by the connection's own time-out");
        assert!(reply.unwrap_err().is_timeout());
        assert!(started.elapsed() < TIMEOUT * 4, "{:?}", started.elapsed());
    });
    done.send(()).unwrap();
}

#[path = "tests_setup.rs"]
mod setup;
