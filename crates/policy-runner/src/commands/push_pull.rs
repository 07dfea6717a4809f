//! `push` and `pull`: OCI registries, like `kwctl push` and `kwctl pull`.

use anyhow::{Context, Result};
use std::path::Path;

use crate::registry;

/// Pushes the module to `registry://…`.
pub fn push(module: &Path, uri: &str, insecure: bool) -> Result<()> {
    let bytes = std::fs::read(module)
        .with_context(|| format!("cannot read policy module {}", module.display()))?;
    let pushed = registry::push(&bytes, uri, insecure)?;
    println!("Policy successfully pushed: {pushed}");
    Ok(())
}

/// Pulls `registry://…` into `output_path`.
pub fn pull(output_path: &Path, uri: &str, insecure: bool) -> Result<()> {
    let bytes = registry::pull(uri, insecure)?;
    std::fs::write(output_path, &bytes)
        .with_context(|| format!("cannot write {}", output_path.display()))?;
    println!(
        "Policy successfully pulled: {} ({})",
        output_path.display(),
        registry::digest(&bytes)
    );
    Ok(())
}
