//! Opening a direct connection (AUTH with and without a user, SELECT, what a server refuses,
//! a Unix socket, which URLs it takes) and what runs on it: the scripts' EVALSHA with its
//! NOSCRIPT and MOVED, and the client library's commands and pipelines.

use super::*;

/// A server that answers each command with what `answer` returns for its arguments.
fn scripted(mut answer: impl FnMut(&[Vec<u8>]) -> Vec<u8> + Send + 'static) -> ConnectionInfo {
    server(move |mut peer| {
        while let Some(args) = peer.command() {
            let reply = answer(&args);
            peer.send(&reply);
        }
    })
}

/// `info`'s server with `auth` (`user:password@`) and database `db` in the URL.
fn url(info: &ConnectionInfo, auth: &str, db: &str) -> ConnectionInfo {
    let redis::ConnectionAddr::Tcp(host, port) = info.addr() else {
        panic!("{info:?}");
    };
    format!("redis://{auth}{host}:{port}/{db}")
        .into_connection_info()
        .unwrap()
}

fn args(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|arg| arg.as_bytes().to_vec()).collect()
}

#[test]
fn a_user_a_password_and_a_database_in_one_round_trip() {
    let info = server(|mut peer| {
        // Both arrive before either is answered: the client does not wait in between.
        assert_eq!(
            peer.command().unwrap(),
            args(&["AUTH", "limiter", "pw-secret"])
        );
        assert_eq!(peer.command().unwrap(), args(&["SELECT", "3"]));
        peer.send(b"+OK\r\n+OK\r\n");
        while let Some(args) = peer.command() {
            peer.send(format!(":{}\r\n", args.len()).as_bytes());
        }
    });
    let info = url(&info, "limiter:pw-secret@", "3");
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        assert_eq!(connection.db(), 3);
        assert_eq!(echo(&connection, 2).await.unwrap(), 2);
    });
}

#[test]
fn a_server_without_users_is_asked_with_the_password_alone() {
    let info = scripted(|args| match (args[0].as_slice(), args.len()) {
        (b"AUTH", 3) => b"-ERR wrong number of arguments for 'auth' command\r\n".to_vec(),
        (b"AUTH", 2) => b"+OK\r\n".to_vec(),
        _ => format!(":{}\r\n", String::from_utf8_lossy(&args[1])).into_bytes(),
    });
    let info = url(&info, "old:pw-secret@", "");
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        assert_eq!(echo(&connection, 7).await.unwrap(), 7);
    });
}

#[test]
fn a_refused_password_or_database_reads_as_the_librarys_and_never_shows_the_password() {
    let info = scripted(|_| {
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n".to_vec()
    });
    let info = url(&info, ":pw-secret@", "");
    runtime().block_on(async {
        let Err(error) = DirectConnection::open(&info, TIMEOUT).await else {
            panic!("opened");
        };
        assert_eq!(error.kind(), redis::ErrorKind::AuthenticationFailed);
        assert!(
            error.to_string().contains("authentication failed"),
            "{error}"
        );
        assert!(!error.to_string().contains("pw-secret"), "{error}");
    });
    let info = scripted(|_| b"-ERR DB index is out of range\r\n".to_vec());
    let info = url(&info, "", "99");
    runtime().block_on(async {
        let Err(error) = DirectConnection::open(&info, TIMEOUT).await else {
            panic!("opened");
        };
        assert!(
            error.to_string().contains("refused to switch database"),
            "{error}"
        );
        assert!(error.to_string().contains("out of range"), "{error}");
    });
}

#[test]
fn without_a_password_or_a_database_the_first_command_is_the_callers() {
    let info = server(|mut peer| {
        assert_eq!(peer.command().unwrap(), args(&["ECHO", "5"]));
        peer.send(b":5\r\n");
        while peer.command().is_some() {}
    });
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        assert_eq!(connection.db(), 0);
        assert_eq!(echo(&connection, 5).await.unwrap(), 5);
    });
}

