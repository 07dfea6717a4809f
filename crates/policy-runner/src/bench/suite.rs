//! `bench-suite`: every policy against the no-op floor module on the suite's payloads (`make
//! bench`), with module size, compile time and linear memory.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::report::{self, ModuleResult, SuiteResult};
use super::{compile, load_suite, measure, prepare, seconds, Suite, SuiteEntry};
use crate::host::{CompiledModule, Limits};
use crate::request::build_admission_request;

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
    // The limits that are too small make the guest print `memory allocation of N bytes
    // failed`: expected while probing, and not for the terminal.
    let _quiet = gag::Gag::stderr().ok();
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

/// Every module of the suite with its bytes and its best-of-three compile time: what
/// policy-server pays per module at start-up.
type Modules = BTreeMap<PathBuf, (Vec<u8>, CompiledModule, Duration)>;

fn compile_modules(suite: &Suite, root: &Path) -> Result<Modules> {
    let mut modules = Modules::new();
    for module in std::iter::once(&suite.floor).chain(suite.benchmarks.iter().map(|b| &b.policy)) {
        if modules.contains_key(module) {
            continue;
        }
        let bytes = std::fs::read(root.join(module))
            .with_context(|| format!("cannot read {}", module.display()))?;
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
    Ok(modules)
}

/// The largest payload of each policy: the one its linear memory is measured after.
type Largest = BTreeMap<PathBuf, (usize, PathBuf, serde_json::Value)>;

/// One benchmark: the policy interleaved with the floor, so that both see the same machine
/// state.
fn run_entry(
    entry: &SuiteEntry,
    modules: &Modules,
    floor: &Path,
    root: &Path,
    (warm_up, measurement): (Duration, Duration),
    largest: &mut Largest,
) -> Result<SuiteResult> {
    let empty = serde_json::json!({});
    let request_text = std::fs::read(root.join(&entry.request))
        .with_context(|| format!("cannot read {}", entry.request.display()))?;
    let request: serde_json::Value = serde_json::from_slice(&request_text)?;
    let settings = entry.settings.clone().unwrap_or_else(|| empty.clone());
    let limits = Limits::default();
    let policy = prepare(
        &modules[&entry.policy].1,
        limits,
        request.clone(),
        &settings,
        &entry.name,
    )?;
    let floor = prepare(&modules[floor].1, limits, request.clone(), &empty, "floor")?;
    let floor_before = measure(&floor, warm_up, measurement / 2)?;
    let policy_stats = measure(&policy, warm_up, measurement)?;
    let floor_after = measure(&floor, Duration::ZERO, measurement / 2)?;
    let floor_median = floor_before.median_ns.min(floor_after.median_ns).max(1);
    let ratio = policy_stats.median_ns as f64 / floor_median as f64;
    let biggest =
        largest
            .entry(entry.policy.clone())
            .or_insert((0, PathBuf::new(), serde_json::Value::Null));
    if request_text.len() > biggest.0 {
        *biggest = (request_text.len(), entry.request.clone(), request);
    }
    Ok(SuiteResult {
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
    })
}

/// Size, compile time and linear memory of each module, after its largest payload.
fn module_results(
    suite: &Suite,
    modules: &Modules,
    largest: &Largest,
) -> Result<Vec<ModuleResult>> {
    let empty = serde_json::json!({});
    let mut results = Vec::new();
    for (module, (bytes, compiled, compile_time)) in modules {
        let Some((_, payload, request)) = largest
            .get(module)
            .or_else(|| largest.values().max_by_key(|(size, _, _)| *size))
        else {
            continue;
        };
        let settings = suite
            .benchmarks
            .iter()
            .find(|b| &b.policy == module && *module != suite.floor)
            .and_then(|b| b.settings.clone())
            .unwrap_or_else(|| empty.clone());
        results.push(ModuleResult {
            module: module.display().to_string(),
            bytes: bytes.len(),
            compile_ms: compile_time.as_secs_f64() * 1e3,
            linear_memory_bytes: linear_memory_needed(compiled, request, &settings)?,
            largest_payload: payload.display().to_string(),
        });
    }
    Ok(results)
}

/// Runs every benchmark of the suite against the floor module and prints a table; the JSON
/// report goes to `json_output`.
pub fn bench_suite(
    suite_path: &Path,
    warm_up: f64,
    measurement: f64,
    json_output: Option<&Path>,
) -> Result<()> {
    let times = (
        seconds(warm_up, "--warm-up-time")?,
        seconds(measurement, "--measurement-time")?,
    );
    let (suite, root) = load_suite(suite_path)?;
    let modules = compile_modules(&suite, &root)?;
    let mut largest = Largest::new();
    let mut results = Vec::new();
    for entry in &suite.benchmarks {
        results.push(run_entry(
            entry,
            &modules,
            &suite.floor,
            &root,
            times,
            &mut largest,
        )?);
    }
    let module_results = module_results(&suite, &modules, &largest)?;
    report::print_tables(&results, &module_results);
    println!(
        "\nLinear memory: the smallest memory limit that still evaluates each module's largest \
         payload, found by bisection (the guest's allocation failures while probing are not shown)."
    );
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
