//! The suite file `benches/generate.py` writes, read by `bench`, `count-instructions` and
//! `soak`.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

use policy_runner::bench::Verdict;

/// The suite file written by `benches/generate.py`. Paths are relative to the suite's parent
/// folder's parent (the repository root).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// The no-op module that accepts: the floor of accepted and mutated requests.
    pub floor: PathBuf,
    /// The no-op module that rejects: the floor of rejected requests.
    pub floor_reject: PathBuf,
    pub benchmarks: Vec<SuiteEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuiteEntry {
    pub name: String,
    pub policy: PathBuf,
    pub request: PathBuf,
    /// The policy's settings, as the deployed manifest gives them (`{}` when absent).
    #[serde(default)]
    pub settings: Option<serde_json::Value>,
    /// Largest acceptable ratio of the policy's cold instruction count to the floor's on the
    /// same payload.
    pub budget: f64,
}

impl Suite {
    /// The floor a policy's verdict is compared with: rejections cost the host more than
    /// acceptances, whatever the policy.
    pub fn floor_for(&self, verdict: Verdict) -> &Path {
        match verdict {
            Verdict::Rejected => &self.floor_reject,
            Verdict::Accepted | Verdict::Mutated => &self.floor,
        }
    }

    /// Every module the suite names, floors first, each once.
    pub fn modules(&self) -> Vec<&PathBuf> {
        let mut modules = vec![&self.floor, &self.floor_reject];
        for entry in &self.benchmarks {
            if !modules.contains(&&entry.policy) {
                modules.push(&entry.policy);
            }
        }
        modules
    }
}

impl SuiteEntry {
    /// The request (as written in its file) and the settings.
    pub fn read(&self, root: &Path) -> Result<(Vec<u8>, serde_json::Value)> {
        let text = std::fs::read(root.join(&self.request))
            .with_context(|| format!("cannot read {}", self.request.display()))?;
        let settings = self
            .settings
            .clone()
            .unwrap_or_else(|| serde_json::json!({}));
        Ok((text, settings))
    }
}

/// Reads a suite; its paths are relative to the repository root, the suite folder's parent.
pub fn load_suite(suite_path: &Path) -> Result<(Suite, PathBuf)> {
    let text = std::fs::read_to_string(suite_path)
        .with_context(|| format!("cannot read suite {}", suite_path.display()))?;
    let suite: Suite = serde_json::from_str(&text)
        .with_context(|| format!("invalid suite {}", suite_path.display()))?;
    let root = suite_path
        .canonicalize()?
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Ok((suite, root))
}
