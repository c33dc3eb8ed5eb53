//! Configuration layers applied to a declared configuration, key by key.

use std::collections::BTreeMap;

use super::keys::{Configurable, Setting};

/// `base` with the settings of `layers` applied, layer after layer, each in key order; and
/// the keys set.
pub(crate) fn layered<P: Configurable>(
    base: P::Config,
    layers: &[Option<&BTreeMap<&'static str, (Setting, String)>>],
) -> (P::Config, Vec<&'static str>) {
    let mut config = base;
    let mut set = Vec::new();
    for layer in layers.iter().flatten() {
        for key in P::SPEC.keys {
            if let Some((setting, _)) = layer.get(key.name) {
                config = P::set(config, key.name, setting);
                if !set.contains(&key.name) {
                    set.push(key.name);
                }
            }
        }
    }
    (config, set)
}

/// Where `key` was set among `layers`, the last one first (for messages).
pub(crate) fn origin(
    key: &str,
    layers: &[Option<&BTreeMap<&'static str, (Setting, String)>>],
    fallback: &str,
) -> String {
    layers
        .iter()
        .rev()
        .flatten()
        .find_map(|layer| layer.get(key).map(|(_, at)| at.clone()))
        .unwrap_or_else(|| fallback.to_owned())
}
