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

/// One top-level section of a module: its id and contents (for a custom section, its name and
/// then its data).
struct Section<'a> {
    id: u8,
    contents: &'a [u8],
    custom_name: Option<&'a str>,
}

/// The top-level sections of a core module, read with wasmparser (which rejects what kwctl's
/// parser rejects: truncated sections, over-long LEB128 numbers, components).
fn sections(module: &[u8]) -> Result<Vec<Section<'_>>> {
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| anyhow!("not a valid WebAssembly module: {e}"))?;
        if let wasmparser::Payload::Version { encoding, .. } = &payload {
            if *encoding != wasmparser::Encoding::Module {
                bail!("unsupported WebAssembly version (a component, not a core module?)");
            }
        }
        let custom_name = match &payload {
            wasmparser::Payload::CustomSection(reader) => Some(reader.name()),
            _ => None,
        };
        if let Some((id, range)) = payload.as_section() {
            let range = usize::try_from(range.start)?..usize::try_from(range.end)?;
            found.push(Section {
                id,
                contents: &module[range],
                custom_name,
            });
        }
    }
    Ok(found)
}

/// The data of the metadata section, if any.
fn metadata_section(module: &[u8]) -> Result<Option<&[u8]>> {
    for payload in wasmparser::Parser::new(0).parse_all(module) {
        let payload = payload.map_err(|e| anyhow!("not a valid WebAssembly module: {e}"))?;
        if let wasmparser::Payload::CustomSection(reader) = payload {
            if reader.name() == METADATA_SECTION {
                return Ok(Some(reader.data()));
            }
        }
    }
    Ok(None)
}

/// Reads the embedded metadata, if any.
pub fn read_metadata(module: &[u8]) -> Result<Option<Metadata>> {
    sections(module)?;
    let Some(data) = metadata_section(module)? else {
        return Ok(None);
    };
    let metadata = serde_json::from_slice(data)
        .map_err(|e| anyhow!("invalid {METADATA_SECTION} section: {e}"))?;
    Ok(Some(metadata))
}

/// Returns the module with its metadata section replaced by `metadata` (written last, where
/// `kwctl annotate` writes it).
pub fn embed_metadata(module: &[u8], metadata: &Metadata) -> Result<Vec<u8>> {
    let mut out = wasm_encoder::Module::new();
    for section in sections(module)? {
        if section.custom_name == Some(METADATA_SECTION) {
            continue;
        }
        out.section(&wasm_encoder::RawSection {
            id: section.id,
            data: section.contents,
        });
    }
    let data = serde_json::to_vec(metadata)?;
    out.section(&wasm_encoder::CustomSection {
        name: METADATA_SECTION.into(),
        data: data.into(),
    });
    Ok(out.finish())
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

    #[rstest]
    #[case::truncated_section(b"\0asm\x01\0\0\0\x01\x10".as_slice())]
    // A section size whose fifth LEB128 byte has high bits set: more than 32 bits.
    #[case::over_long_leb128(b"\0asm\x01\0\0\0\x00\xff\xff\xff\xff\x7f".as_slice())]
    #[case::component(b"\0asm\x0d\0\x01\0".as_slice())]
    fn malformed_modules_are_errors(#[case] module: &[u8]) {
        assert!(sections(module).is_err());
        assert!(read_metadata(module).is_err());
    }

    fn metadata() -> Metadata {
        serde_json::from_value(serde_json::json!({"rules": [], "mutating": false})).unwrap()
    }

    #[test]
    fn embedding_replaces_the_section_and_keeps_the_others() {
        let mut module = wasm_encoder::Module::new();
        module.section(&wasm_encoder::CustomSection {
            name: "producers".into(),
            data: b"x".as_slice().into(),
        });
        let module = module.finish();
        let once = embed_metadata(&module, &metadata()).unwrap();
        let twice = embed_metadata(&once, &metadata()).unwrap();
        assert_eq!(once, twice);
        assert!(read_metadata(&twice).unwrap().is_some());
        assert_eq!(read_metadata(&module).unwrap().map(|_| ()), None);
        let names: Vec<_> = sections(&twice)
            .unwrap()
            .into_iter()
            .filter_map(|s| s.custom_name)
            .collect();
        assert_eq!(names, ["producers", METADATA_SECTION]);
    }
}
