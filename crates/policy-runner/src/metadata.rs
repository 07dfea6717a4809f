//! Kubewarden policy metadata: the `io.kubewarden.metadata` custom section that `kwctl annotate`
//! writes and kwctl, policy-server and Artifact Hub tooling read.

use anyhow::{anyhow, bail, Result};
use kubewarden_policy_sdk::metadata::ProtocolVersion;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Name of the custom section that holds the metadata.
pub const METADATA_SECTION: &str = "io.kubewarden.metadata";
/// Annotation filled from `annotate --usage-path`.
pub const ANNOTATION_USAGE: &str = "io.kubewarden.policy.usage";

/// An admission operation a rule matches.
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    #[serde(rename = "CREATE")]
    Create,
    #[serde(rename = "UPDATE")]
    Update,
    #[serde(rename = "DELETE")]
    Delete,
    #[serde(rename = "CONNECT")]
    Connect,
    #[serde(rename = "*")]
    All,
}

/// Which requests the policy is registered for, as in a ValidatingWebhookConfiguration.
#[derive(Deserialize, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub api_versions: Vec<String>,
    pub resources: Vec<String>,
    pub operations: Vec<Operation>,
}

/// A Kubernetes kind a context-aware policy may read.
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextAwareResource {
    pub api_version: String,
    pub kind: String,
}

fn default_true() -> bool {
    true
}
fn default_execution_mode() -> String {
    "kubewarden-wapc".to_string()
}
fn default_policy_type() -> String {
    "kubernetes".to_string()
}

/// The metadata document, with policy-evaluator's field names and defaults.
#[derive(Deserialize, Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    pub mutating: bool,
    #[serde(default = "default_true")]
    pub background_audit: bool,
    #[serde(default)]
    pub context_aware_resources: BTreeSet<ContextAwareResource>,
    #[serde(default = "default_execution_mode")]
    pub execution_mode: String,
    #[serde(default = "default_policy_type")]
    pub policy_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_kubewarden_version: Option<String>,
}

impl Metadata {
    /// The checks `kwctl annotate` makes before embedding metadata.
    pub fn validate(&self) -> Result<()> {
        if !["kubewarden-wapc", "opa", "gatekeeper", "wasi"].contains(&self.execution_mode.as_str())
        {
            bail!("unknown executionMode {:?}", self.execution_mode);
        }
        if self.execution_mode == "kubewarden-wapc"
            && !matches!(self.protocol_version, Some(ProtocolVersion::V1))
        {
            bail!("Must specify a valid protocol version");
        }
        for (index, rule) in self.rules.iter().enumerate() {
            validate_rule(rule).map_err(|e| anyhow!("rules[{index}]: {e}"))?;
        }
        Ok(())
    }
}

fn validate_asterisk(field: &str, values: &[String]) -> Result<()> {
    if values.is_empty() {
        bail!("{field} must not be empty");
    }
    if values.len() > 1 && values.iter().any(|v| v == "*") {
        bail!("{field}: no other elements can be defined when '*' is used");
    }
    Ok(())
}

/// Mirrors the API server's webhook rule validation, subresources (`pods/status`) included.
fn validate_rule(rule: &Rule) -> Result<()> {
    validate_asterisk("apiGroups", &rule.api_groups)?;
    validate_asterisk("apiVersions", &rule.api_versions)?;
    if rule.operations.is_empty() {
        bail!("operations must not be empty");
    }
    if rule.operations.len() > 1 && rule.operations.contains(&Operation::All) {
        bail!("operations: no other elements can be defined when '*' is used");
    }
    if rule.resources.is_empty() {
        bail!("resources must not be empty");
    }
    let mut wildcard_subresource_of: BTreeSet<&str> = BTreeSet::new();
    let mut wildcard_resource_for: BTreeSet<&str> = BTreeSet::new();
    let mut has_single_wildcard = false;
    let mut has_plain_resource = false;
    for resource in &rule.resources {
        if resource.is_empty() {
            bail!("empty resource is not allowed");
        }
        if resource == "*/*" && rule.resources.len() > 1 {
            bail!("if '*/*' is present, must not specify other resources");
        }
        match resource.split_once('/') {
            None => {
                if resource == "*" {
                    has_single_wildcard = true;
                } else {
                    has_plain_resource = true;
                }
            }
            Some((res, sub)) => {
                if res.is_empty() || sub.is_empty() || sub.contains('/') {
                    bail!("invalid resource {resource:?}");
                }
                if wildcard_subresource_of.contains(res) {
                    bail!("if '{res}/*' is present, must not specify {resource}");
                }
                if wildcard_resource_for.contains(sub) {
                    bail!("if '*/{sub}' is present, must not specify {resource}");
                }
                if sub == "*" {
                    wildcard_subresource_of.insert(res);
                }
                if res == "*" {
                    wildcard_resource_for.insert(sub);
                }
            }
        }
    }
    if has_single_wildcard && has_plain_resource {
        bail!("if '*' is present, must not specify other resources without subresources");
    }
    Ok(())
}

