//! `policy-runner bench` (one policy, one request, like `kwctl bench`) and `bench-suite` (every
//! policy against the no-op floor module on a fixed set of payloads, in one run).
//!
//! Only guest time is measured: the `validate` payload is serialised once, the way policy-server
//! pays for serialisation once per request whatever the policy.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::{limits, read_module, read_request, read_settings, EvaluationArgs};
use crate::host::{CompiledModule, Limits, Policy};
use crate::request::build_admission_request;

/// Timing of repeated evaluations.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Stats {
    pub samples: usize,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p90_ns: u64,
}

/// Evaluation time of one policy on one request.
#[derive(Serialize, Debug)]
pub struct BenchReport {
    pub policy: String,
    pub request: String,
    pub allowed: bool,
    pub module_bytes: usize,
    pub compile_ms: f64,
    #[serde(flatten)]
    pub stats: Stats,
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value >= 0.0) {
        bail!("{flag} must be a non-negative number of seconds");
    }
    Ok(Duration::from_secs_f64(value))
}

/// A policy ready to be measured on one request.
struct Prepared {
    policy: Policy,
    payload: Vec<u8>,
    allowed: bool,
}

fn prepare(
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

fn measure(prepared: &Prepared, warm_up: Duration, measurement: Duration) -> Result<Stats> {
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

fn compile(bytes: &[u8], label: &str) -> Result<(CompiledModule, Duration)> {
    let started = Instant::now();
    let module =
        CompiledModule::compile(bytes).with_context(|| format!("cannot load policy {label}"))?;
    Ok((module, started.elapsed()))
}

/// Runs `policy-runner bench` and prints a summary (or one JSON object).
pub fn bench(args: &EvaluationArgs, warm_up: f64, measurement: f64, json: bool) -> Result<()> {
    let warm_up = seconds(warm_up, "--warm-up-time")?;
    let measurement = seconds(measurement, "--measurement-time")?;
    let request = read_request(&args.request_path)?;
    let settings = read_settings(args)?;
    let bytes = read_module(&args.uri)?;
    let (module, compile_time) = compile(&bytes, &args.uri)?;
    let prepared = prepare(&module, limits(args)?, request, &settings, &args.uri)?;
    let stats = measure(&prepared, warm_up, measurement)?;
    let report = BenchReport {
        policy: args.uri.clone(),
        request: args.request_path.clone(),
        allowed: prepared.allowed,
        module_bytes: bytes.len(),
        compile_ms: compile_time.as_secs_f64() * 1e3,
        stats,
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
            stats.min_ns as f64 / 1e3,
            stats.median_ns as f64 / 1e3,
            stats.p90_ns as f64 / 1e3,
            stats.samples
        );
    }
    Ok(())
}

/// The suite file written by `benches/generate.py`. Paths are relative to the suite's parent
/// folder's parent (the repository root).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    floor: PathBuf,
    benchmarks: Vec<SuiteEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteEntry {
    name: String,
    policy: PathBuf,
    request: PathBuf,
    #[serde(default)]
    settings: Option<serde_json::Value>,
    /// Largest acceptable ratio of the policy's median to the floor's.
    budget: f64,
}

#[derive(Serialize)]
struct SuiteResult {
    name: String,
    policy: String,
    request: String,
    request_bytes: usize,
    allowed: bool,
    policy_median_ns: u64,
    floor_median_ns: u64,
    ratio: f64,
    budget: f64,
    within_budget: bool,
}

#[derive(Serialize)]
struct ModuleResult {
    module: String,
    bytes: usize,
    compile_ms: f64,
    /// Smallest memory limit (64 KiB pages) that still evaluates the module's largest payload.
    linear_memory_bytes: usize,
    largest_payload: String,
}

/// Reads a suite; its paths are relative to the repository root, the suite folder's parent.
fn load_suite(suite_path: &Path) -> Result<(Suite, PathBuf)> {
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

/// Smallest linear memory that evaluates `request` without failing, found by bisection over the
/// memory limit: wasmtime-provider does not expose the store, and the limit is exact to a page.
fn linear_memory_needed(
    module: &CompiledModule,
    request: &serde_json::Value,
    settings: &serde_json::Value,
) -> Result<usize> {
    const PAGE: usize = 64 * 1024;
    let fits = |pages: usize| -> bool {
        let limits = Limits {
            max_memory_bytes: pages * PAGE,
            ..Limits::default()
        };
        let Ok(request) = build_admission_request(request.clone()) else {
            return false;
        };
        let Ok(policy) = module.instantiate(limits) else {
            return false;
        };
        if policy.protocol_version().is_err() || !policy.validate_settings(settings).valid {
            return false;
        }
        policy
            .validate(&request, settings)
            .status
            .and_then(|s| s.code)
            != Some(500)
    };
    let (mut low, mut high) = (1usize, 16 * 1024);
    if !fits(high) {
        bail!(
            "the module needs more than {} MiB",
            high * PAGE / (1024 * 1024)
        );
    }
    while low < high {
        let middle = (low + high) / 2;
        if fits(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Ok(low * PAGE)
}

/// Runs every benchmark of the suite against the floor module and prints a table; the JSON
/// report goes to `json_output`.
pub fn bench_suite(
    suite_path: &Path,
    warm_up: f64,
    measurement: f64,
    json_output: Option<&Path>,
) -> Result<()> {
    let warm_up = seconds(warm_up, "--warm-up-time")?;
    let measurement = seconds(measurement, "--measurement-time")?;
    let (suite, root) = load_suite(suite_path)?;
    let path = |p: &Path| root.join(p);

    let mut modules: BTreeMap<PathBuf, (Vec<u8>, CompiledModule, Duration)> = BTreeMap::new();
    for module in std::iter::once(&suite.floor).chain(suite.benchmarks.iter().map(|b| &b.policy)) {
        if !modules.contains_key(module) {
            let bytes = std::fs::read(path(module))
                .with_context(|| format!("cannot read {}", module.display()))?;
            // Best of three: compile time is what policy-server pays per module at start-up.
            let mut best: Option<(CompiledModule, Duration)> = None;
            for _ in 0..3 {
                let (compiled, time) = compile(&bytes, &module.display().to_string())?;
                if best.as_ref().is_none_or(|(_, t)| time < *t) {
                    best = Some((compiled, time));
                }
            }
            let (compiled, time) = best.expect("three compilations");
            modules.insert(module.clone(), (bytes, compiled, time));
        }
    }

    let empty = serde_json::Value::Object(Default::default());
    let mut results = Vec::new();
    let mut largest: BTreeMap<PathBuf, (usize, PathBuf, serde_json::Value)> = BTreeMap::new();
    for entry in &suite.benchmarks {
        let request_text = std::fs::read(path(&entry.request))
            .with_context(|| format!("cannot read {}", entry.request.display()))?;
        let request: serde_json::Value = serde_json::from_slice(&request_text)?;
        let settings = entry.settings.clone().unwrap_or_else(|| empty.clone());
        let policy = prepare(
            &modules[&entry.policy].1,
            Limits::default(),
            request.clone(),
            &settings,
            &entry.name,
        )?;
        let floor = prepare(
            &modules[&suite.floor].1,
            Limits::default(),
            request.clone(),
            &empty,
            "floor",
        )?;
        // Interleave so that both see the same machine state.
        let floor_before = measure(&floor, warm_up, measurement / 2)?;
        let policy_stats = measure(&policy, warm_up, measurement)?;
        let floor_after = measure(&floor, Duration::ZERO, measurement / 2)?;
        let floor_median = floor_before.median_ns.min(floor_after.median_ns).max(1);
        let ratio = policy_stats.median_ns as f64 / floor_median as f64;
        results.push(SuiteResult {
            name: entry.name.clone(),
            policy: entry.policy.display().to_string(),
            request: entry.request.display().to_string(),
            request_bytes: request_text.len(),
            allowed: policy.allowed,
            policy_median_ns: policy_stats.median_ns,
            floor_median_ns: floor_median,
            ratio,
            budget: entry.budget,
            within_budget: ratio <= entry.budget,
        });
        let biggest = largest.entry(entry.policy.clone()).or_insert((
            0,
            PathBuf::new(),
            serde_json::Value::Null,
        ));
        if request_text.len() > biggest.0 {
            *biggest = (request_text.len(), entry.request.clone(), request);
        }
    }

    let mut module_results = Vec::new();
    for (module, (bytes, compiled, compile_time)) in &modules {
        let (payload, request) = match largest.get(module) {
            Some((_, payload, request)) => (payload.display().to_string(), request.clone()),
            None => match largest.values().max_by_key(|(size, _, _)| *size) {
                Some((_, payload, request)) => (payload.display().to_string(), request.clone()),
                None => continue,
            },
        };
        let settings = if *module == suite.floor {
            empty.clone()
        } else {
            suite
                .benchmarks
                .iter()
                .find(|b| &b.policy == module)
                .and_then(|b| b.settings.clone())
                .unwrap_or_else(|| empty.clone())
        };
        module_results.push(ModuleResult {
            module: module.display().to_string(),
            bytes: bytes.len(),
            compile_ms: compile_time.as_secs_f64() * 1e3,
            linear_memory_bytes: linear_memory_needed(compiled, &request, &settings)?,
            largest_payload: payload,
        });
    }

    println!("| benchmark | payload | policy median | floor median | ratio | budget |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {:.1} KB | {:.2} µs | {:.2} µs | {:.1}× | ≤ {}× {} |",
            r.name,
            r.request_bytes as f64 / 1024.0,
            r.policy_median_ns as f64 / 1e3,
            r.floor_median_ns as f64 / 1e3,
            r.ratio,
            r.budget,
            if r.within_budget { "ok" } else { "OVER" }
        );
    }
    println!();
    println!("| module | size | compile time | linear memory after its largest payload |");
    println!("|---|---:|---:|---:|");
    for m in &module_results {
        println!(
            "| {} | {:.1} KB | {:.0} ms | {:.2} MiB ({}) |",
            m.module,
            m.bytes as f64 / 1024.0,
            m.compile_ms,
            m.linear_memory_bytes as f64 / (1024.0 * 1024.0),
            Path::new(&m.largest_payload)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        );
    }
    if let Some(output) = json_output {
        if let Some(parent) = output.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let report = serde_json::json!({"benchmarks": results, "modules": module_results});
        std::fs::write(output, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("cannot write {}", output.display()))?;
        println!("\nJSON report: {}", output.display());
    }
    Ok(())
}

fn resident_set_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One policy's soak result.
#[derive(Serialize)]
struct SoakResult {
    policy: String,
    evaluations: usize,
    allowed: usize,
    rejected: usize,
    start_rss_bytes: u64,
    end_rss_bytes: u64,
}

/// Evaluates every payload of the suite round-robin against each policy, `iterations` times in
/// all per policy, in one process, and reports resident memory before and after. Fails when it
/// grows by more than `max_growth_mib`.
pub fn soak(suite_path: &Path, iterations: usize, max_growth_mib: u64) -> Result<()> {
    let (suite, root) = load_suite(suite_path)?;
    let mut requests = Vec::new();
    for entry in &suite.benchmarks {
        let bytes = std::fs::read(root.join(&entry.request))?;
        let request = build_admission_request(serde_json::from_slice(&bytes)?)?;
        if !requests
            .iter()
            .any(|(path, _): &(PathBuf, _)| *path == entry.request)
        {
            requests.push((entry.request.clone(), request));
        }
    }
    let mut policies: Vec<&PathBuf> = suite.benchmarks.iter().map(|b| &b.policy).collect();
    policies.sort();
    policies.dedup();
    let settings = serde_json::Value::Object(Default::default());
    let mut failed = false;
    for policy_path in policies {
        let bytes = std::fs::read(root.join(policy_path))?;
        let policy = CompiledModule::compile(&bytes)?.instantiate(Limits::default())?;
        // One round first, so that the measurement starts with the module's memory grown.
        for (_, request) in &requests {
            policy.validate(request, &settings);
        }
        let start = resident_set_bytes().unwrap_or(0);
        let (mut allowed, mut rejected) = (0, 0);
        for index in 0..iterations {
            let (path, request) = &requests[index % requests.len()];
            let response = policy.validate(request, &settings);
            if response.status.as_ref().and_then(|s| s.code) == Some(500) {
                bail!(
                    "{} failed on {}: {:?}",
                    policy_path.display(),
                    path.display(),
                    response.status
                );
            }
            if response.allowed {
                allowed += 1;
            } else {
                rejected += 1;
            }
        }
        let end = resident_set_bytes().unwrap_or(0);
        let result = SoakResult {
            policy: policy_path.display().to_string(),
            evaluations: iterations,
            allowed,
            rejected,
            start_rss_bytes: start,
            end_rss_bytes: end,
        };
        println!("{}", serde_json::to_string(&result)?);
        if end > start + max_growth_mib * 1024 * 1024 {
            eprintln!(
                "{}: resident memory grew from {start} to {end} bytes",
                result.policy
            );
            failed = true;
        }
    }
    if failed {
        bail!("memory did not stay flat");
    }
    Ok(())
}
