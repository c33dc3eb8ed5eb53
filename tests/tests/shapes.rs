//! Every kind of fn the contract covers, driven through the layers.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use resilience_runtime::{Error, circuit_breaker, retry, timeout};
use resilience_tests::{Flaky, Inventory, ServiceError, SevenOfEverything};

fn assert_send<F: Future + Send>(future: F) -> F {
    future
}

#[tokio::test(start_paused = true)]
async fn methods_with_every_receiver() {
    let flaky = Flaky::new(2);
    assert_eq!(assert_send(flaky.call()).await, Ok(3));
    assert_eq!(flaky.calls(), 3);

    let mut flaky = Flaky::new(0);
    assert_eq!(flaky.parse_and_store("5").await, Ok(5));
    // `?` and `return` end the attempt; the retry runs the body again.
    assert_eq!(
        flaky.parse_and_store("x").await,
        Err(ServiceError::Permanent)
    );
    assert_eq!(
        flaky.parse_and_store("").await,
        Err(ServiceError::Permanent)
    );

    let flaky = Flaky::new(0);
    assert_eq!(flaky.call_blocking(), Ok(1));
    assert_eq!(flaky.into_calls().await, Ok(1));
}

#[tokio::test(start_paused = true)]
async fn generics_impl_trait_and_borrowed_results() {
    assert_eq!(
        resilience_tests::describe(&42, "!").await,
        Ok(String::from("42!"))
    );
    let text = String::from("hello resilient world");
    let word = resilience_tests::first_word("shapes-key", &text).await;
    assert_eq!(word, Ok("hello"));
}

#[tokio::test(start_paused = true)]
async fn under_async_trait() {
    let inventory: Box<dyn Inventory + Send + Sync> = Box::new(SevenOfEverything);
    assert_eq!(inventory.stock("sku-1").await, Ok(7));
    assert_eq!(inventory.stock("").await, Err(ServiceError::Permanent));
    let name = "resilience_tests::SevenOfEverything::stock";
    let breaker = resilience_runtime::registry()
        .circuit_breaker(name)
        .expect("a method's default name is Type::method");
    assert_eq!(breaker.metrics().successful, 1);
}

#[tokio::test(start_paused = true)]
async fn next_to_tracing_instrument() {
    assert_eq!(resilience_tests::traced(7).await, Ok(7));
    assert_eq!(resilience_tests::traced_inside(8).await, Ok(8));
}

#[tokio::test(start_paused = true)]
async fn anyhow_and_sync_fns() {
    assert_eq!(resilience_tests::with_anyhow(3).unwrap(), 3);
}

static ATTEMPTS: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 3, initial_delay = "10ms", jitter = "none")]
async fn owned_copy_args(n: u32, label: &'static str) -> Result<String, ServiceError> {
    if ATTEMPTS.fetch_add(1, Ordering::SeqCst) < 2 {
        return Err(ServiceError::Transient(label.into()));
    }
    Ok(format!("{label}{n}"))
}

#[tokio::test(start_paused = true)]
async fn early_return_ends_only_the_attempt() {
    let start = tokio::time::Instant::now();
    assert_eq!(owned_copy_args(1, "x").await, Ok(String::from("x1")));
    assert_eq!(ATTEMPTS.load(Ordering::SeqCst), 3);
    assert_eq!(start.elapsed(), Duration::from_millis(10 + 20));
}

// A body that moves an owned argument runs once, so it works under layers that do not retry.
#[circuit_breaker(name = "shapes-moves")]
#[timeout("1s")]
async fn moves_its_argument(text: String) -> Result<usize, ServiceError> {
    let owned = text;
    Ok(owned.len())
}

#[tokio::test(start_paused = true)]
async fn owned_arguments_move_into_the_body() {
    assert_eq!(moves_its_argument(String::from("abc")).await, Ok(3));
}

mod renamed {
    // The runtime under another name, as a crate that re-exports it would have it.
    pub(crate) use resilience_runtime as rt;
}

#[retry(crate = "renamed::rt", max_attempts = 2, initial_delay = "1ms")]
#[renamed::rt::timeout("1s")]
async fn through_a_renamed_crate() -> Result<u8, ServiceError> {
    Ok(1)
}

#[tokio::test(start_paused = true)]
async fn crate_override() {
    assert_eq!(through_a_renamed_crate().await, Ok(1));
}

#[tokio::test(start_paused = true)]
async fn errors_convert_into_the_users_type() {
    #[timeout("10ms")]
    async fn slow() -> Result<(), ServiceError> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Ok(())
    }
    match slow().await {
        Err(ServiceError::Resilience(Error::Timeout { after, .. })) => {
            assert_eq!(after, Duration::from_millis(10));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
