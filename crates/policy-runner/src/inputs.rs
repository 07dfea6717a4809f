//! Loading what a command evaluates: modules (paths, `file://`, `registry://`), requests,
//! settings and limits.

use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use crate::cli::EvaluationArgs;
use crate::host::Limits;

fn module_path(uri: &str) -> Result<PathBuf> {
    if let Some(path) = uri.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        bail!("unsupported policy URI scheme {scheme}://: use a path, file:// or registry://");
    }
    Ok(PathBuf::from(uri))
}

pub fn read_module(uri: &str) -> Result<Vec<u8>> {
    if uri.starts_with("registry://") {
        return crate::registry::pull(uri, false);
    }
    let path = module_path(uri)?;
    std::fs::read(&path).with_context(|| format!("cannot read policy module {}", path.display()))
}

/// The request file (`-`: standard input) as JSON.
pub fn read_request(path: &str) -> Result<serde_json::Value> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read request from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read request file {path}"))?
    };
    // kwctl prints serde_json's own message alone (`Error: EOF while parsing an object at line
    // 119 column 7` for a truncated request): so does the runner.
    Ok(serde_json::from_str(&text)?)
}

pub fn read_settings(args: &EvaluationArgs) -> Result<serde_json::Value> {
    let settings: serde_json::Value = if let Some(json) = &args.settings_json {
        serde_json::from_str(json).context("--settings-json is not valid JSON")?
    } else if let Some(path) = &args.settings_path {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read settings file {}", path.display()))?;
        serde_norway::from_str(&text).with_context(|| {
            format!("settings file {} is not valid YAML or JSON", path.display())
        })?
    } else {
        serde_json::Value::Object(Default::default())
    };
    match settings {
        serde_json::Value::Object(_) => Ok(settings),
        // An empty settings file means no settings.
        serde_json::Value::Null => Ok(serde_json::Value::Object(Default::default())),
        _ => bail!("settings must be a mapping of setting names to values"),
    }
}

pub fn limits(args: &EvaluationArgs) -> Result<Limits> {
    if !(args.execution_timeout.is_finite() && args.execution_timeout > 0.0) {
        bail!("--execution-timeout must be a positive number of seconds");
    }
    Ok(Limits {
        execution_timeout: Duration::from_secs_f64(args.execution_timeout),
        max_memory_bytes: args
            .memory_limit
            .checked_mul(1024 * 1024)
            .ok_or_else(|| anyhow!("--memory-limit is too large"))?,
    })
}
