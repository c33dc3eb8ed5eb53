//! `#[fallback(path)]` where `path` takes the fn's own arguments followed by the error: a
//! per-key cached answer, methods, generics, `impl Trait` arguments, `#[async_trait]`, owned
//! arguments the body consumes, and the `(error)` form beside them.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use resilience_runtime::{fallback, retry, timeout};
use resilience_tests::ServiceError;

/// A store whose answers the fallback may serve when the upstream fails.
struct Db {
    cached: Mutex<HashMap<String, u32>>,
    up: bool,
}

impl Db {
    fn new(up: bool) -> Self {
        let cached = HashMap::from([(String::from("apple"), 3), (String::from("pear"), 5)]);
        Self {
            cached: Mutex::new(cached),
            up,
        }
    }
}

/// The cached answer for this very key.
fn cached_stock(db: &Db, sku: &str, error: ServiceError) -> Result<u32, ServiceError> {
    db.cached.lock().unwrap().get(sku).copied().ok_or(error)
}

#[fallback(cached_stock)]
async fn stock(db: &Db, sku: &str) -> Result<u32, ServiceError> {
    if db.up {
        Ok(100)
    } else {
        Err(ServiceError::Permanent)
    }
}

#[tokio::test]
async fn a_per_key_cached_answer_is_built_from_the_fns_arguments() {
    let down = Db::new(false);
    assert_eq!(stock(&down, "apple").await.unwrap(), 3);
    assert_eq!(stock(&down, "pear").await.unwrap(), 5);
    assert!(matches!(
        stock(&down, "plum").await,
        Err(ServiceError::Permanent)
    ));
    assert_eq!(stock(&Db::new(true), "plum").await.unwrap(), 100);
}

/// An async fallback of the arguments form, on an async fn with layers below.
async fn cached_stock_async(db: &Db, sku: &str, error: ServiceError) -> Result<u32, ServiceError> {
    tokio::task::yield_now().await;
    cached_stock(db, sku, error)
}

static RETRIED_CALLS: AtomicU32 = AtomicU32::new(0);

#[fallback(cached_stock_async)]
#[retry(max_attempts = 3, initial_delay = "1ms", jitter = "none")]
async fn stock_retried(db: &Db, sku: &str) -> Result<u32, ServiceError> {
    RETRIED_CALLS.fetch_add(1, Ordering::SeqCst);
    if db.up {
        Ok(100)
    } else {
        Err(ServiceError::Transient(String::from("down")))
    }
}

#[tokio::test(start_paused = true)]
async fn an_async_fallback_gets_the_arguments_after_the_layers_below_gave_up() {
    assert_eq!(stock_retried(&Db::new(false), "pear").await.unwrap(), 5);
    assert_eq!(RETRIED_CALLS.load(Ordering::SeqCst), 3);
}

/// Owned arguments reach the fallback as they were passed, even when the body consumes them.
fn echo_owned(key: String, count: u32, error: ServiceError) -> Result<String, ServiceError> {
    match error {
        ServiceError::Permanent => Ok(format!("{key}x{count}")),
        other => Err(other),
    }
}

#[fallback(echo_owned)]
fn consume_owned(key: String, count: u32) -> Result<String, ServiceError> {
    drop(key);
    let _ = count;
    Err(ServiceError::Permanent)
}

#[test]
fn owned_arguments_the_body_consumes_reach_the_fallback_as_clones() {
    assert_eq!(consume_owned(String::from("k"), 2).unwrap(), "kx2");
}

/// The `(error)` form still applies to a fn with arguments, and needs nothing of them: a
/// non-`Clone` owned argument is fine.
struct NotClone(u32);

fn error_only(_: ServiceError) -> Result<u32, ServiceError> {
    Ok(0)
}

#[fallback(error_only)]
fn takes_not_clone(value: NotClone) -> Result<u32, ServiceError> {
    if value.0 > 0 {
        Ok(value.0)
    } else {
        Err(ServiceError::Permanent)
    }
}

#[test]
fn the_error_form_needs_nothing_of_the_arguments() {
    assert_eq!(takes_not_clone(NotClone(4)).unwrap(), 4);
    assert_eq!(takes_not_clone(NotClone(0)).unwrap(), 0);
}

/// Methods: the fallback takes `&self` (as the method's receiver) and the other arguments.
struct Catalog {
    prefix: &'static str,
}

impl Catalog {
    fn cached_name(&self, id: u32, _error: ServiceError) -> Result<String, ServiceError> {
        Ok(format!("{}-{id}-cached", self.prefix))
    }

