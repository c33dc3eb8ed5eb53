//! `chaos`: a kind the configuration layers know but do not address. A chaos instance is
//! configured by its attribute or `register_chaos` only; `RESILIENCE_CHAOS` and
//! `RESILIENCE_CHAOS_SEED` (read by the `chaos` module) arm it and seed it. It is not in
//! [`KINDS`](super::KINDS), so files, overrides and `RESILIENCE_CHAOS_<NAME>_<KEY>`
//! variables never name it, and its instances run with their declared configuration.

use super::keys::{Configurable, KindSpec, NAME_AND_CRATE, Setting};
use crate::chaos::{Chaos, ChaosConfig};

pub(crate) static SPEC: KindSpec = KindSpec {
    name: "chaos",
    env: "CHAOS",
    keys: &[],
    fixed: &NAME_AND_CRATE,
};

impl Configurable for Chaos {
    const SPEC: &'static KindSpec = &SPEC;

    fn set(config: ChaosConfig, _key: &str, _setting: &Setting) -> ChaosConfig {
        config
    }

    fn check(_set: &[&'static str], _config: &ChaosConfig) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn in_force(&self) -> ChaosConfig {
        self.config()
    }

    fn fixed_while_running(
        _before: &ChaosConfig,
        _after: &ChaosConfig,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    fn reconfigure(&self, _config: ChaosConfig) {}
}

#[cfg(test)]
mod tests {
    use super::super::env;

    #[test]
    fn chaos_variables_are_not_configuration_mistakes() {
        let vars = [
            (String::from("RESILIENCE_CHAOS"), Some(String::from("1"))),
            (
                String::from("RESILIENCE_CHAOS_SEED"),
                Some(String::from("42")),
            ),
        ];
        let layer = env::read(vars, &env::KnownNames::new());
        assert!(layer.issues.is_empty(), "{:?}", layer.issues);
        assert!(layer.settings.is_empty());
    }
}
