//! The RESP2 scan against every type, nesting, nulls, errors, input cut at every byte and
//! random input; and the commands as the client library writes them.

use proptest::prelude::*;
use redis::Value;

use super::*;

/// Every prefix of a reply is incomplete; the whole of it, with more behind, is complete.
fn complete_only_when_whole(reply: &[u8]) {
    for cut in 0..reply.len() {
        assert_eq!(
            reply_len(&reply[..cut]),
            Ok(None),
            "{cut} bytes of {reply:?}"
        );
    }
    let mut more = reply.to_vec();
    more.extend_from_slice(b"+OK\r\n");
    assert_eq!(reply_len(&more), Ok(Some(reply.len())), "{reply:?}");
    assert_eq!(reply_len(reply), Ok(Some(reply.len())), "{reply:?}");
}

#[test]
fn simple_replies_and_errors() {
    complete_only_when_whole(b"+OK\r\n");
    complete_only_when_whole(b"+\r\n");
    complete_only_when_whole(b":-42\r\n");
    complete_only_when_whole(b":9223372036854775807\r\n");
    complete_only_when_whole(b"-NOSCRIPT No matching script. Please use EVAL.\r\n");
    complete_only_when_whole(b"-ERR Error running script: OOM command not allowed\r\n");
    complete_only_when_whole(b"-MOVED 3999 127.0.0.1:7102\r\n");
}

#[test]
fn bulk_strings_hold_any_bytes_even_crlf() {
    complete_only_when_whole(b"$5\r\nhello\r\n");
    complete_only_when_whole(b"$0\r\n\r\n");
    complete_only_when_whole(b"$-1\r\n");
    complete_only_when_whole(b"$4\r\n\r\n\r\n\r\n");
    complete_only_when_whole(b"$3\r\n\x00\xff*\r\n");
}

#[test]
fn arrays_nest_as_the_scripts_return_them() {
    // The limiter's reply: four integers.
    complete_only_when_whole(b"*4\r\n:1\r\n:0\r\n:1700000000000000\r\n:1700000000001000\r\n");
    complete_only_when_whole(b"*0\r\n");
    complete_only_when_whole(b"*-1\r\n");
    // Nested, with an error and nulls inside, as a script's table may hold.
    complete_only_when_whole(
        b"*3\r\n*2\r\n:1\r\n$3\r\nabc\r\n*0\r\n*3\r\n-ERR inner\r\n$-1\r\n*1\r\n*1\r\n:7\r\n",
    );
    // Deep nesting needs no stack.
    let mut deep = b"*1\r\n".repeat(100_000);
    deep.extend_from_slice(b":1\r\n");
    assert_eq!(reply_len(&deep), Ok(Some(deep.len())));
}

#[test]
fn the_library_reads_the_reply_the_scan_delimits() {
    let input = b"*4\r\n:1\r\n:0\r\n:5\r\n:6\r\n-NOSCRIPT gone\r\n$-1\r\n*-1\r\n+OK\r\n";
    let mut rest = &input[..];
    let mut values = Vec::new();
    while !rest.is_empty() {
        let len = reply_len(rest).unwrap().unwrap();
        values.push(redis::parse_redis_value(&rest[..len]).unwrap());
        rest = &rest[len..];
    }
    let numbers: Vec<i64> = redis::from_redis_value(values[0].clone()).unwrap();
    assert_eq!(numbers, [1, 0, 5, 6]);
    let error = values[1].clone().extract_error().unwrap_err();
    assert_eq!(
        error.kind(),
        redis::ErrorKind::Server(redis::ServerErrorKind::NoScript)
    );
    assert_eq!(values[2..], [Value::Nil, Value::Nil, Value::Okay]);
}

#[test]
fn what_is_not_resp2_is_malformed() {
    for input in [
        &b"hello\r\n"[..],
        b"$abc\r\n",
        b"$-2\r\n",
        b"$\r\n",
        b"$+3\r\nabc\r\n",
        b"*-2\r\n",
        b"*99999999999999999999999\r\n",
        b"*16777217\r\n",
        b"$3\r\nabcde\r\n",
        b"$999999999999\r\n",
        b":12a\r\n",
        b":\r\n",
        b":-\r\n",
        // RESP3 types: this connection never asks for them.
        b"_\r\n",
        b"%1\r\n:1\r\n:2\r\n",
        b">2\r\n$7\r\nmessage\r\n$1\r\na\r\n",
        // A malformed element inside an array is found too.
        b"*2\r\n:1\r\n?\r\n",
    ] {
        assert!(reply_len(input).is_err(), "{input:?}");
    }
    // Bytes that never end a line stop at the longest line taken.
    let mut endless = b"+".to_vec();
    endless.resize(MAX_LINE + 2, b'a');
    assert!(reply_len(&endless).is_err());
    assert_eq!(reply_len(&endless[..MAX_LINE]), Ok(None));
}

#[test]
fn commands_are_arrays_of_bulk_strings() {
    let mut out = Vec::new();
    write_array(&mut out, 7);
    write_bulk(&mut out, b"EVALSHA");
    write_bulk(&mut out, b"");
    write_integer(&mut out, 0);
    write_integer(&mut out, -1);
    write_integer(&mut out, i64::MIN);
    write_integer(&mut out, i64::MAX);
    write_bulk(&mut out, b"a\r\nb");
    assert_eq!(
        out,
        b"*7\r\n$7\r\nEVALSHA\r\n$0\r\n\r\n$1\r\n0\r\n$2\r\n-1\r\n\
          $20\r\n-9223372036854775808\r\n$19\r\n9223372036854775807\r\n$4\r\na\r\nb\r\n"
    );
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg("")
        .arg(0)
        .arg(-1)
        .arg(i64::MIN)
        .arg(i64::MAX)
        .arg("a\r\nb");
    assert_eq!(out, cmd.get_packed_command(), "as the library writes it");
    // A command frames as a reply does: the test servers read them with the same scan.
    assert_eq!(reply_len(&out), Ok(Some(out.len())));
}

