//! Every `#[quota]` key and form: fixed and sliding windows, periods by name and by duration,
//! keys with their bounds, a shared name, a sync fn, a method, and stacks with the other
//! attributes.

use resilience_runtime::{circuit_breaker, quota, registry, retry, timeout, Error};

#[quota(limit = "1000/day")]
async fn daily() -> Result<(), Error> {
    Ok(())
}

#[quota(name = "ui-quota", limit = "500/h", window = "sliding")]
async fn hourly() -> Result<(), Error> {
    Ok(())
}

#[quota(name = "ui-quota")]
async fn adopts() -> Result<(), Error> {
    Ok(())
}

#[quota(limit = "10/90s", key = (client, region), max_keys = 5_000, idle_ttl = "1h")]
async fn keyed(client: &str, region: u8) -> Result<usize, Error> {
    Ok(client.len() + usize::from(region))
}

#[quota(limit = "100/min", window = "fixed", key = client)]
fn blocking(client: &str) -> Result<usize, Error> {
    Ok(client.len())
}

struct Api;

impl Api {
    #[quota(limit = "5/s", key = user)]
    async fn call(&self, user: u64) -> Result<u64, Error> {
        Ok(user)
    }
}

#[circuit_breaker(name = "ui-quota-breaker")]
#[retry(max_attempts = 3)]
#[quota(limit = "20/h", key = client)]
#[timeout("1s")]
async fn stacked(client: &str) -> Result<usize, Error> {
    Ok(client.len())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() {
    daily().await.unwrap();
    hourly().await.unwrap();
    adopts().await.unwrap();
    assert_eq!(keyed("acme", 1).await.unwrap(), 5);
    assert_eq!(blocking("acme").unwrap(), 4);
    assert_eq!(Api.call(7).await.unwrap(), 7);
    assert_eq!(stacked("acme").await.unwrap(), 4);
    assert_eq!(registry().quota("ui-quota").unwrap().remaining(&()), 498);
}
