//! The DESIGN.md example, almost verbatim: a stacked `load_stock`, a `save_stock` that shares
//! the breaker by name without config of its own, and registry inspection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use resilience_runtime::circuit_breaker::CircuitState;
use resilience_runtime::{bulkhead, circuit_breaker, retry, timeout};

#[derive(Debug, thiserror::Error)]
enum MyError {
    #[error("transient: {0}")]
    Transient(&'static str),
    #[error("unknown sku {0}")]
    UnknownSku(String),
    #[error(transparent)]
    Resilience(#[from] resilience_runtime::Error),
}

impl MyError {
    fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// A fake database: an in-memory table that fails the next `hiccups` queries.
#[derive(Default)]
struct Db {
    stock: Mutex<HashMap<String, u32>>,
    hiccups: AtomicU32,
    queries: AtomicU32,
}

impl Db {
    async fn query(&self, sku: &str) -> Result<u32, MyError> {
        self.queries.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        if self.hiccups.load(Ordering::SeqCst) > 0 {
            self.hiccups.fetch_sub(1, Ordering::SeqCst);
            return Err(MyError::Transient("connection reset"));
        }
        self.stock
            .lock()
            .unwrap()
            .get(sku)
            .copied()
            .ok_or_else(|| MyError::UnknownSku(sku.to_owned()))
    }

    async fn store(&self, sku: &str, n: u32) -> Result<(), MyError> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.stock.lock().unwrap().insert(sku.to_owned(), n);
        Ok(())
    }
}

#[circuit_breaker(name = "inventory-db", failure_rate = 50, window = 20, minimum_calls = 10,
                  recovery_timeout = "30s")]
#[retry(max_attempts = 4, backoff = "exponential", initial_delay = "50ms", max_delay = "2s",
        jitter = "full", when = MyError::is_transient)]
#[timeout("500ms")]
#[bulkhead(name = "inventory-pool", max_concurrent = 16, max_wait = "100ms")]
async fn load_stock(db: &Db, sku: &str) -> Result<u32, MyError> { db.query(sku).await }

// another function shares the same breaker by name; it declares no config of its own
#[circuit_breaker(name = "inventory-db")]
async fn save_stock(db: &Db, sku: &str, n: u32) -> Result<(), MyError> { db.store(sku, n).await }

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = Db::default();
        save_stock(&db, "apple", 7).await.unwrap();

        // Two transient failures are retried away.
        db.hiccups.store(2, Ordering::SeqCst);
        assert_eq!(load_stock(&db, "apple").await.unwrap(), 7);
        assert_eq!(db.queries.load(Ordering::SeqCst), 3);

        // An unknown SKU is not transient: one query, no retry.
        let error = load_stock(&db, "pear").await.unwrap_err();
        assert!(matches!(error, MyError::UnknownSku(ref sku) if sku == "pear"), "{error:?}");
        assert_eq!(db.queries.load(Ordering::SeqCst), 4);

        // registry inspection, e.g. behind a /status endpoint
        let snap = resilience_runtime::registry().snapshot();
        let db_breaker = resilience_runtime::registry().circuit_breaker("inventory-db").unwrap();
        println!("{:?} {:?}", db_breaker.state(), db_breaker.metrics());

        assert_eq!(db_breaker.state(), CircuitState::Closed);
        // save_stock adopted the configuration declared on load_stock.
        let config = db_breaker.config();
        assert_eq!(config.failure_rate(), Some(50));
        assert_eq!(config.minimum_calls(), 10);
        assert_eq!(config.recovery_timeout(), Duration::from_secs(30));
        let metrics = db_breaker.metrics();
        assert_eq!(metrics.successful, 2, "{metrics:?}");
        assert_eq!(metrics.failed, 1, "{metrics:?}");

        let pool = resilience_runtime::registry().bulkhead("inventory-pool").unwrap();
        assert_eq!(pool.max_concurrent(), 16);
        assert_eq!(pool.in_flight(), 0);

        assert!(snap.circuit_breakers.iter().any(|breaker| breaker.name == "inventory-db"));
        assert!(snap.bulkheads.iter().any(|bulkhead| bulkhead.name == "inventory-pool"));
        assert!(snap.conflicts.is_empty(), "{:?}", snap.conflicts);

        // Both fns go through the one breaker: forcing it open rejects both.
        db_breaker.force_open();
        assert!(matches!(
            save_stock(&db, "apple", 8).await,
            Err(MyError::Resilience(resilience_runtime::Error::CircuitOpen { .. }))
        ));
        assert!(matches!(
            load_stock(&db, "apple").await,
            Err(MyError::Resilience(resilience_runtime::Error::CircuitOpen { .. }))
        ));
        assert_eq!(db.queries.load(Ordering::SeqCst), 4);
        db_breaker.reset();
        assert_eq!(load_stock(&db, "apple").await.unwrap(), 7);
    });
}
