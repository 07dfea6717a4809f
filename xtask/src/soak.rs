//! `soak`: many evaluations in one process; resident memory must stay flat (`make soak`).

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

use crate::suite::load_suite;
use policy_runner::host::{CompiledModule, Limits};
use policy_runner::request::build_admission_request;

fn resident_set_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident memory, or an error where it cannot be read: a soak that cannot measure must fail,
/// not pass by comparing zero with zero.
fn measured_resident_set_bytes() -> Result<u64> {
    resident_set_bytes().context(
        "cannot measure resident memory (VmRSS in /proc/self/status): soak runs on Linux only",
    )
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
        let start = measured_resident_set_bytes()?;
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
        let end = measured_resident_set_bytes()?;
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
