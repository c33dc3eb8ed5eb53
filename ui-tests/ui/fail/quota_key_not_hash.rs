//! A key whose type is not `Hash`: one error at the key, in words about quotas, in an async
//! fn and in a sync fn.

use resilience_runtime::quota;

struct Client {
    id: u32,
}

#[quota(limit = "1000/day", key = client)]
async fn load(client: &Client) -> Result<u32, resilience_runtime::Error> {
    Ok(client.id)
}

#[quota(limit = "1000/day", key = client)]
fn load_blocking(client: &Client) -> Result<u32, resilience_runtime::Error> {
    Ok(client.id)
}

fn main() {
    let client = Client { id: 1 };
    let _ = load(&client);
    let _ = load_blocking(&client);
}
