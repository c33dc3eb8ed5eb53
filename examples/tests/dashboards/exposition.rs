//! What the crate exports: the metric names `resilience_runtime::metrics` declares, and a
//! Prometheus scrape of every kind of instance with the labels and values each metric shows.

use std::collections::{BTreeMap, BTreeSet};

use metrics_exporter_prometheus::PrometheusBuilder;

/// One series: its labels and their values.
pub type Series = BTreeMap<String, String>;

/// Every metric of a scrape, with its series.
pub type Exposition = BTreeMap<String, Vec<Series>>;

/// Records the registry into a fresh Prometheus recorder and reads back what it renders.
pub fn scrape() -> Exposition {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, resilience_runtime::metrics::record);
    parse(&handle.render())
}

/// The text exposition format: `name{label="value",...} number` lines; comments skipped.
fn parse(text: &str) -> Exposition {
    let mut exposition = Exposition::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (series, _value) = line.rsplit_once(' ').expect("a sample line");
        let (name, labels) = series.split_once('{').unwrap_or((series, "}"));
        let labels = labels.strip_suffix('}').expect("a closing brace");
        let series = labels
            .split(',')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (label, value) = pair.split_once('=').expect("label=value");
                (label.to_owned(), value.trim_matches('"').to_owned())
            })
            .collect();
        exposition.entry(name.to_owned()).or_default().push(series);
    }
    exposition
}

/// Every label some series of `metric` carries.
pub fn labels_of(exposition: &Exposition, metric: &str) -> BTreeSet<String> {
    exposition
        .get(metric)
        .into_iter()
        .flatten()
        .flat_map(|series| series.keys().cloned())
        .collect()
}

/// The metric names `resilience-runtime/src/metrics.rs` declares as `pub const X: &str`.
pub fn declared_metrics() -> BTreeSet<String> {
    let source = include_str!("../../../resilience-runtime/src/metrics.rs");
    source
        .split("pub const ")
        .skip(1)
        .filter_map(|item| {
            let item = &item[..item.find(';')?];
            let (_, value) = item.split_once(": &str =")?;
            Some(value.trim().trim_matches('"').to_owned())
        })
        .collect()
}
