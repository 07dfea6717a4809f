//! `bench`: every policy against the no-op floor module on the suite's payloads (`make
//! bench`): cold and warm time, pages touched, instructions counted by callgrind against the
//! budgets, module size, compile time and linear memory. The evaluations themselves are the
//! runner's (`policy_runner::bench`), so `policy-runner bench` and this measure the same thing.

mod callgrind;
mod instructions;
mod memory;
mod report;

pub use instructions::count_instructions;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::suite::{load_suite, SuiteEntry};
use instructions::Counts;
use memory::{compile_modules, module_results, Largest, Modules};
use policy_runner::bench::{prepare, seconds, Prepared, Stats, Verdict};
use policy_runner::host::Limits;
use report::{Instructions, Pair, SuiteResult};

/// The policy and the floor measured one way, interleaved (floor, policy, floor) so that both
/// see the same machine state; the floor's better half is kept.
fn interleaved(
    policy: &Prepared,
    floor: &Prepared,
    measure: impl Fn(&Prepared, Duration, Duration) -> Result<Stats>,
    (warm_up, measurement): (Duration, Duration),
) -> Result<Pair> {
    let floor_before = measure(floor, warm_up, measurement / 2)?;
    let policy_stats = measure(policy, warm_up, measurement)?;
    let floor_after = measure(floor, Duration::ZERO, measurement / 2)?;
    let floor_stats = if floor_before.median_ns <= floor_after.median_ns {
        floor_before
    } else {
        floor_after
    };
    let floor_median = floor_stats.median_ns.max(1);
    Ok(Pair {
        policy_median_ns: policy_stats.median_ns,
        floor_median_ns: floor_median,
        ratio: policy_stats.median_ns as f64 / floor_median as f64,
        policy_minor_faults: policy_stats.minor_faults,
        floor_minor_faults: floor_stats.minor_faults,
    })
}

/// One benchmark, timed cold and warm against the floor of the policy's verdict.
fn run_entry(
    entry: &SuiteEntry,
    modules: &Modules,
    floor_of: impl Fn(Verdict) -> PathBuf,
    root: &Path,
    times: (Duration, Duration),
    largest: &mut Largest,
) -> Result<SuiteResult> {
    let (request_text, settings) = entry.read(root)?;
    let request: serde_json::Value = serde_json::from_slice(&request_text)?;
    let limits = Limits::default();
    let policy = prepare(
        &modules[&entry.policy].1,
        limits,
        request.clone(),
        &settings,
        &entry.name,
    )?;
    let floor_path = floor_of(policy.verdict);
    let floor = prepare(
        &modules[&floor_path].1,
        limits,
        request.clone(),
        &settings,
        "floor",
    )?;
    let cold = interleaved(&policy, &floor, Prepared::measure_cold, times)?;
    let warm = interleaved(&policy, &floor, Prepared::measure_warm, times)?;
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
        verdict: policy.verdict,
        floor: floor_path.display().to_string(),
        cold,
        warm,
        instructions: None,
        budget: entry.budget,
        within_budget: None,
    })
}

/// Adds the instruction counts and checks them against the budgets.
fn add_instructions(results: &mut [SuiteResult], counts: &[Counts]) -> Result<()> {
    if counts.len() != results.len() {
        bail!(
            "callgrind counted {} benchmarks, the suite has {}",
            counts.len(),
            results.len()
        );
    }
    for (result, counts) in results.iter_mut().zip(counts) {
        let ratio = counts.policy as f64 / counts.floor.max(1) as f64;
        result.instructions = Some(Instructions {
            policy: counts.policy,
            floor: counts.floor,
            ratio,
            extra: counts.policy as i64 - counts.floor as i64,
            spread: counts.spread,
        });
        result.within_budget = Some(ratio <= result.budget);
    }
    Ok(())
}

fn write_json(
    output: &Path,
    results: &[SuiteResult],
    modules: &[report::ModuleResult],
) -> Result<()> {
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let report = serde_json::json!({"benchmarks": results, "modules": modules});
    std::fs::write(output, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", output.display()))?;
    println!("\nJSON report: {}", output.display());
    Ok(())
}

/// Runs every benchmark of the suite against the floor modules, counts instructions under
/// callgrind unless `count` is false, prints the tables and fails when a budget is exceeded;
/// the JSON report goes to `json_output`.
pub fn bench(
    suite_path: &Path,
    (warm_up, measurement): (f64, f64),
    count: bool,
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
        let floor_of = |verdict| suite.floor_for(verdict).to_path_buf();
        results.push(run_entry(
            entry,
            &modules,
            floor_of,
            &root,
            times,
            &mut largest,
        )?);
    }
    if count {
        add_instructions(&mut results, &instructions::measure(suite_path, &root)?)?;
    }
    let module_results = module_results(&suite, &modules, &largest)?;
    report::print_tables(&results, &module_results);
    println!(
        "\nCold: a new instance per evaluation (InstancePre, store, wapc_init, validate), as \
         policy-server runs a policy; warm: one instance reused. Pages touched: minor page faults \
         per cold evaluation. Instructions: callgrind's count of one cold evaluation (median of \
         {} runs); the budget is on their ratio to the floor. Linear memory: the smallest memory \
         limit that still evaluates each module's largest payload, found by bisection.",
        instructions::RUNS
    );
    if let Some(output) = json_output {
        write_json(output, &results, &module_results)?;
    }
    let over: Vec<&str> = results
        .iter()
        .filter(|r| r.within_budget == Some(false))
        .map(|r| r.name.as_str())
        .collect();
    if !over.is_empty() {
        bail!("over the cold instruction budget: {}", over.join(", "));
    }
    Ok(())
}
