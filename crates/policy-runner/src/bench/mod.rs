//! `policy-runner bench`: one policy, one request, like `kwctl bench`; and the measurement it
//! is built on, which the project's suite benchmark (`cargo xtask bench`) reuses.
//!
//! Two ways of evaluating are timed. *Cold* is what policy-server pays on every request: its
//! policy-evaluator keeps a pre-linked instance (`InstancePre`) and rehydrates a new store and
//! instance for each evaluation, runs the waPC start-up (`wapc_init`), then one `validate`.
//! *Warm* reuses one instance, so it only shows the `validate` call itself. The `validate`
//! payload is serialised once either way, as policy-server pays for serialisation once per
//! request whatever the policy.

mod report;
mod single;

pub use report::{BenchReport, Stats};
pub use single::bench;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::time::{Duration, Instant};

use crate::host::{CompiledModule, Limits, Policy, PreLinked};
use crate::request::build_admission_request;

/// A duration given in seconds on the command line.
pub fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("{flag} must be a non-negative number of seconds");
    }
    Ok(Duration::from_secs_f64(value))
}

/// What the policy answered, as the API server sees it.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accepted,
    Rejected,
    Mutated,
}

/// A policy ready to be measured on one request, warm and cold.
pub struct Prepared {
    /// One instance, reused by every warm evaluation.
    pub policy: Policy,
    /// The module linked once; every cold evaluation instantiates it afresh.
    pub pre: PreLinked,
    /// The `validate` payload, serialised once.
    pub payload: Vec<u8>,
    pub verdict: Verdict,
}

/// Loads the policy, checks the settings, evaluates the request once for its verdict and
/// checks that a fresh instance answers as a reused one; `label` names it in errors.
pub fn prepare(
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
    /// Times `validate` on the one reused instance.
    pub fn measure_warm(&self, warm_up: Duration, measurement: Duration) -> Result<Stats> {
        measure(
            || self.policy.call_validate(&self.payload).map(drop),
            warm_up,
            measurement,
        )
    }

    /// Times a whole cold evaluation: a new instance from the pre-linked module each time.
    pub fn measure_cold(&self, warm_up: Duration, measurement: Duration) -> Result<Stats> {
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

/// Compiles a module and times it: what policy-server pays per module at start-up.
pub fn compile(bytes: &[u8], label: &str) -> Result<(CompiledModule, Duration)> {
    let started = Instant::now();
    let module =
        CompiledModule::compile(bytes).with_context(|| format!("cannot load policy {label}"))?;
    Ok((module, started.elapsed()))
}