/// A RESP2 reply, for the generated cases.
#[derive(Debug, Clone)]
enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

fn reply() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 ]{0,12}".prop_map(Reply::Simple),
        "[A-Z]{1,8}( [a-z0-9:. ]{0,16})?".prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)).prop_map(Reply::Bulk),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        proptest::option::of(proptest::collection::vec(inner, 0..6)).prop_map(Reply::Array)
    })
}

fn encode(reply: &Reply, out: &mut Vec<u8>) {
    match reply {
        Reply::Simple(text) => out.extend_from_slice(format!("+{text}\r\n").as_bytes()),
        Reply::Error(text) => out.extend_from_slice(format!("-{text}\r\n").as_bytes()),
        Reply::Integer(value) => out.extend_from_slice(format!(":{value}\r\n").as_bytes()),
        Reply::Bulk(None) => out.extend_from_slice(b"$-1\r\n"),
        Reply::Bulk(Some(bytes)) => write_bulk(out, bytes),
        Reply::Array(None) => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(Some(elements)) => {
            write_array(out, elements.len());
            elements.iter().for_each(|element| encode(element, out));
        }
    }
}

/// Whether the library read `value` for `reply`.
fn read_as(reply: &Reply, value: &Value) -> bool {
    match (reply, value) {
        (Reply::Simple(text), Value::Okay) => text == "OK",
        (Reply::Simple(text), Value::SimpleString(read)) => text == read,
        (Reply::Error(text), Value::ServerError(error)) => {
            let (code, detail) = text
                .split_once(' ')
                .map_or((&**text, None), |(code, detail)| (code, Some(detail)));
            error.code() == code && error.details() == detail
        }
        (Reply::Integer(expected), Value::Int(read)) => expected == read,
        (Reply::Bulk(Some(bytes)), Value::BulkString(read)) => bytes == read,
        (Reply::Bulk(None) | Reply::Array(None), Value::Nil) => true,
        (Reply::Array(Some(elements)), Value::Array(read)) => {
            elements.len() == read.len()
                && elements
                    .iter()
                    .zip(read)
                    .all(|(reply, value)| read_as(reply, value))
        }
        _ => false,
    }
}

/// What arrives in `chunks` (cut where `cuts` say), scanned as the connection scans it:
/// the complete replies at the front after each chunk, the rest kept for the next.
fn scan_in_chunks(bytes: &[u8], cuts: &[usize]) -> Result<Vec<Vec<u8>>, Malformed> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.push(bytes.len());
    let (mut received, mut start, mut replies) = (Vec::new(), 0, Vec::new());
    let mut from = 0;
    for cut in cuts {
        received.extend_from_slice(&bytes[from..cut]);
        from = cut;
        while let Some(len) = reply_len(&received[start..])? {
            replies.push(received[start..start + len].to_vec());
            start += len;
        }
    }
    Ok(replies)
}

#[test]
fn a_reply_cut_at_every_byte_reads_whole() {
    let replies = [
        Reply::Array(Some(vec![
            Reply::Integer(1),
            Reply::Bulk(Some(b"a\r\nb".to_vec())),
            Reply::Array(Some(vec![
                Reply::Error(String::from("ERR x")),
                Reply::Bulk(None),
            ])),
            Reply::Array(None),
        ])),
        Reply::Simple(String::from("OK")),
        Reply::Error(String::from("NOSCRIPT No matching script.")),
    ];
    let mut bytes = Vec::new();
    replies.iter().for_each(|reply| encode(reply, &mut bytes));
    for first in 0..=bytes.len() {
        for second in first..=bytes.len() {
            let read = scan_in_chunks(&bytes, &[first, second]).unwrap();
            assert_eq!(read.len(), replies.len(), "cut at {first} and {second}");
            for (reply, frame) in replies.iter().zip(&read) {
                assert!(read_as(reply, &redis::parse_redis_value(frame).unwrap()));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Replies one after another, cut anywhere: each one found whole and read as written.
    #[test]
    fn replies_cut_anywhere_are_found_whole(
        replies in proptest::collection::vec(reply(), 1..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let mut bytes = Vec::new();
        let mut lens = Vec::new();
        for reply in &replies {
            let before = bytes.len();
            encode(reply, &mut bytes);
            lens.push(bytes.len() - before);
        }
        let read = scan_in_chunks(&bytes, &cuts).unwrap();
        prop_assert_eq!(read.iter().map(Vec::len).collect::<Vec<_>>(), lens);
        for (reply, frame) in replies.iter().zip(&read) {
            let value = redis::parse_redis_value(frame).unwrap();
            prop_assert!(read_as(reply, &value), "{:?} read as {:?}", reply, value);
        }
    }

    /// Any bytes at all: an answer, never a panic, and never a length beyond the input.
    #[test]
    fn any_bytes_are_a_length_a_wait_or_malformed(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'*'), Just(b'$'), Just(b':'),
                Just(b'-'), Just(b'+'), Just(b'1'), any::<u8>()],
            0..64,
        ),
    ) {
        if let Ok(Some(len)) = reply_len(&bytes) {
            prop_assert!(len <= bytes.len());
            prop_assert!(len >= 3);
        }
    }
}
