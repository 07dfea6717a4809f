//! `policy-runner bench` (one policy, one request, like `kwctl bench`) and `bench-suite` (every
//! policy against the no-op floor module on a fixed set of payloads, in one run).
//!
//! Two ways of evaluating are timed. *Cold* is what policy-server pays on every request: its
//! policy-evaluator keeps a pre-linked instance (`InstancePre`) and rehydrates a new store and
//! instance for each evaluation, runs the waPC start-up (`wapc_init`), then one `validate`.
//! *Warm* reuses one instance, so it only shows the `validate` call itself. The `validate`
//! payload is serialised once either way, as policy-server pays for serialisation once per
//! request whatever the policy.

mod callgrind;
mod instructions;
mod memory;
mod report;
mod single;
mod soak;
mod suite;

pub use instructions::count_instructions;
pub use single::bench;
pub use soak::soak;
pub use suite::bench_suite;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::host::{CompiledModule, Limits, Policy, PreLinked};
use crate::request::build_admission_request;
use report::Stats;

pub(crate) fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("{flag} must be a non-negative number of seconds");
    }
    Ok(Duration::from_secs_f64(value))
}

/// What the policy answered, as the API server sees it.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    Accepted,
    Rejected,
    Mutated,
}

/// A policy ready to be measured on one request, warm and cold.
pub(crate) struct Prepared {
    /// One instance, reused by every warm evaluation.
    pub(crate) policy: Policy,
    /// The module linked once; every cold evaluation instantiates it afresh.
    pub(crate) pre: PreLinked,
    pub(crate) payload: Vec<u8>,
    pub(crate) verdict: Verdict,
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
    let response = policy.validate(&request, settings);
    if response.status.as_ref().and_then(|s| s.code) == Some(500) {
        bail!("{label} fails on this request: {:?}", response.status);
    }
    let verdict = match (response.allowed, response.patch.is_some()) {
        (false, _) => Verdict::Rejected,
        (true, true) => Verdict::Mutated,
        (true, false) => Verdict::Accepted,
    };
    let payload = Policy::validate_payload(&request, settings)?;
    let pre = module.pre_link(limits)?;
    // The cold path must give the warm path's answer, or it measures something else.
    if pre.evaluate_cold(&payload)? != policy.call_validate(&payload)? {
        bail!("{label}: a fresh instance answers differently from a reused one");
    }
    Ok(Prepared {
        policy,
        pre,
        payload,
        verdict,
    })
}

impl Prepared {
    pub(crate) fn measure_warm(&self, warm_up: Duration, measurement: Duration) -> Result<Stats> {
        measure(
            || self.policy.call_validate(&self.payload).map(drop),
            warm_up,
            measurement,
        )
    }

    pub(crate) fn measure_cold(&self, warm_up: Duration, measurement: Duration) -> Result<Stats> {
        measure(
            || self.pre.evaluate_cold(&self.payload).map(drop),
            warm_up,
            measurement,
        )
    }
}

/// Minor page faults of the calling thread so far (Linux), to tell how many pages of fresh
/// memory an evaluation touches: the kernel's share of a cold evaluation, which counting
/// instructions does not see.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // After the command name (which may hold spaces): state, ppid, pgrp, session, tty_nr,
    // tpgid, flags, minflt.
    let (_, fields) = stat.rsplit_once(')')?;
    fields.split_whitespace().nth(7)?.parse().ok()
}

/// Times `evaluate` for `measurement` after `warm_up` (at least ten samples).
fn measure(
    mut evaluate: impl FnMut() -> Result<()>,
    warm_up: Duration,
    measurement: Duration,
) -> Result<Stats> {
    let warm_up_end = Instant::now() + warm_up;
    while Instant::now() < warm_up_end {
        evaluate()?;
    }
    let mut samples: Vec<u64> = Vec::with_capacity(1 << 16);
    let faults_before = minor_faults();
    let measurement_end = Instant::now() + measurement;
    loop {
        let start = Instant::now();
        evaluate()?;
        samples.push(start.elapsed().as_nanos() as u64);
        if Instant::now() >= measurement_end && samples.len() >= 10 {
            break;
        }
    }
    let faults = minor_faults()
        .zip(faults_before)
        .map(|(after, before)| after.saturating_sub(before) as f64 / samples.len() as f64);
    samples.sort_unstable();
    let at = |quantile: f64| samples[((samples.len() - 1) as f64 * quantile).round() as usize];
    Ok(Stats {
        samples: samples.len(),
        min_ns: samples[0],
        median_ns: at(0.5),
        p90_ns: at(0.9),
        minor_faults: faults,
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
    /// The no-op module that accepts: the floor of accepted and mutated requests.
    pub(crate) floor: PathBuf,
    /// The no-op module that rejects: the floor of rejected requests.
    pub(crate) floor_reject: PathBuf,
    pub(crate) benchmarks: Vec<SuiteEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuiteEntry {
    pub(crate) name: String,
    pub(crate) policy: PathBuf,
    pub(crate) request: PathBuf,
    /// The policy's settings, as the deployed manifest gives them (`{}` when absent).
    #[serde(default)]
    pub(crate) settings: Option<serde_json::Value>,
    /// Largest acceptable ratio of the policy's cold instruction count to the floor's on the
    /// same payload.
    pub(crate) budget: f64,
}

impl Suite {
    /// The floor a policy's verdict is compared with: rejections cost the host more than
    /// acceptances, whatever the policy.
    pub(crate) fn floor_for(&self, verdict: Verdict) -> &Path {
        match verdict {
            Verdict::Rejected => &self.floor_reject,
            Verdict::Accepted | Verdict::Mutated => &self.floor,
        }
    }

    /// Every module the suite names, floors first, each once.
    pub(crate) fn modules(&self) -> Vec<&PathBuf> {
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
    pub(crate) fn read(&self, root: &Path) -> Result<(Vec<u8>, serde_json::Value)> {
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
