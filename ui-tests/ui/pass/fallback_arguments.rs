//! `#[fallback(path)]` where `path` takes the fn's own arguments followed by the error, beside
//! the `(error)` form: free fns, methods, sync and async fallbacks.

use resilience_runtime::{fallback, Error};

struct Db;

fn cached(_db: &Db, sku: &str, _: Error) -> Result<usize, Error> {
    Ok(sku.len())
}

async fn cached_async(_db: &Db, sku: &str, _: Error) -> Result<usize, Error> {
    Ok(sku.len() + 1)
}

fn error_only(_: Error) -> Result<usize, Error> {
    Ok(0)
}

fn cached_after_down(_db: &Db, sku: &str, _: Down) -> Result<usize, Down> {
    Ok(sku.len())
}

/// The service's own error.
struct Down;

impl From<Error> for Down {
    fn from(_: Error) -> Self {
        Self
    }
}

#[fallback(cached)]
async fn load(db: &Db, sku: &str) -> Result<usize, Error> {
    let _ = db;
    Ok(sku.len() * 2)
}

#[fallback(cached_after_down)]
async fn load_down(db: &Db, sku: &str) -> Result<usize, Down> {
    let _ = (db, sku);
    Err(Down)
}

#[fallback(cached_async)]
async fn load_async(db: &Db, sku: &str) -> Result<usize, Error> {
    let _ = (db, sku);
    Ok(9)
}

#[fallback(error_only)]
fn load_sync(owned: String) -> Result<usize, Error> {
    Ok(owned.len())
}

struct Store;

impl Store {
    fn kept(&self, id: u32, _: Error) -> Result<u32, Error> {
        Ok(id)
    }

    #[fallback(Self::kept)]
    fn get(&self, id: u32) -> Result<u32, Error> {
        Ok(id + 1)
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        assert_eq!(load(&Db, "abc").await.ok(), Some(6));
        assert_eq!(load_down(&Db, "abc").await.ok(), Some(3));
        assert_eq!(load_async(&Db, "abc").await.unwrap(), 9);
    });
    assert_eq!(load_sync(String::from("ab")).unwrap(), 2);
    assert_eq!(Store.get(1).unwrap(), 2);
}
