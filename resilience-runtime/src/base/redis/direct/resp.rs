//! RESP2, as much of it as a client needs: commands written as arrays of bulk strings, and
//! the length of the next complete reply in what the server has sent so far. The reply
//! itself is then read by the client library's own parser, so that values and server errors
//! (their kinds: NOSCRIPT, MOVED, ASK, ...) read exactly as they do on its connections.

/// The longest bulk string the server may send (its own limit, `proto-max-bulk-len`).
const MAX_BULK: usize = 512 * 1024 * 1024;

/// The longest line (a simple string, an error, an integer, a length) taken: far beyond any
/// the server sends, so that bytes that never end a line fail instead of filling memory.
const MAX_LINE: usize = 1024 * 1024;

/// The most elements the scan expects to be still open across nested arrays: far beyond any
/// reply of the scripts, and small enough that a corrupt length fails early.
const MAX_PENDING: usize = 1 << 24;

/// Bytes that are not a RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) &'static str);

/// The length in bytes of the complete reply at the start of `input`, or `None` while part
/// of it has not arrived yet. Arrays nest to any depth without recursion (the library's
/// parser then refuses depths beyond its own limit, as an error).
pub(crate) fn reply_len(input: &[u8]) -> Result<Option<usize>, Malformed> {
    let mut at = 0;
    // Values still to scan: the reply itself, then the elements of every open array.
    let mut pending = 1_usize;
    while pending > 0 {
        let Some(&kind) = input.get(at) else {
            return Ok(None);
        };
        if !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
            return Err(Malformed("a reply of an unknown type"));
        }
        let Some(line_end) = line_end(input, at + 1)? else {
            return Ok(None);
        };
        let line = &input[at + 1..line_end];
        at = line_end + 2;
        pending -= 1;
        match kind {
            b'$' => {
                if let Some(len) = length(line)? {
                    if len > MAX_BULK {
                        return Err(Malformed("a bulk string longer than the server sends"));
                    }
                    // `at` and `len` are both below `isize::MAX`: no overflow.
                    let end = at + len;
                    let Some(terminator) = input.get(end..end + 2) else {
                        return Ok(None);
                    };
                    if terminator != b"\r\n" {
                        return Err(Malformed("a bulk string not ended by CRLF"));
                    }
                    at = end + 2;
                }
            }
            b'*' => {
                if let Some(len) = length(line)? {
                    pending = pending
                        .checked_add(len)
                        .filter(|&pending| pending <= MAX_PENDING)
                        .ok_or(Malformed("an array longer than any reply"))?;
                }
            }
            b':' if !is_integer(line) => {
                return Err(Malformed("an integer reply that is not a number"));
            }
            // A simple string or an error: any text up to CRLF.
            _ => {}
        }
    }
    Ok(Some(at))
}

/// Where the line starting at `from` ends (the index of its `\r`), if it has yet.
fn line_end(input: &[u8], from: usize) -> Result<Option<usize>, Malformed> {
    let rest = input.get(from..).unwrap_or_default();
    let window = &rest[..rest.len().min(MAX_LINE + 2)];
    match window.windows(2).position(|pair| pair == b"\r\n") {
        Some(cr) => Ok(Some(from + cr)),
        None if rest.len() > MAX_LINE => Err(Malformed("a line longer than any reply's")),
        None => Ok(None),
    }
}

/// A bulk string's or an array's length: `None` for the null one (`-1`).
fn length(line: &[u8]) -> Result<Option<usize>, Malformed> {
    if line == b"-1" {
        return Ok(None);
    }
    if line.is_empty() || line.len() > 20 || !line.iter().all(u8::is_ascii_digit) {
        return Err(Malformed("a length that is not a number"));
    }
    let mut value = 0_usize;
    for digit in line {
        value = value
            .checked_mul(10)
            .and_then(|value| value.checked_add(usize::from(digit - b'0')))
            .ok_or(Malformed("a length beyond any reply"))?;
    }
    Ok(Some(value))
}

/// Whether `line` is an integer as the server writes one: an optional minus, then digits.
/// (Its range is the library parser's to check.)
fn is_integer(line: &[u8]) -> bool {
    let digits = line.strip_prefix(b"-").unwrap_or(line);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Starts a command of `args` arguments (its name included).
pub(crate) fn write_array(out: &mut Vec<u8>, args: usize) {
    out.push(b'*');
    write_decimal(out, u64::try_from(args).unwrap_or(u64::MAX));
    out.extend_from_slice(b"\r\n");
}

/// One argument: bytes.
pub(crate) fn write_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    write_decimal(out, u64::try_from(bytes.len()).unwrap_or(u64::MAX));
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// One argument: an integer, in decimal as the server reads it (a bulk string of its
/// digits, as the client library writes one).
pub(crate) fn write_integer(out: &mut Vec<u8>, value: i64) {
    let mut digits = [0_u8; 20];
    let len = decimal(&mut digits, value.unsigned_abs());
    let negative = value < 0;
    out.push(b'$');
    write_decimal(out, u64::from(len) + u64::from(negative));
    out.extend_from_slice(b"\r\n");
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[digits.len() - usize::from(len)..]);
    out.extend_from_slice(b"\r\n");
}

/// `value` in decimal.
fn write_decimal(out: &mut Vec<u8>, value: u64) {
    let mut digits = [0_u8; 20];
    let len = decimal(&mut digits, value);
    out.extend_from_slice(&digits[digits.len() - usize::from(len)..]);
}

/// Writes `value`'s digits at the end of `digits` (20 hold any `u64`); how many.
fn decimal(digits: &mut [u8; 20], mut value: u64) -> u8 {
    let mut len = 0;
    loop {
        len += 1;
        // `value % 10` is a digit: the cast cannot truncate.
        digits[digits.len() - usize::from(len)] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return len;
        }
    }
}

#[cfg(all(test, not(loom)))]
#[path = "resp_tests.rs"]
mod tests;
