//! What `cargo xtask bench` measured, and the tables it prints.

use serde::Serialize;
use std::path::Path;

use policy_runner::bench::Verdict;

/// The policy's and the floor's median on the same payload, measured interleaved.
#[derive(Serialize, Debug, Clone, Copy)]
pub(super) struct Pair {
    pub(super) policy_median_ns: u64,
    pub(super) floor_median_ns: u64,
    pub(super) ratio: f64,
    pub(super) policy_minor_faults: Option<f64>,
    pub(super) floor_minor_faults: Option<f64>,
}

/// Instructions of one cold evaluation (callgrind), the policy's and the floor's.
#[derive(Serialize, Debug, Clone, Copy)]
pub(super) struct Instructions {
    pub(super) policy: u64,
    pub(super) floor: u64,
    pub(super) ratio: f64,
    /// The policy's instructions beyond the floor's.
    pub(super) extra: i64,
    /// Largest difference between repeated counts of the same evaluation.
    pub(super) spread: u64,
}

#[derive(Serialize)]
pub(super) struct SuiteResult {
    pub(super) name: String,
    pub(super) policy: String,
    pub(super) request: String,
    pub(super) request_bytes: usize,
    pub(super) verdict: Verdict,
    /// The floor module compared with (the rejecting one for a rejection).
    pub(super) floor: String,
    pub(super) cold: Pair,
    pub(super) warm: Pair,
    pub(super) instructions: Option<Instructions>,
    /// Largest acceptable `instructions.ratio`.
    pub(super) budget: f64,
    pub(super) within_budget: Option<bool>,
}

#[derive(Serialize)]
pub(super) struct ModuleResult {
    pub(super) module: String,
    pub(super) bytes: usize,
    pub(super) compile_ms: f64,
    /// Smallest memory limit (64 KiB pages) that still evaluates the module's largest payload.
    pub(super) linear_memory_bytes: usize,
    pub(super) largest_payload: String,
}

fn micros(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1e3)
}

fn faults(pair: &Pair) -> String {
    match (pair.policy_minor_faults, pair.floor_minor_faults) {
        (Some(policy), Some(floor)) => format!("{policy:.0} / {floor:.0}"),
        _ => "–".to_string(),
    }
}

fn instructions(r: &SuiteResult) -> String {
    let Some(i) = r.instructions else {
        return "– | – | – | –".to_string();
    };
    let verdict = match r.within_budget {
        Some(true) => "ok",
        Some(false) => "OVER",
        None => "",
    };
    format!(
        "{:.1}k / {:.1}k | {:.3}× | {:+.1}k | ≤ {}× {verdict}",
        i.policy as f64 / 1e3,
        i.floor as f64 / 1e3,
        i.ratio,
        i.extra as f64 / 1e3,
        r.budget,
    )
}

/// The Markdown tables of a suite run.
pub(super) fn print_tables(results: &[SuiteResult], module_results: &[ModuleResult]) {
    println!(
        "| benchmark | payload | verdict | cold µs: policy / floor | cold ratio | warm µs: policy / floor | warm ratio | pages touched cold: policy / floor | cold instructions: policy / floor | ratio | extra | budget |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        println!(
            "| {} | {:.1} KB | {:?} | {} / {} | {:.2}× | {} / {} | {:.1}× | {} | {} |",
            r.name,
            r.request_bytes as f64 / 1024.0,
            r.verdict,
            micros(r.cold.policy_median_ns),
            micros(r.cold.floor_median_ns),
            r.cold.ratio,
            micros(r.warm.policy_median_ns),
            micros(r.warm.floor_median_ns),
            r.warm.ratio,
            faults(&r.cold),
            instructions(r),
        );
    }
    println!();
    println!("| module | size | compile time | linear memory after its largest payload |");
    println!("|---|---:|---:|---:|");
    for m in module_results {
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
}
