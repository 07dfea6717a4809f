//! The rules built from the settings, once per settings document.

use std::cell::RefCell;
use std::rc::Rc;

use json_scan::Raw;

use crate::settings::{Rules, Settings};

thread_local! {
    /// The rules built from the last settings seen, with those settings' bytes. policy-server
    /// sends the same settings with every request to a policy, so the rules are built once.
    static RULES: RefCell<Option<(Vec<u8>, Rc<Rules>)>> = const { RefCell::new(None) };
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
        let cached = RULES.with_borrow(|cache| {
            cache
                .as_ref()
                .filter(|(bytes, _)| bytes.as_slice() == key)
                .map(|(_, rules)| rules.clone())
        });
        let rules = match cached {
            Some(rules) => rules,
            None => {
                let settings: Settings = match self.settings {
                    Some(raw) => raw.parse().map_err(|e| format!("invalid settings: {e}"))?,
                    None => Settings::default(),
                };
                let rules = Rc::new(Rules::from(settings));
                RULES.with_borrow_mut(|cache| *cache = Some((key.to_vec(), rules.clone())));
                rules
            }
        };
        self.rules = Some(rules.clone());
        Ok(rules)
    }
}
