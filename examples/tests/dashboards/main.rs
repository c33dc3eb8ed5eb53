//! `dashboards/grafana.json`, `alerts.yml` and `alerts_test.yml` against what the crate
//! exports: every metric and label their PromQL (and the rule tests' input series) reads must
//! be in a scrape of every kind of instance, every label value they match exactly must be one
//! the metric shows, every rule must have a test, and every metric the crate declares must be
//! on the dashboard. Renaming a metric, a label or an outcome, or adding a metric without a
//! panel, fails here.

mod exposition;
mod promql;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use exposition::{Exposition, labels_of};
use resilience_runtime::quota::{QuotaConfig, QuotaLimit};
use resilience_runtime::rate_limit::{Backend, Rate, RateLimitConfig};
use resilience_runtime::{
    Error, bulkhead, circuit_breaker, hedge, quota, rate_limit, registry, retry,
};
use serde::Deserialize;
use serde_json::Value;

const GRAFANA: &str = include_str!("../../../dashboards/grafana.json");
const ALERTS: &str = include_str!("../../../dashboards/alerts.yml");
const ALERT_TESTS: &str = include_str!("../../../dashboards/alerts_test.yml");

/// Labels Prometheus gives every series it scrapes, besides the exporter's own.
const TARGET_LABELS: [&str; 2] = ["job", "instance"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    alert: String,
    expr: String,
    #[serde(rename = "for")]
    pending: String,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
}

/// `alerts_test.yml`, as far as the checks here read it.
#[derive(Debug, Deserialize)]
struct RuleTests {
    tests: Vec<RuleTest>,
}

#[derive(Debug, Deserialize)]
struct RuleTest {
    input_series: Vec<InputSeries>,
    alert_rule_test: Vec<AlertTest>,
}

#[derive(Debug, Deserialize)]
struct InputSeries {
    series: String,
}

#[derive(Debug, Deserialize)]
struct AlertTest {
    alertname: String,
}

#[circuit_breaker(
    name = "dash-db",
    failure_threshold = 2,
    slow_call_duration = "1s",
    slow_call_rate = 50
)]
async fn db(ok: bool) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::timeout(Duration::from_secs(1)))
    }
}

static FAILURES_LEFT: AtomicU32 = AtomicU32::new(0);

#[retry(
    name = "dash-retry",
    max_attempts = 2,
    budget = "50%",
    initial_delay = "10ms",
    jitter = "none"
)]
async fn flaky() -> Result<(), Error> {
    if FAILURES_LEFT.load(Ordering::SeqCst) > 0 {
        FAILURES_LEFT.fetch_sub(1, Ordering::SeqCst);
        return Err(Error::timeout(Duration::from_secs(1)));
    }
    Ok(())
}

#[rate_limit(name = "dash-api", rate = "1/s", on_limit = "reject", key = tenant)]
async fn api(tenant: &str) -> Result<(), Error> {
    let _ = tenant;
    Ok(())
}

#[bulkhead(name = "dash-pool", max_concurrent = 1)]
async fn pooled() -> Result<(), Error> {
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(())
}

#[hedge(name = "dash-hedge", delay = "50ms")]
async fn hedged() -> Result<(), Error> {
    Ok(())
}

#[quota(name = "dash-quota", limit = "1/day", key = client)]
async fn metered(client: &str) -> Result<(), Error> {
    let _ = client;
    Ok(())
}

