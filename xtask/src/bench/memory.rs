//! Size, compile time and linear memory of each module of a suite.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::report::ModuleResult;
use crate::suite::Suite;
use policy_runner::bench::compile;
use policy_runner::host::{CompiledModule, Limits};
use policy_runner::request::build_admission_request;

/// Every module of the suite with its bytes and its best-of-three compile time: what
/// policy-server pays per module at start-up.
pub(super) type Modules = BTreeMap<PathBuf, (Vec<u8>, CompiledModule, Duration)>;

pub(super) fn compile_modules(suite: &Suite, root: &Path) -> Result<Modules> {
    let mut modules = Modules::new();
    for module in suite.modules() {
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
pub(super) type Largest = BTreeMap<PathBuf, (usize, PathBuf, serde_json::Value)>;

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

/// Size, compile time and linear memory of each module, after its largest payload.
pub(super) fn module_results(
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
            .find(|b| &b.policy == module)
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
