//! Instructions of a cold evaluation, counted by callgrind: a measure of the per-request cost
//! that machine noise cannot move. `bench` runs `xtask count-instructions` (this same binary)
//! under `valgrind --tool=callgrind`; that process compiles the modules uninstrumented, then
//! counts each cold evaluation (a new store and instance, `wapc_init`, `validate`, the instance
//! dropped) alone and has callgrind write one profile per evaluation, which `bench` reads back.

use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::callgrind;
use crate::suite::{load_suite, Suite};
use policy_runner::bench::Verdict;
use policy_runner::host::{CompiledModule, Limits, Policy, PreLinked};
use policy_runner::request::build_admission_request;

/// Counted evaluations per module and payload; the median is kept. Counts repeat to within a
/// few hundred instructions (hash seeds, allocator state).
pub(super) const RUNS: usize = 3;

/// One benchmark's cold instruction counts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counts {
    pub(super) policy: u64,
    pub(super) floor: u64,
    /// Largest difference between the runs of one module.
    pub(super) spread: u64,
}

/// Runs `count-instructions` under callgrind and reads back one count per evaluation.
pub(super) fn measure(suite_path: &Path, root: &Path) -> Result<Vec<Counts>> {
    let out_dir = root.join("target/bench/callgrind");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)
            .with_context(|| format!("cannot clear {}", out_dir.display()))?;
    }
    std::fs::create_dir_all(&out_dir)?;
    // This binary: it holds the count-instructions command.
    let xtask = std::env::current_exe()?;
    eprintln!("counting instructions under callgrind (a few minutes)…");
    let status = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--quiet",
            "--instr-atstart=no",
            "--collect-atstart=no",
        ])
        .arg(format!(
            "--callgrind-out-file={}",
            out_dir.join("callgrind.out").display()
        ))
        .arg(xtask)
        .arg("count-instructions")
        .arg(suite_path)
        .status()
        .map_err(|e| {
            anyhow!("cannot run valgrind ({e}): install it (apt-get install valgrind), or pass --no-instructions")
        })?;
    if !status.success() {
        bail!("count-instructions under callgrind failed: {status}");
    }
    read_counts(&out_dir)
}

/// The profiles callgrind wrote, in order: `callgrind.out.1`, `.2`, …
fn read_counts(out_dir: &Path) -> Result<Vec<Counts>> {
    let mut dumps: Vec<(u32, PathBuf)> = std::fs::read_dir(out_dir)?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let part = path.extension()?.to_str()?.parse().ok()?;
            Some((part, path))
        })
        .collect();
    dumps.sort();
    // label "<benchmark> <floor|policy> <run>" → count
    let mut counts: Vec<[Vec<u64>; 2]> = Vec::new();
    for (_, path) in dumps {
        let text = std::fs::read_to_string(&path)?;
        let field = |prefix: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(prefix))
                .ok_or_else(|| anyhow!("{}: no `{prefix}` line", path.display()))
        };
        let label = field("desc: Trigger: Client Request: ")?;
        let count: u64 = field("summary: ")?.trim().parse()?;
        let mut words = label.split(' ');
        let (Some(index), Some(role)) = (words.next(), words.next()) else {
            bail!("{}: unexpected label {label:?}", path.display());
        };
        let index: usize = index.parse()?;
        counts.resize_with(counts.len().max(index + 1), Default::default);
        counts[index][usize::from(role == "policy")].push(count);
    }
    counts
        .into_iter()
        .map(|[floor, policy]| {
            let spread =
                |runs: &[u64]| runs.iter().max().unwrap_or(&0) - runs.iter().min().unwrap_or(&0);
            Ok(Counts {
                policy: median(&policy)?,
                floor: median(&floor)?,
                spread: spread(&floor).max(spread(&policy)),
            })
        })
        .collect()
}

fn median(runs: &[u64]) -> Result<u64> {
    let mut sorted = runs.to_vec();
    sorted.sort_unstable();
    sorted
        .get(sorted.len() / 2)
        .copied()
        .ok_or_else(|| anyhow!("a benchmark has no count"))
}

/// A module of the suite, linked once.
fn pre_link(root: &Path, module: &Path) -> Result<PreLinked> {
    let bytes = std::fs::read(root.join(module))
        .with_context(|| format!("cannot read {}", module.display()))?;
    CompiledModule::compile(&bytes)?.pre_link(Limits::default())
}

type Linked = std::collections::BTreeMap<PathBuf, PreLinked>;

/// Each benchmark's payload, policy and floor (the floor of the policy's verdict).
fn plan(suite: &Suite, root: &Path, modules: &Linked) -> Result<Vec<(Vec<u8>, PathBuf, PathBuf)>> {
    let mut plan = Vec::new();
    for entry in &suite.benchmarks {
        let (request, settings) = entry.read(root)?;
        let request = build_admission_request(serde_json::from_slice(&request)?)?;
        let payload = Policy::validate_payload(&request, &settings)?;
        let answer = modules[&entry.policy].evaluate_cold(&payload)?;
        let answer: kubewarden_policy_sdk::response::ValidationResponse =
            serde_json::from_slice(&answer)?;
        let verdict = match (answer.accepted, answer.mutated_object.is_some()) {
            (false, _) => Verdict::Rejected,
            (true, true) => Verdict::Mutated,
            (true, false) => Verdict::Accepted,
        };
        let floor = suite.floor_for(verdict).to_path_buf();
        plan.push((payload, entry.policy.clone(), floor));
    }
    Ok(plan)
}

/// `xtask count-instructions`, run by `bench` under callgrind: counts the cold
/// evaluations of every benchmark, the floor's then the policy's, [`RUNS`] times each.
pub fn count_instructions(suite_path: &Path) -> Result<()> {
    if !callgrind::running_on_valgrind() {
        bail!("count-instructions runs under valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no (cargo xtask bench starts it)");
    }
    let (suite, root) = load_suite(suite_path)?;
    let mut modules = Linked::new();
    for module in suite.modules() {
        modules.insert(module.clone(), pre_link(&root, module)?);
    }
    let plan = plan(&suite, &root, &modules)?;
    callgrind::start_instrumentation();
    for (index, (payload, policy, floor)) in plan.iter().enumerate() {
        for (role, module) in [("floor", floor), ("policy", policy)] {
            let pre = &modules[module];
            // Not counted: the first evaluation after instrumentation starts pays one-time
            // costs (the module's memory image, lazy statics) that no request pays again.
            pre.evaluate_cold(payload)?;
            for run in 0..RUNS {
                callgrind::toggle_collect();
                let answer = pre.evaluate_cold(payload);
                callgrind::toggle_collect();
                callgrind::dump_stats_at(&format!("{index} {role} {run}"));
                answer?;
            }
        }
    }
    Ok(())
}
