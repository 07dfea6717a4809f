//! Reads one JSON object per line, `{"policy": NAME, "settings": {...}, "request": {...}}`, and
//! writes one line per input, `{"allowed": bool, "message": string|null, "mutated": object|null}`:
//! the Kubewarden policy's verdict, from the same `evaluate` the wasm module runs. The native
//! edition's e2e test (native/e2e) spawns it once and streams every request the API server saw.
//!
//! `kubewarden-oracle generate POLICY COUNT` instead prints COUNT requests generated from the
//! policy's fixtures (its property tests' generator, a fixed seed: the same requests every run).

use serde_json::{json, Value};
use std::io::{BufRead, Write};

fn verdict(policy: &str, request: &Value, settings: &Value) -> Value {
    let payload = policy_glue::test_support::payload(request, settings, false);
    let rejected = |message: String| json!({"allowed": false, "message": message, "mutated": null});
    match policy {
        "antrea-agent-status-updates" => match antrea_agent_status_updates::evaluate(&payload) {
            Ok(()) => json!({"allowed": true, "message": null, "mutated": null}),
            Err(e) => rejected(e.to_string()),
        },
        "antrea-hostpath-guard" => match antrea_hostpath_guard::evaluate(&payload) {
            Ok(()) => json!({"allowed": true, "message": null, "mutated": null}),
            Err(e) => rejected(e.to_string()),
        },
        "antrea-controller-placement" => match antrea_controller_placement::evaluate(&payload) {
            Ok(mutated) => json!({"allowed": true, "message": null, "mutated": mutated}),
            Err(e) => rejected(e.to_string()),
        },
        other => json!({"error": format!("unknown policy {other:?}")}),
    }
}

/// Deterministically generated requests of a policy, one JSON document per line.
fn generate(policy: &str, count: usize) -> Result<(), String> {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let strategy = match policy {
        "antrea-agent-status-updates" => antrea_agent_status_updates::generators::request().boxed(),
        "antrea-hostpath-guard" => antrea_hostpath_guard::generators::request().boxed(),
        other => return Err(format!("no generator for {other:?}")),
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let mut stdout = std::io::stdout().lock();
    for _ in 0..count {
        let request = strategy
            .new_tree(&mut runner)
            .map_err(|e| e.to_string())?
            .current();
        writeln!(stdout, "{request}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, command, policy, count] = args.as_slice() {
        if command == "generate" {
            let count = count.parse().expect("COUNT is a number");
            if let Err(e) = generate(policy, count) {
                eprintln!("{e}");
                std::process::exit(1);
            }
            return;
        }
    }
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.expect("standard input is readable");
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(input) => verdict(
                input["policy"].as_str().unwrap_or_default(),
                &input["request"],
                &input["settings"],
            ),
            Err(e) => json!({"error": format!("not a JSON line: {e}")}),
        };
        writeln!(stdout, "{answer}").expect("standard output is writable");
        stdout.flush().expect("standard output is writable");
    }
}
