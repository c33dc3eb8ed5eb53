//! A name that sites use but nothing declares is reported at startup, by `config::issues()`,
//! in the snapshot and by `testing::assert_all_declared`, with a did-you-mean.

use resilience_runtime::bulkhead::BulkheadConfig;
use resilience_runtime::config::Severity;
use resilience_runtime::{Error, bulkhead, circuit_breaker, config, rate_limit, registry, testing};

#[circuit_breaker(name = "inventory-db", failure_threshold = 3)]
async fn load() -> Result<(), Error> {
    Ok(())
}

// The typo: adopts a breaker nothing declares, so it runs with the defaults.
#[circuit_breaker(name = "inventroy-db")]
async fn save() -> Result<(), Error> {
    Ok(())
}

#[circuit_breaker(name = "inventroy-db")]
async fn delete() -> Result<(), Error> {
    Ok(())
}

// Declared from code at startup.
#[bulkhead(name = "pool-from-code")]
async fn render() -> Result<(), Error> {
    Ok(())
}

// Declared by configuration.
#[rate_limit(name = "api-from-file")]
async fn search() -> Result<(), Error> {
    Ok(())
}

#[tokio::test]
async fn names_declared_nowhere_are_reported_with_a_did_you_mean() {
    registry().register_bulkhead("pool-from-code", BulkheadConfig::new(4));
    config::load_str("[rate_limiter.api-from-file]\nrate = \"5/s\"").unwrap();
    load().await.unwrap();
    save().await.unwrap();
    delete().await.unwrap();
    render().await.unwrap();
    search().await.unwrap();

    let undeclared = registry().undeclared();
    assert_eq!(undeclared.len(), 1, "{undeclared:?}");
    let typo = &undeclared[0];
    assert_eq!(
        (typo.kind, typo.name.as_str()),
        ("circuit_breaker", "inventroy-db")
    );
    assert_eq!(typo.did_you_mean.as_deref(), Some("inventory-db"));
    assert_eq!(typo.used_at.len(), 2);
    assert!(
        typo.used_at[0].ends_with("undeclared.rs:14"),
        "{:?}",
        typo.used_at
    );

    let issue = config::issues()
        .into_iter()
        .find(|issue| issue.message.contains("inventroy-db"))
        .expect("listed by config::issues");
    assert_eq!(issue.severity, Severity::Warning);
    assert_eq!(
        issue.message,
        format!(
            "circuit breaker \"inventroy-db\" is named here but declared nowhere (did you mean \
             \"inventory-db\"?); it runs with the default configuration (also named at {})",
            typo.used_at[1]
        )
    );

    let snapshot = registry().snapshot();
    assert_eq!(snapshot.undeclared, undeclared);
    assert!(snapshot.to_string().contains(
        "Named but declared nowhere (running with the defaults)\n  circuit_breaker `inventroy-db` \
         (did you mean `inventory-db`?): named at "
    ));
    let json = serde_json::to_value(&snapshot).unwrap();
    assert_eq!(json["undeclared"][0]["name"], "inventroy-db");

    let failure = std::panic::catch_unwind(testing::assert_all_declared).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("1 name(s) used but declared nowhere:"),
        "{message}"
    );
    assert!(
        message.contains("did you mean \"inventory-db\"?"),
        "{message}"
    );
}