fn read_leb128_u32(bytes: &[u8], pos: &mut usize) -> Result<u32> {
    let mut result: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes
            .get(*pos)
            .ok_or_else(|| anyhow!("truncated WebAssembly module"))?;
        *pos += 1;
        result |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(result);
        }
    }
    bail!("invalid LEB128 number in WebAssembly module")
}

fn write_leb128_u32(mut value: u32, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One top-level section of a module: its id, its whole byte range and, for custom
/// sections, its name and payload.
struct Section<'a> {
    id: u8,
    raw: &'a [u8],
    custom: Option<(&'a str, &'a [u8])>,
}

fn sections(module: &[u8]) -> Result<Vec<Section<'_>>> {
    if module.len() < 8 || &module[0..4] != b"\0asm" {
        bail!("not a WebAssembly module");
    }
    if module[4..8] != [1, 0, 0, 0] {
        bail!("unsupported WebAssembly version (a component, not a core module?)");
    }
    let mut pos = 8;
    let mut found = Vec::new();
    while pos < module.len() {
        let start = pos;
        let id = module[pos];
        pos += 1;
        let size = read_leb128_u32(module, &mut pos)? as usize;
        let end = pos
            .checked_add(size)
            .filter(|end| *end <= module.len())
            .ok_or_else(|| anyhow!("truncated WebAssembly module"))?;
        let custom = if id == 0 {
            let mut name_pos = pos;
            let name_len = read_leb128_u32(module, &mut name_pos)? as usize;
            let name_end = name_pos
                .checked_add(name_len)
                .filter(|e| *e <= end)
                .ok_or_else(|| anyhow!("invalid custom section name"))?;
            let name = std::str::from_utf8(&module[name_pos..name_end])
                .map_err(|_| anyhow!("custom section name is not UTF-8"))?;
            Some((name, &module[name_end..end]))
        } else {
            None
        };
        found.push(Section {
            id,
            raw: &module[start..end],
            custom,
        });
        pos = end;
    }
    Ok(found)
}

/// Reads the embedded metadata, if any.
pub fn read_metadata(module: &[u8]) -> Result<Option<Metadata>> {
    for section in sections(module)? {
        if let Some((METADATA_SECTION, data)) = section.custom {
            let metadata = serde_json::from_slice(data)
                .map_err(|e| anyhow!("invalid {METADATA_SECTION} section: {e}"))?;
            return Ok(Some(metadata));
        }
    }
    Ok(None)
}

/// Returns the module with its metadata section replaced by `metadata`.
pub fn embed_metadata(module: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
    let mut out = module[..8].to_vec();
    for section in sections(module)? {
        if section.id == 0 && matches!(section.custom, Some((METADATA_SECTION, _))) {
            continue;
        }
        out.extend_from_slice(section.raw);
    }
    let data = serde_json::to_vec(metadata)?;
    let mut payload = Vec::with_capacity(data.len() + 32);
    write_leb128_u32(METADATA_SECTION.len() as u32, &mut payload);
    payload.extend_from_slice(METADATA_SECTION.as_bytes());
    payload.extend_from_slice(&data);
    out.push(0);
    write_leb128_u32(
        u32::try_from(payload.len()).map_err(|_| anyhow!("metadata too large"))?,
        &mut out,
    );
    out.extend_from_slice(&payload);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn rule(resources: &[&str]) -> Rule {
        Rule {
            api_groups: vec![String::new()],
            api_versions: vec!["v1".to_string()],
            resources: resources.iter().map(|r| r.to_string()).collect(),
            operations: vec![Operation::Update],
        }
    }

    #[rstest]
    #[case::subresource(&["pods/status", "nodes/status"], true)]
    #[case::plain(&["pods"], true)]
    #[case::wildcard_with_subresources(&["*", "a/b", "a/*", "*/b"], true)]
    #[case::wildcard_with_plain(&["*", "pods"], false)]
    #[case::double_wildcard_with_other(&["*/*", "pods"], false)]
    #[case::foo_star_with_foo_bar(&["a/*", "a/x"], false)]
    #[case::star_bar_with_foo_bar(&["*/a", "x/a"], false)]
    #[case::empty(&[""], false)]
    #[case::none(&[], false)]
    fn rule_resources(#[case] resources: &[&str], #[case] valid: bool) {
        assert_eq!(validate_rule(&rule(resources)).is_ok(), valid);
    }

    #[test]
    fn leb128_round_trip() {
        for value in [0u32, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut bytes = Vec::new();
            write_leb128_u32(value, &mut bytes);
            let mut pos = 0;
            assert_eq!(read_leb128_u32(&bytes, &mut pos).unwrap(), value);
            assert_eq!(pos, bytes.len());
        }
    }

    #[test]
    fn truncated_module_is_an_error() {
        let module = b"\0asm\x01\0\0\0\x01\x10";
        assert!(sections(module).is_err());
    }
}
