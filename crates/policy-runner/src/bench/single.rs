//! `bench`: one policy on one request, like `kwctl bench` (a reused instance, "warm"), and as
//! policy-server evaluates it (a fresh instance per evaluation, "cold").

use anyhow::Result;

use super::report::{BenchReport, Stats};
use super::{compile, prepare, seconds, Verdict};
use crate::cli::EvaluationArgs;
use crate::inputs::{limits, read_module, read_request, read_settings};

/// Runs `policy-runner bench` and prints a summary (or one JSON object).
pub fn bench(args: &EvaluationArgs, warm_up: f64, measurement: f64, json: bool) -> Result<()> {
    let warm_up = seconds(warm_up, "--warm-up-time")?;
    let measurement = seconds(measurement, "--measurement-time")?;
    let request = read_request(&args.request_path)?;
    let settings = read_settings(args)?;
    let bytes = read_module(&args.uri)?;
    let (module, compile_time) = compile(&bytes, &args.uri)?;
    let prepared = prepare(&module, limits(args)?, request, &settings, &args.uri)?;
    let stats = prepared.measure_warm(warm_up, measurement)?;
    let cold = prepared.measure_cold(warm_up, measurement)?;
    let report = BenchReport {
        policy: args.uri.clone(),
        request: args.request_path.clone(),
        allowed: prepared.verdict != Verdict::Rejected,
        module_bytes: bytes.len(),
        compile_ms: compile_time.as_secs_f64() * 1e3,
        stats,
        cold,
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
        print_stats("warm:", &stats);
        print_stats("cold:", &cold);
    }
    Ok(())
}

fn print_stats(label: &str, stats: &Stats) {
    let faults = stats
        .minor_faults
        .map(|f| format!(", {f:.0} pages touched"))
        .unwrap_or_default();
    println!(
        "{label:<13} min {:.2} µs, median {:.2} µs, p90 {:.2} µs over {} samples{faults}",
        stats.min_ns as f64 / 1e3,
        stats.median_ns as f64 / 1e3,
        stats.p90_ns as f64 / 1e3,
        stats.samples
    );
}
