//! `policy-runner bench` (one policy, one request, like `kwctl bench`) and `bench-suite` (every
//! policy against the no-op floor module on a fixed set of payloads, in one run).
//!
//! Only guest time is measured: the `validate` payload is serialised once, the way policy-server
//! pays for serialisation once per request whatever the policy.

mod report;
mod single;
mod soak;
mod suite;

pub use single::bench;
pub use soak::soak;
pub use suite::bench_suite;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::host::{CompiledModule, Limits, Policy};
use crate::request::build_admission_request;
use report::Stats;

pub(crate) fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("{flag} must be a non-negative number of seconds");
    }
    Ok(Duration::from_secs_f64(value))
}

/// A policy ready to be measured on one request.
pub(crate) struct Prepared {
    pub(crate) policy: Policy,
    pub(crate) payload: Vec<u8>,
    pub(crate) allowed: bool,
}

pub(crate) fn prepare(
    module: &CompiledModule,
    limits: Limits,
    request: serde_json::Value,
    settings: &serde_json::Value,
    label: &str,
) -> Result<Prepared> {
    let request = build_admission_request(request)?;
    let policy = module.load(limits, label)?;
    policy.require_valid_settings(settings)?;
    let verdict = policy.validate(&request, settings);
    if verdict.status.as_ref().and_then(|s| s.code) == Some(500) {
        bail!("{label} fails on this request: {:?}", verdict.status);
    }
    let payload = Policy::validate_payload(&request, settings)?;
    Ok(Prepared {
        policy,
        payload,
        allowed: verdict.allowed,
    })
}

pub(crate) fn measure(
    prepared: &Prepared,
    warm_up: Duration,
    measurement: Duration,
) -> Result<Stats> {
    let warm_up_end = Instant::now() + warm_up;
    while Instant::now() < warm_up_end {
        prepared.policy.call_validate(&prepared.payload)?;
    }
    let mut samples: Vec<u64> = Vec::new();
    let measurement_end = Instant::now() + measurement;
    loop {
        let start = Instant::now();
        prepared.policy.call_validate(&prepared.payload)?;
        samples.push(start.elapsed().as_nanos() as u64);
        if Instant::now() >= measurement_end && samples.len() >= 10 {
            break;
        }
    }
    samples.sort_unstable();
    let at = |quantile: f64| samples[((samples.len() - 1) as f64 * quantile).round() as usize];
    Ok(Stats {
        samples: samples.len(),
        min_ns: samples[0],
        median_ns: at(0.5),
        p90_ns: at(0.9),
    })
}

pub(crate) fn compile(bytes: &[u8], label: &str) -> Result<(CompiledModule, Duration)> {
    let started = Instant::now();
    let module =
        CompiledModule::compile(bytes).with_context(|| format!("cannot load policy {label}"))?;
    Ok((module, started.elapsed()))
}

/// The suite file written by `benches/generate.py`. Paths are relative to the suite's parent
/// folder's parent (the repository root).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Suite {
    pub(crate) floor: PathBuf,
    pub(crate) benchmarks: Vec<SuiteEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuiteEntry {
    pub(crate) name: String,
    pub(crate) policy: PathBuf,
    pub(crate) request: PathBuf,
    #[serde(default)]
    pub(crate) settings: Option<serde_json::Value>,
    /// Largest acceptable ratio of the policy's median to the floor's.
    pub(crate) budget: f64,
}

/// Reads a suite; its paths are relative to the repository root, the suite folder's parent.
pub(crate) fn load_suite(suite_path: &Path) -> Result<(Suite, PathBuf)> {
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