    #[fallback(Self::cached_name)]
    #[timeout("1s")]
    async fn name(&self, id: u32) -> Result<String, ServiceError> {
        let _ = id;
        Err(ServiceError::Permanent)
    }

    #[fallback(Self::cached_name)]
    fn name_sync(&self, id: u32) -> Result<String, ServiceError> {
        let _ = id;
        Err(ServiceError::Permanent)
    }
}

#[tokio::test]
async fn a_method_fallback_takes_self_and_the_arguments() {
    let catalog = Catalog { prefix: "c" };
    assert_eq!(catalog.name(7).await.unwrap(), "c-7-cached");
    assert_eq!(catalog.name_sync(8).unwrap(), "c-8-cached");
}

/// Generic and `impl Trait` arguments: the fallback is generic the same way.
fn describe_cached<T: Display + Clone>(
    value: T,
    _error: ServiceError,
) -> Result<String, ServiceError> {
    Ok(format!("cached {value}"))
}

#[fallback(describe_cached)]
fn describe_generic<T: Display + Clone>(value: T) -> Result<String, ServiceError> {
    let _ = value;
    Err(ServiceError::Permanent)
}

#[fallback(describe_cached)]
async fn describe_impl(value: impl Display + Clone) -> Result<String, ServiceError> {
    let _ = value;
    Err(ServiceError::Permanent)
}

#[tokio::test]
async fn generic_and_impl_trait_arguments_reach_a_generic_fallback() {
    assert_eq!(describe_generic(5).unwrap(), "cached 5");
    assert_eq!(describe_impl("x").await.unwrap(), "cached x");
}

/// `#[async_trait]` methods: the fallback takes the receiver and the arguments too.
#[async_trait]
trait Prices {
    async fn price(&self, sku: &str, quantity: u32) -> Result<u32, ServiceError>;
}

struct Shop;

impl Shop {
    fn cached_price(
        &self,
        sku: &str,
        quantity: u32,
        _error: ServiceError,
    ) -> Result<u32, ServiceError> {
        Ok(u32::try_from(sku.len()).unwrap() * quantity)
    }
}

#[async_trait]
impl Prices for Shop {
    #[fallback(Shop::cached_price)]
    async fn price(&self, sku: &str, quantity: u32) -> Result<u32, ServiceError> {
        let _ = (sku, quantity);
        Err(ServiceError::Permanent)
    }
}

#[tokio::test]
async fn an_async_trait_method_fallback_takes_self_and_the_arguments() {
    assert_eq!(Shop.price("ab", 3).await.unwrap(), 6);
}

/// A generic type's method: the fallback is the method's sibling, generic the same way.
struct Wrapper<T> {
    fallback_value: T,
}

impl<T: Clone + Send + Sync> Wrapper<T> {
    fn kept(&self, _error: ServiceError) -> Result<T, ServiceError> {
        Ok(self.fallback_value.clone())
    }

    fn kept_for(&self, value: T, _error: ServiceError) -> Result<T, ServiceError> {
        let _ = self;
        Ok(value)
    }

    #[fallback(Self::kept)]
    async fn get(&self) -> Result<T, ServiceError> {
        Err(ServiceError::Permanent)
    }

    #[fallback(Self::kept_for)]
    fn echo(&self, value: T) -> Result<T, ServiceError> {
        let _ = value;
        Err(ServiceError::Permanent)
    }
}

#[tokio::test]
async fn a_generic_types_method_takes_its_generic_sibling_as_fallback() {
    let wrapper = Wrapper { fallback_value: 7 };
    assert_eq!(wrapper.get().await.unwrap(), 7);
    assert_eq!(wrapper.echo(9).unwrap(), 9);
}

/// The `(error)` form on a fn with `&mut` and pattern-bound arguments, which the arguments form
/// cannot pass: the body still uses them as usual.
#[fallback(error_only)]
fn mutate((step, limit): (u32, u32), counter: &mut u32) -> Result<u32, ServiceError> {
    *counter += step;
    if *counter > limit {
        Err(ServiceError::Permanent)
    } else {
        Ok(*counter)
    }
}

#[test]
fn the_error_form_applies_to_mut_and_pattern_bound_arguments() {
    let mut counter = 0;
    assert_eq!(mutate((2, 3), &mut counter).unwrap(), 2);
    assert_eq!(mutate((2, 3), &mut counter).unwrap(), 0);
    assert_eq!(counter, 4);
}
