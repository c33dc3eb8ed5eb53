//! Faults a real `redis-server` is driven into by the fault tests of every Redis-backed kind
//! (`#[path]`-included beside `redis_server.rs` as `redis_server`): a stalled server
//! (`DEBUG SLEEP`), clients held (`CLIENT PAUSE`), no memory left for writes, scripts
//! forgotten (`SCRIPT FLUSH`); and, on tokio's paused clock, how long a call was held and
//! the second a failed backend rests.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::time::Instant;

use super::redis_server::{RedisServer, command};

/// How long a backend rests after a failure (the runtime's `RETRY_AFTER_FAILURE`).
pub const REST: Duration = Duration::from_secs(1);

/// Stalls the server's one thread for `seconds` (`DEBUG SLEEP`: the server must have been
/// started with `--enable-debug-command local`), and returns once it stops answering, with
/// the thread that sent the command: joined, it answers `"OK"` when the server wakes.
pub fn stall(server: &RedisServer, seconds: u32) -> JoinHandle<String> {
    let mut admin = server.admin();
    let seconds = seconds.to_string();
    let sleeper =
        std::thread::spawn(move || command::<String>(&mut admin, &["DEBUG", "SLEEP", &seconds]));
    wait_until_stalled(server.port());
    sleeper
}

/// Blocks until the server stops answering `PING` within 50 ms (a bounded number of tries).
pub fn wait_until_stalled(port: u16) {
    for _ in 0..100 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        stream.write_all(b"PING\r\n").unwrap();
        let mut reply = [0; 7];
        if stream.read_exact(&mut reply).is_err() {
            return;
        }
    }
    panic!("the server kept answering");
}

/// Holds every client's writes for `millis` (`CLIENT PAUSE .. WRITE`), as an operator does
/// before a failover: a script that writes waits until the pause ends.
pub fn pause_writes(server: &RedisServer, millis: u32) {
    let reply: String = command(
        &mut server.admin(),
        &["CLIENT", "PAUSE", &millis.to_string(), "WRITE"],
    );
    assert_eq!(reply, "OK");
}

/// Ends a [`pause_writes`] early.
pub fn unpause(server: &RedisServer) {
    let reply: String = command(&mut server.admin(), &["CLIENT", "UNPAUSE"]);
    assert_eq!(reply, "OK");
}

/// Leaves no memory for writes: a limit of one byte, which the server already uses more
/// than, and no eviction, so every write (a script's among them) is refused with OOM.
pub fn run_out_of_memory(server: &RedisServer) {
    let mut admin = server.admin();
    let _: () = command(
        &mut admin,
        &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
    );
    let _: () = command(&mut admin, &["CONFIG", "SET", "maxmemory", "1"]);
}

/// Undoes [`run_out_of_memory`]: no limit.
pub fn free_memory(server: &RedisServer) {
    let _: () = command(&mut server.admin(), &["CONFIG", "SET", "maxmemory", "0"]);
}

/// Waits until the server has let go of every client whose last command was a script
/// (`CLIENT LIST`, a bounded number of tries 10 ms apart on tokio's clock, which must be
/// running: the tasks that close given-up connections run meanwhile). Once it has, a script
/// a client gave up on is never run.
pub async fn script_clients_gone(server: &RedisServer) {
    let mut admin = server.admin();
    for _ in 0..300 {
        let clients: String = command(&mut admin, &["CLIENT", "LIST"]);
        let running_scripts = clients
            .lines()
            .any(|client| client.contains(" cmd=evalsha ") || client.contains(" cmd=eval "));
        if !running_scripts {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("clients that gave up are still connected");
}

/// Makes the server forget every script it was sent (`SCRIPT FLUSH`).
pub fn flush_scripts(server: &RedisServer) {
    let _: () = command(&mut server.admin(), &["SCRIPT", "FLUSH"]);
}

/// Asserts that the call started at `started` ended at `timeout`: tokio's timers tick in
/// whole milliseconds, so a clock paused between two ticks ends it up to one later.
pub fn assert_held_for(started: Instant, timeout: Duration) {
    let held = started.elapsed();
    assert!(
        held >= timeout && held <= timeout + Duration::from_millis(1),
        "held {held:?}, not {timeout:?}"
    );
}

/// Skips the backend's rest on tokio's clock (paused for it, then running again).
pub async fn skip_the_rest() {
    tokio::time::pause();
    tokio::time::advance(REST + Duration::from_millis(1)).await;
    tokio::time::resume();
}
