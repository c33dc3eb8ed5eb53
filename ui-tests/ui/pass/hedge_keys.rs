//! Every `#[hedge]` key and form: fixed and percentile delays, `max_hedges`, a shared name,
//! a method on `&self`, borrowed arguments, and stacks with the other attributes.

use std::time::Duration;

use resilience_runtime::{bulkhead, hedge, registry, retry, timeout, Error};

#[hedge(delay = "50ms")]
async fn fixed(query: &str) -> Result<usize, Error> {
    Ok(query.len())
}

#[hedge(name = "ui-search", delay = "p95", max_hedges = 4)]
async fn percentile(query: &str) -> Result<usize, Error> {
    Ok(query.len())
}

#[hedge(name = "ui-search")]
async fn adopts(query: &str) -> Result<usize, Error> {
    Ok(query.len())
}

#[hedge(delay = "p90")]
async fn p90() -> Result<(), Error> {
    Ok(())
}

#[hedge(delay = "p99", max_hedges = 1)]
async fn p99() -> Result<(), Error> {
    Ok(())
}

struct Index {
    words: Vec<String>,
}

impl Index {
    #[retry(max_attempts = 2)]
    #[hedge(name = "ui-index", delay = "1m30s", max_hedges = 2)]
    #[timeout("1s")]
    #[bulkhead(max_concurrent = 4)]
    async fn find(&self, word: &str) -> Result<bool, Error> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(self.words.iter().any(|known| known == word))
    }
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    assert_eq!(fixed("ab").await.unwrap(), 2);
    assert_eq!(percentile("abc").await.unwrap(), 3);
    assert_eq!(adopts("abcd").await.unwrap(), 4);
    p90().await.unwrap();
    p99().await.unwrap();
    let index = Index {
        words: vec![String::from("socks")],
    };
    assert!(index.find("socks").await.unwrap());
    assert_eq!(registry().hedge("ui-search").unwrap().metrics().calls, 2);
    assert_eq!(registry().hedge("ui-index").unwrap().config().max_hedges(), 2);
}
