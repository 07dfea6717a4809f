//! `policy-runner bench`: guest evaluation time with the payload serialised once, the way
//! policy-server pays for it per request.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::time::{Duration, Instant};

use crate::cli::{limits, read_module, read_request, read_settings, EvaluationArgs};
use crate::host::{CompiledModule, Policy};
use crate::request::build_admission_request;

/// One benchmark's result.
#[derive(Serialize, Debug)]
pub struct BenchReport {
    pub policy: String,
    pub request: String,
    pub allowed: bool,
    pub module_bytes: usize,
    pub compile_ms: f64,
    pub samples: usize,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p90_ns: u64,
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("{flag} must be a non-negative number of seconds");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Runs the benchmark and prints a summary (or one JSON object).
pub fn bench(args: &EvaluationArgs, warm_up: f64, measurement: f64, json: bool) -> Result<()> {
    let warm_up = seconds(warm_up, "--warm-up-time")?;
    let measurement = seconds(measurement, "--measurement-time")?;
    let request = build_admission_request(read_request(&args.request_path)?)?;
    let settings = read_settings(args)?;
    let bytes = read_module(&args.uri)?;

    let started = Instant::now();
    let module = CompiledModule::compile(&bytes)
        .with_context(|| format!("cannot load policy {}", args.uri))?;
    let compile = started.elapsed();
    let policy: Policy = module.instantiate(limits(args)?)?;
    policy.protocol_version().with_context(|| {
        format!(
            "cannot load policy {}: Cannot compute ProtocolVersion used by the policy",
            args.uri
        )
    })?;
    let validation = policy.validate_settings(&settings);
    if !validation.valid {
        bail!(
            "Provided settings are not valid: {:?}",
            validation.message.unwrap_or_default()
        );
    }
    let verdict = policy.validate(&request, &settings);
    if verdict.status.as_ref().and_then(|s| s.code) == Some(500) {
        bail!("the policy fails on this request: {:?}", verdict.status);
    }

    let payload = Policy::validate_payload(&request, &settings)?;
    let warm_up_end = Instant::now() + warm_up;
    while Instant::now() < warm_up_end {
        policy.call_validate(&payload)?;
    }
    let mut samples: Vec<u64> = Vec::new();
    let measurement_end = Instant::now() + measurement;
    loop {
        let start = Instant::now();
        policy.call_validate(&payload)?;
        samples.push(start.elapsed().as_nanos() as u64);
        if Instant::now() >= measurement_end && samples.len() >= 10 {
            break;
        }
    }
    samples.sort_unstable();
    let at = |quantile: f64| samples[((samples.len() - 1) as f64 * quantile).round() as usize];
    let report = BenchReport {
        policy: args.uri.clone(),
        request: args.request_path.clone(),
        allowed: verdict.allowed,
        module_bytes: bytes.len(),
        compile_ms: compile.as_secs_f64() * 1e3,
        samples: samples.len(),
        min_ns: samples[0],
        median_ns: at(0.5),
        p90_ns: at(0.9),
    };
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "policy:       {} ({} bytes, compiled in {:.1} ms)",
            report.policy, report.module_bytes, report.compile_ms
        );
        println!(
            "request:      {} (allowed: {})",
            report.request, report.allowed
        );
        println!(
            "evaluation:   min {:.2} µs, median {:.2} µs, p90 {:.2} µs over {} samples",
            report.min_ns as f64 / 1e3,
            report.median_ns as f64 / 1e3,
            report.p90_ns as f64 / 1e3,
            report.samples
        );
    }
    Ok(())
}