#[cfg(unix)]
#[test]
fn a_unix_socket() {
    use std::os::unix::net::UnixListener;

    let path = std::env::temp_dir().join(format!(
        "resilience-direct-{}-{:?}.sock",
        std::process::id(),
        Instant::now()
    ));
    let listener = UnixListener::bind(&path).unwrap();
    let thread = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut received = Vec::new();
        let mut chunk = [0; 1024];
        while resp::reply_len(&received).unwrap().is_none() {
            let count = stream.read(&mut chunk).unwrap();
            received.extend_from_slice(&chunk[..count]);
        }
        stream.write_all(b":9\r\n").unwrap();
    });
    let info = format!("redis+unix://{}", path.display())
        .into_connection_info()
        .unwrap();
    assert!(DirectConnection::reaches(&info));
    runtime().block_on(async {
        let connection = DirectConnection::open(&info, TIMEOUT).await.unwrap();
        assert_eq!(echo(&connection, 9).await.unwrap(), 9);
    });
    thread.join().unwrap();
    let _ = std::fs::remove_file(&path);
}

#[test]
fn it_reaches_plain_servers_speaking_resp2() {
    let url = |url: &str| url.into_connection_info().unwrap();

    assert!(DirectConnection::reaches(&url("redis://127.0.0.1:6379/0")));
    assert!(DirectConnection::reaches(&url("redis://u:p@localhost/2")));
    assert!(!DirectConnection::reaches(&url(
        "redis://127.0.0.1:6379/?protocol=resp3"
    )));
    #[cfg(feature = "redis-tls")]
    assert!(!DirectConnection::reaches(&url("rediss://127.0.0.1:6380/")));
}

#[test]
fn scripts_run_with_evalsha_then_eval_and_a_redirection_is_an_error_of_its_kind() {
    let script = LuaScript::new("return {1, 2}");
    let info = scripted(|args| match args[0].as_slice() {
        b"EVALSHA" if args[3] == b"{moved}" => b"-MOVED 3999 127.0.0.1:7102\r\n".to_vec(),
        b"EVALSHA" => b"-NOSCRIPT No matching script. Please use EVAL.\r\n".to_vec(),
        b"EVAL" => {
            assert_eq!(args[1], b"return {1, 2}");
            assert_eq!(args[2..], [b"1".to_vec(), b"k".to_vec(), b"-4".to_vec()]);
            b"*2\r\n:1\r\n:2\r\n".to_vec()
        }
        other => panic!("{other:?}"),
    });
    runtime().block_on(async {
        let mut connection =
            Connection::Direct(DirectConnection::open(&info, TIMEOUT).await.unwrap());
        let round_trips = AtomicU64::new(0);
        let reply: Vec<i64> = script
            .once(&mut connection, &[b"k"], &[-4], &round_trips)
            .await
            .unwrap();
        assert_eq!(reply, [1, 2]);
        assert_eq!(round_trips.load(Ordering::Relaxed), 2, "EVALSHA, then EVAL");
        let error = script
            .once::<Vec<i64>>(&mut connection, &[b"{moved}"], &[], &round_trips)
            .await
            .unwrap_err();
        assert!(
            crate::base::redis::failure::is_redirection(&error),
            "{error:?}"
        );
    });
}

#[test]
fn the_librarys_commands_and_pipelines_run_on_it() {
    let info = scripted(|args| match args[0].as_slice() {
        b"MULTI" => b"+OK\r\n".to_vec(),
        b"EXEC" => b"*2\r\n:1\r\n:2\r\n".to_vec(),
        b"ECHO" if args.len() == 2 && args[1] == b"q" => b"+QUEUED\r\n".to_vec(),
        b"ECHO" => format!(":{}\r\n", String::from_utf8_lossy(&args[1])).into_bytes(),
        _ => b"-ERR unknown command\r\n".to_vec(),
    });
    runtime().block_on(async {
        let mut connection =
            Connection::Direct(DirectConnection::open(&info, TIMEOUT).await.unwrap());
        let one: i64 = redis::cmd("ECHO")
            .arg(41)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!(one, 41);
        let error = redis::cmd("NOPE")
            .query_async::<()>(&mut connection)
            .await
            .unwrap_err();
        assert_eq!(error.code(), Some("ERR"));
        let (a, b): (i64, i64) = redis::pipe()
            .cmd("ECHO")
            .arg(1)
            .cmd("ECHO")
            .arg(2)
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!((a, b), (1, 2));
        let (a, b): (i64, i64) = redis::pipe()
            .atomic()
            .cmd("ECHO")
            .arg("q")
            .cmd("ECHO")
            .arg("q")
            .query_async(&mut connection)
            .await
            .unwrap();
        assert_eq!((a, b), (1, 2));
    });
}
