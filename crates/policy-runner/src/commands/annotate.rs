//! `annotate`: embeds metadata into a module, like `kwctl annotate`.

use anyhow::{Context, Result};
use std::path::Path;

use crate::host::{CompiledModule, Limits};
use crate::metadata::{self, Metadata};

/// Writes `wasm_path` with the metadata (and the usage text) embedded to `output_path`.
pub fn annotate(
    metadata_path: &Path,
    usage_path: Option<&Path>,
    output_path: &Path,
    wasm_path: &Path,
) -> Result<()> {
    let text = std::fs::read_to_string(metadata_path)
        .with_context(|| format!("cannot read metadata file {}", metadata_path.display()))?;
    let mut metadata: Metadata = serde_norway::from_str(&text)
        .with_context(|| format!("cannot parse metadata file {}", metadata_path.display()))?;
    let module = std::fs::read(wasm_path)
        .with_context(|| format!("cannot read policy module {}", wasm_path.display()))?;
    let policy = CompiledModule::compile(&module)
        .and_then(|compiled| compiled.instantiate(Limits::default()))
        .with_context(|| format!("cannot load policy {}", wasm_path.display()))?;
    metadata.protocol_version = Some(
        policy
            .protocol_version()
            .context("Cannot compute ProtocolVersion used by the policy")?,
    );
    if let Some(usage_path) = usage_path {
        let usage = std::fs::read_to_string(usage_path)
            .with_context(|| format!("cannot read usage file {}", usage_path.display()))?;
        metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(metadata::ANNOTATION_USAGE.to_string(), usage);
    }
    metadata.validate().context("Metadata is invalid")?;
    let annotated = metadata::embed_metadata(&module, &metadata)?;
    std::fs::write(output_path, annotated)
        .with_context(|| format!("cannot write {}", output_path.display()))?;
    Ok(())
}
