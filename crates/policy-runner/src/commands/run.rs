//! `run`: evaluates a request against a policy, like `kwctl run`.

use anyhow::{Context, Result};

use crate::cli::EvaluationArgs;
use crate::host::CompiledModule;
use crate::inputs::{limits, read_module, read_request, read_settings};
use crate::request::build_admission_request;

/// Prints the policy's AdmissionResponse for the request.
pub fn run(args: &EvaluationArgs) -> Result<()> {
    let request = build_admission_request(read_request(&args.request_path)?)?;
    let settings = read_settings(args)?;
    let bytes = read_module(&args.uri)?;
    let policy = CompiledModule::compile(&bytes)
        .with_context(|| format!("cannot load policy {}", args.uri))?
        .load(limits(args)?, &args.uri)?;
    policy.require_valid_settings(&settings)?;
    let response = policy.validate(&request, &settings);
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}