/// Calls every kind, so each outcome and state is one a scrape shows, and declares a
/// limiter and a quota with a Redis backend (never called: no server is needed for their
/// metrics).
async fn exercise_every_kind() {
    db(true).await.unwrap();
    let _ = db(false).await;
    let _ = db(false).await;
    assert!(matches!(db(true).await, Err(Error::CircuitOpen { .. })));

    flaky().await.unwrap();
    FAILURES_LEFT.store(5, Ordering::SeqCst);
    assert!(flaky().await.is_err());

    api("a").await.unwrap();
    assert!(api("a").await.is_err());

    let holder = tokio::spawn(pooled());
    tokio::task::yield_now().await;
    assert!(pooled().await.is_err());
    holder.await.unwrap().unwrap();

    hedged().await.unwrap();

    metered("a").await.unwrap();
    assert!(matches!(
        metered("a").await,
        Err(Error::QuotaExceeded { .. })
    ));

    registry().register_rate_limiter(
        "dash-shared",
        RateLimitConfig::new(Rate::per_second(10)).with_backend(Backend::Redis),
    );
    registry().register_quota(
        "dash-quota-shared",
        QuotaConfig::new(QuotaLimit::per_hour(10)).with_backend(Backend::Redis),
    );
}

/// Every PromQL expression of the dashboard, with where it is.
fn dashboard_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut queries = Vec::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    for panel in panels {
        let title = panel["title"].as_str().unwrap_or("untitled");
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("every target has an expr");
            queries.push((format!("panel {title:?}"), expr.to_owned()));
        }
    }
    queries
}

/// Checks what `expr` reads against `exposition`; answers the metrics it reads.
fn check_query(
    place: &str,
    expr: &str,
    exposition: &Exposition,
    problems: &mut Vec<String>,
) -> BTreeSet<String> {
    let query = match promql::read(expr) {
        Ok(query) => query,
        Err(problem) => {
            problems.push(format!("{place}: {problem}"));
            return BTreeSet::new();
        }
    };
    if query.selectors.is_empty() {
        problems.push(format!("{place}: reads no metric: {expr}"));
    }
    let has_label = |metric: &str, label: &str| {
        TARGET_LABELS.contains(&label) || labels_of(exposition, metric).contains(label)
    };
    for selector in &query.selectors {
        let Some(series) = exposition.get(&selector.metric) else {
            problems.push(format!(
                "{place}: `{}` is not exported (not in a scrape of every kind)",
                selector.metric
            ));
            continue;
        };
        for matcher in &selector.matchers {
            if !has_label(&selector.metric, &matcher.label) {
                problems.push(format!(
                    "{place}: `{}` has no label `{}`",
                    selector.metric, matcher.label
                ));
            }
        }
        for wanted in literal_combinations(&selector.matchers) {
            let exported = series.iter().any(|series| {
                wanted
                    .iter()
                    .all(|(label, value)| series.get(*label).map(String::as_str) == Some(*value))
            });
            if !exported {
                problems.push(format!(
                    "{place}: no `{}` series has {wanted:?}",
                    selector.metric
                ));
            }
        }
    }
    for grouping in &query.groupings {
        for label in &grouping.labels {
            for metric in &grouping.metrics {
                if !has_label(metric, label) {
                    problems.push(format!(
                        "{place}: `{} ({label})` over `{metric}`, which has no such label",
                        grouping.clause
                    ));
                }
            }
        }
    }
    query
        .selectors
        .into_iter()
        .map(|selector| selector.metric)
        .collect()
}

/// The label values a selector asks for exactly, as the combinations some series must
/// carry: its `label="value"` matchers, with each alternative of a `label=~"a|b"` one in
/// turn. Matchers that hold a dashboard variable, or negate, are not literal.
fn literal_combinations(matchers: &[promql::Matcher]) -> Vec<Vec<(&str, &str)>> {
    let literal = |matcher: &&promql::Matcher| !matcher.value.contains('$');
    let fixed: Vec<(&str, &str)> = matchers
        .iter()
        .filter(literal)
        .filter(|matcher| matcher.op == "=")
        .map(|matcher| (matcher.label.as_str(), matcher.value.as_str()))
        .collect();
    let mut combinations = vec![fixed];
    for matcher in matchers
        .iter()
        .filter(literal)
        .filter(|matcher| matcher.op == "=~")
    {
        combinations = combinations
            .iter()
            .flat_map(|combination| {
                matcher.value.split('|').map(move |alternative| {
                    let mut combination = combination.clone();
                    combination.push((matcher.label.as_str(), alternative));
                    combination
                })
            })
            .collect();
    }
    combinations
}

