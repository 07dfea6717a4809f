//! `run`: evaluates a request against a policy, like `kwctl run`; or against every policy of a
//! YAML file of Kubewarden resources, in turn, like `kwctl run … policy.yaml` (kwctl 1.35).

use anyhow::{Context, Result};
use std::path::Path;

use crate::cli::EvaluationArgs;
use crate::host::{CompiledModule, Limits};
use crate::inputs::{limits, read_module, read_request, read_settings};
use crate::manifest;
use crate::request::{build_admission_request, AdmissionRequest};
use crate::response::AdmissionResponse;

/// Prints the policy's AdmissionResponse for the request (one line per policy of a manifest).
/// As kwctl, the policies (a manifest, or the settings) are read before the request, and every
/// policy of a manifest is read before any is evaluated: a manifest kwctl refuses prints nothing.
pub fn run(args: &EvaluationArgs) -> Result<()> {
    let limits = limits(args)?;
    if manifest::is_manifest(&args.uri) {
        let policies = manifest::read(Path::new(&args.uri))?;
        // kwctl's rule: a manifest brings its own settings; the settings flags are ignored.
        if args.settings_path.is_some() || args.settings_json.is_some() {
            eprintln!("settings flags are ignored: each policy of the manifest brings its own");
        }
        let request = build_admission_request(read_request(&args.request_path)?)?;
        for policy in policies {
            let response = evaluate(&policy.module, &request, &policy.settings, limits)?;
            println!("{}", serde_json::to_string(&policy.process(response))?);
        }
        return Ok(());
    }
    let settings = read_settings(args)?;
    let request = build_admission_request(read_request(&args.request_path)?)?;
    let response = evaluate(&args.uri, &request, &settings, limits)?;
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}

/// Loads the module, checks the settings and evaluates the request.
fn evaluate(
    uri: &str,
    request: &AdmissionRequest,
    settings: &serde_json::Value,
    limits: Limits,
) -> Result<AdmissionResponse> {
    let bytes = read_module(uri)?;
    let policy = CompiledModule::compile(&bytes)
        .with_context(|| format!("cannot load policy {uri}"))?
        .load(limits, uri)?;
    policy.require_valid_settings(settings)?;
    Ok(policy.validate(request, settings))
}
