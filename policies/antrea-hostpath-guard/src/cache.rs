//! The rules built from the settings, only when a host path must be judged.

use std::rc::Rc;

use json_scan::Raw;

use crate::settings::{Rules, Settings};

/// Settings and the rules derived from them, built only when a host path must be judged:
/// most workloads have no hostPath volume and never pay for it. Built anew for each request:
/// policy-server evaluates every request in a fresh instance, where a cache never hits.
pub struct LazyRules<'a> {
    settings: Option<Raw<'a>>,
    rules: Option<Rc<Rules>>,
}

impl<'a> LazyRules<'a> {
    /// Rules for these settings (`None`: the defaults), not built yet.
    pub fn new(settings: Option<Raw<'a>>) -> Self {
        LazyRules {
            settings,
            rules: None,
        }
    }

    /// The rules, built on first use.
    pub fn get(&mut self) -> Result<Rc<Rules>, String> {
        if let Some(rules) = &self.rules {
            return Ok(rules.clone());
        }
        let settings = match self.settings {
            Some(raw) => raw.parse().map_err(|e| format!("invalid settings: {e}"))?,
            None => Settings::default(),
        };
        let rules = Rules::from(settings);
        let rules = Rc::new(rules);
        self.rules = Some(rules.clone());
        Ok(rules)
    }
}