/// Grafana's `label_values(metric, label)` variable queries.
fn check_variables(dashboard: &Value, exposition: &Exposition, problems: &mut Vec<String>) {
    for variable in dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
    {
        if variable["type"] != "query" {
            continue;
        }
        let query = variable["query"]["query"].as_str().expect("a query");
        let arguments = query
            .strip_prefix("label_values(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|arguments| arguments.split_once(','));
        let Some((metric, label)) = arguments else {
            problems.push(format!(
                "variable {}: not label_values(metric, label): {query}",
                variable["name"]
            ));
            continue;
        };
        let (metric, label) = (metric.trim(), label.trim());
        if !labels_of(exposition, metric).contains(label) {
            problems.push(format!(
                "variable {}: `{metric}` has no label `{label}`",
                variable["name"]
            ));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn dashboards_and_alerts_read_only_what_the_crate_exports() {
    exercise_every_kind().await;
    let exposition = exposition::scrape();
    let declared = exposition::declared_metrics();
    assert!(
        declared.len() >= 18,
        "too few metrics found in metrics.rs: {declared:?}"
    );
    for metric in &declared {
        assert!(
            metric.starts_with("resilience_")
                && metric.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "not a metric name: {metric:?}"
        );
    }
    // The scrape is complete: it shows every declared metric and nothing else.
    let scraped: BTreeSet<String> = exposition.keys().cloned().collect();
    assert_eq!(
        scraped, declared,
        "exercise_every_kind must make every metric appear"
    );

    let mut problems = Vec::new();
    let dashboard: Value = serde_json::from_str(GRAFANA).expect("grafana.json is JSON");
    let mut on_dashboard = BTreeSet::new();
    for (place, expr) in dashboard_queries(&dashboard) {
        on_dashboard.extend(check_query(&place, &expr, &exposition, &mut problems));
    }
    check_variables(&dashboard, &exposition, &mut problems);
    for metric in declared.difference(&on_dashboard) {
        problems.push(format!("`{metric}` is exported but on no dashboard panel"));
    }

    let rules: RuleFile = serde_norway::from_str(ALERTS).expect("alerts.yml parses");
    for group in &rules.groups {
        for rule in &group.rules {
            let place = format!("alert {} (group {})", rule.alert, group.name);
            check_query(&place, &rule.expr, &exposition, &mut problems);
        }
    }
    check_alert_tests(&rules, &exposition, &mut problems);
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The series `alerts_test.yml` feeds the rules are series the crate exports (instance
/// names aside), and every rule has a test.
fn check_alert_tests(rules: &RuleFile, exposition: &Exposition, problems: &mut Vec<String>) {
    let tests: RuleTests = serde_norway::from_str(ALERT_TESTS).expect("alerts_test.yml parses");
    let mut tested = BTreeSet::new();
    for test in &tests.tests {
        for input in &test.input_series {
            let place = format!("alerts_test.yml series {}", input.series);
            let mut query = match promql::read(&input.series) {
                Ok(query) if query.selectors.len() == 1 => query,
                _ => {
                    problems.push(format!("{place}: not one selector"));
                    continue;
                }
            };
            let selector = &mut query.selectors[0];
            for matcher in &selector.matchers {
                let known = TARGET_LABELS.contains(&matcher.label.as_str())
                    || labels_of(exposition, &selector.metric).contains(&matcher.label);
                if !known {
                    problems.push(format!("{place}: no label `{}`", matcher.label));
                }
            }
            // Instance names are the test's own; the other labels' values must be real.
            selector.matchers.retain(|matcher| {
                matcher.label != "name" && !TARGET_LABELS.contains(&matcher.label.as_str())
            });
            let expr = format!(
                "{}{{{}}}",
                selector.metric,
                selector
                    .matchers
                    .iter()
                    .map(|matcher| format!("{}=\"{}\"", matcher.label, matcher.value))
                    .collect::<Vec<_>>()
                    .join(",")
            );
            check_query(&place, &expr, exposition, problems);
        }
        tested.extend(
            test.alert_rule_test
                .iter()
                .map(|test| test.alertname.clone()),
        );
    }
    let rules: BTreeSet<String> = rules
        .groups
        .iter()
        .flat_map(|group| &group.rules)
        .map(|rule| rule.alert.clone())
        .collect();
    for untested in rules.difference(&tested) {
        problems.push(format!("alert {untested} has no test in alerts_test.yml"));
    }
    for unknown in tested.difference(&rules) {
        problems.push(format!(
            "alerts_test.yml tests {unknown}, which alerts.yml lacks"
        ));
    }
}

#[test]
fn the_dashboard_is_a_grafana_dashboard() {
    let dashboard: Value = serde_json::from_str(GRAFANA).expect("grafana.json is JSON");
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string());
    assert!(
        dashboard["schemaVersion"]
            .as_u64()
            .is_some_and(|version| version >= 36)
    );
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let datasource = variables
        .iter()
        .find(|variable| variable["type"] == "datasource")
        .expect("a data source variable, so the dashboard imports anywhere");
    assert_eq!(datasource["query"], "prometheus");
    let expected_source = format!("${{{}}}", datasource["name"].as_str().unwrap());

    let mut ids = BTreeSet::new();
    let mut titles = BTreeSet::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = panel["title"].as_str().expect("a title");
        assert!(
            ids.insert(panel["id"].as_u64().expect("an id")),
            "duplicate id: {title}"
        );
        let grid = &panel["gridPos"];
        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
        assert!(
            x + w <= 24 && grid["h"].as_u64().unwrap() > 0,
            "{title} is off the grid"
        );
        if panel["type"] == "row" {
            continue;
        }
        assert!(titles.insert(title.to_owned()), "two panels named {title}");
        assert_eq!(panel["datasource"]["uid"], expected_source, "{title}");
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title} has no query");
        let mut ref_ids = BTreeSet::new();
        for target in targets {
            assert!(ref_ids.insert(target["refId"].as_str().unwrap()), "{title}");
            assert_eq!(target["datasource"]["uid"], expected_source, "{title}");
        }
    }
    for wanted in [
        "Calls by outcome",
        "Breaker state",
        "Breaker transitions",
        "Failure and slow-call rates",
        "Limiter rejections and waits",
        "Bulkhead in flight vs limit",
        "Retry attempts",
        "Retried calls by outcome",
    ] {
        assert!(titles.contains(wanted), "no panel {wanted:?}: {titles:?}");
    }
}

#[test]
fn each_alert_waits_has_a_severity_and_a_summary() {
    let rules: RuleFile = serde_norway::from_str(ALERTS).expect("alerts.yml parses");
    let mut alerts = BTreeSet::new();
    for rule in rules.groups.iter().flat_map(|group| &group.rules) {
        assert!(
            alerts.insert(rule.alert.as_str()),
            "two alerts named {}",
            rule.alert
        );
        let pending = rule
            .pending
            .strip_suffix('m')
            .and_then(|minutes| minutes.parse::<u32>().ok());
        assert!(
            pending.is_some_and(|minutes| minutes > 0),
            "{}: for: {:?}",
            rule.alert,
            rule.pending
        );
        let severity = rule.labels.get("severity").map(String::as_str);
        assert!(
            matches!(severity, Some("critical" | "warning" | "info")),
            "{}: severity {severity:?}",
            rule.alert
        );
        assert!(
            rule.annotations
                .get("summary")
                .is_some_and(|summary| !summary.is_empty()),
            "{}",
            rule.alert
        );
    }
    for wanted in [
        "ResilienceCircuitBreakerOpen",
        "ResilienceRetriesExhausted",
        "ResilienceRateLimiterRejecting",
        "ResilienceBulkheadSaturated",
    ] {
        assert!(alerts.contains(wanted), "no alert {wanted}: {alerts:?}");
    }
}
