//! `inspect`: prints the metadata embedded in a module, like `kwctl inspect`.

use anyhow::{anyhow, Result};

use crate::cli::InspectOutput;
use crate::inputs::read_module;
use crate::metadata::{self, Metadata};

/// Prints the module's metadata in the chosen format.
pub fn inspect(uri: &str, output: InspectOutput) -> Result<()> {
    let module = read_module(uri)?;
    let metadata = metadata::read_metadata(&module)?
        .ok_or_else(|| anyhow!("No Kubewarden metadata found inside of '{uri}'"))?;
    match output {
        InspectOutput::Yaml => print!("{}", serde_norway::to_string(&metadata)?),
        InspectOutput::Json => println!("{}", serde_json::to_string_pretty(&metadata)?),
        InspectOutput::Pretty => print!("{}", pretty(&metadata)?),
    }
    Ok(())
}

fn pretty(metadata: &Metadata) -> Result<String> {
    use std::fmt::Write;
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let annotation = |key: &str| annotations.get(key).cloned().unwrap_or_default();
    let mut out = String::new();
    writeln!(out, "Details")?;
    for (label, key) in [
        ("title", "io.kubewarden.policy.title"),
        ("description", "io.kubewarden.policy.description"),
        ("author", "io.kubewarden.policy.author"),
        ("url", "io.kubewarden.policy.url"),
        ("source", "io.kubewarden.policy.source"),
        ("license", "io.kubewarden.policy.license"),
    ] {
        writeln!(out, "{:<20}{}", format!("{label}:"), annotation(key))?;
    }
    writeln!(out, "{:<20}{}", "mutating:", metadata.mutating)?;
    writeln!(
        out,
        "background audit support: {}",
        metadata.background_audit
    )?;
    writeln!(
        out,
        "{:<20}{}",
        "context aware:",
        !metadata.context_aware_resources.is_empty()
    )?;
    writeln!(out, "{:<20}{}", "execution mode:", metadata.execution_mode)?;
    if let Some(version) = &metadata.protocol_version {
        writeln!(out, "{:<20}{}", "protocol version:", version)?;
    }
    writeln!(out, "\nAnnotations")?;
    for (key, value) in annotations.iter().filter(|(k, _)| {
        !k.starts_with("io.kubewarden.policy.") || k.as_str() == "io.kubewarden.policy.version"
    }) {
        writeln!(out, "{key} {value}")?;
    }
    writeln!(out, "\nRules")?;
    writeln!(
        out,
        "{}",
        serde_norway::to_string(&metadata.rules)?.trim_end()
    )?;
    if let Some(usage) = annotations.get(metadata::ANNOTATION_USAGE) {
        writeln!(out, "\nUsage\n{usage}")?;
    }
    Ok(out)
}
