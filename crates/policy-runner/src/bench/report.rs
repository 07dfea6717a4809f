//! What the benchmarks measured, and the tables `make bench` prints.

use serde::Serialize;
use std::path::Path;

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

#[derive(Serialize)]
pub(crate) struct SuiteResult {
    pub(crate) name: String,
    pub(crate) policy: String,
    pub(crate) request: String,
    pub(crate) request_bytes: usize,
    pub(crate) allowed: bool,
    pub(crate) policy_median_ns: u64,
    pub(crate) floor_median_ns: u64,
    pub(crate) ratio: f64,
    pub(crate) budget: f64,
    pub(crate) within_budget: bool,
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

/// The Markdown tables of a suite run.
pub(crate) fn print_tables(results: &[SuiteResult], module_results: &[ModuleResult]) {
    println!("| benchmark | payload | policy median | floor median | ratio | budget |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in results {
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
