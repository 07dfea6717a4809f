//! What the benchmarks measured, and the tables `make bench` prints.

use serde::Serialize;
use std::path::Path;

use super::Verdict;

/// Timing of repeated evaluations.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Stats {
    pub samples: usize,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p90_ns: u64,
    /// Minor page faults per evaluation (Linux): pages of fresh memory touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor_faults: Option<f64>,
}

/// Evaluation time of one policy on one request.
#[derive(Serialize, Debug)]
pub struct BenchReport {
    pub policy: String,
    pub request: String,
    pub allowed: bool,
    pub module_bytes: usize,
    pub compile_ms: f64,
    /// A reused instance (what `kwctl bench` measures).
    #[serde(flatten)]
    pub stats: Stats,
    /// A fresh instance per evaluation (what policy-server pays per request).
    pub cold: Stats,
}

/// The policy's and the floor's median on the same payload, measured interleaved.
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct Pair {
    pub(crate) policy_median_ns: u64,
    pub(crate) floor_median_ns: u64,
    pub(crate) ratio: f64,
    pub(crate) policy_minor_faults: Option<f64>,
    pub(crate) floor_minor_faults: Option<f64>,
}

/// Instructions of one cold evaluation (callgrind), the policy's and the floor's.
#[derive(Serialize, Debug, Clone, Copy)]
pub(crate) struct Instructions {
    pub(crate) policy: u64,
    pub(crate) floor: u64,
    pub(crate) ratio: f64,
    /// The policy's instructions beyond the floor's.
    pub(crate) extra: i64,
    /// Largest difference between repeated counts of the same evaluation.
    pub(crate) spread: u64,
}

#[derive(Serialize)]
pub(crate) struct SuiteResult {
    pub(crate) name: String,
    pub(crate) policy: String,
    pub(crate) request: String,
    pub(crate) request_bytes: usize,
    pub(crate) verdict: Verdict,
    /// The floor module compared with (the rejecting one for a rejection).
    pub(crate) floor: String,
    pub(crate) cold: Pair,
    pub(crate) warm: Pair,
    pub(crate) instructions: Option<Instructions>,
    /// Largest acceptable `instructions.ratio`.
    pub(crate) budget: f64,
    pub(crate) within_budget: Option<bool>,
}

#[derive(Serialize)]
pub(crate) struct ModuleResult {
    pub(crate) module: String,
    pub(crate) bytes: usize,
    pub(crate) compile_ms: f64,
    /// Smallest memory limit (64 KiB pages) that still evaluates the module's largest payload.
    pub(crate) linear_memory_bytes: usize,
    pub(crate) largest_payload: String,
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
pub(crate) fn print_tables(results: &[SuiteResult], module_results: &[ModuleResult]) {
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
