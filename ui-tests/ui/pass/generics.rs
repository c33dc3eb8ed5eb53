//! Generic fns, `impl Trait` arguments, elided and named lifetimes, `where` clauses, and a
//! borrowed return value through the layers.

use std::fmt::Display;

use resilience_runtime::{bulkhead, circuit_breaker, rate_limit, retry, timeout, Error};

#[derive(Debug, PartialEq)]
enum AppError {
    Missing,
    Layer(Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        Self::Layer(error)
    }
}

#[retry(max_attempts = 2, initial_delay = "1ms")]
#[timeout("1s")]
async fn describe<T: Display + Sync>(value: &T, suffix: impl Display + Send) -> Result<String, AppError> {
    Ok(format!("{value}{suffix}"))
}

#[circuit_breaker(name = "generics-first")]
#[bulkhead(name = "generics-pool", max_concurrent = 4)]
async fn first<T>(items: &[T]) -> Result<&T, AppError>
where
    T: Sync,
{
    items.first().ok_or(AppError::Missing)
}

// Elided lifetime in the argument and the output.
#[rate_limit(rate = "100/s")]
#[timeout("1s")]
async fn first_word(text: &str) -> Result<&str, AppError> {
    text.split_whitespace().next().ok_or(AppError::Missing)
}

// A named lifetime and a key over the args.
#[rate_limit(rate = "100/s", key = tenant)]
async fn longest<'a>(tenant: &str, left: &'a str, right: &'a str) -> Result<&'a str, AppError> {
    let _ = tenant;
    Ok(if left.len() >= right.len() { left } else { right })
}

// `impl Trait` argument on a sync fn, with a const generic. The body runs once per attempt,
// so it borrows `scale` instead of moving it.
#[retry(max_attempts = 2, initial_delay = "1ms")]
fn sum<const N: usize>(values: [u32; N], scale: impl Fn(u32) -> u32) -> Result<u32, AppError> {
    Ok(values.into_iter().map(&scale).sum())
}

// An `impl Trait` argument that is an iterator over borrowed items.
#[circuit_breaker(name = "generics-join")]
async fn join<'s>(parts: impl IntoIterator<Item = &'s str> + Send) -> Result<String, AppError> {
    Ok(parts.into_iter().collect::<Vec<_>>().join("-"))
}

fn assert_send<F: std::future::Future + Send>(future: F) -> F {
    future
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        // The future stays `Send` when the body's is.
        assert_eq!(assert_send(describe(&7, "kg")).await, Ok(String::from("7kg")));
        assert_eq!(assert_send(first(&[3, 4])).await, Ok(&3));
        assert_eq!(first::<u8>(&[]).await, Err(AppError::Missing));
        let text = String::from("hello world");
        assert_eq!(first_word(&text).await, Ok("hello"));
        assert_eq!(longest("acme", "ab", "abc").await, Ok("abc"));
        assert_eq!(join(["a", "b", "c"]).await, Ok(String::from("a-b-c")));
    });
    assert_eq!(sum([1, 2, 3], |value| value * 10), Ok(60));
}
