//! The rules built from the settings, once per settings document.

use std::rc::Rc;

use json_scan::Raw;
use policy_glue::SettingsCache;

use crate::settings::{Rules, Settings};

thread_local! {
    static RULES: SettingsCache<Rules> = const { SettingsCache::new() };
}

/// Settings and the rules derived from them, built only when a host path must be judged:
/// most workloads have no hostPath volume and never pay for it.
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

    /// The rules, built (or taken from the cache) on first use.
    pub fn get(&mut self) -> Result<Rc<Rules>, String> {
        if let Some(rules) = &self.rules {
            return Ok(rules.clone());
        }
        let key = self.settings.map(|raw| raw.bytes()).unwrap_or_default();
        let rules = RULES.with(|cache| {
            cache.get(key, |_| {
                let settings: Settings = match self.settings {
                    Some(raw) => raw.parse().map_err(|e| format!("invalid settings: {e}"))?,
                    None => Settings::default(),
                };
                Ok::<_, String>(Rules::from(settings))
            })
        })?;
        self.rules = Some(rules.clone());
        Ok(rules)
    }
}
