//! `policy-runner scaffold manifest` and `scaffold artifacthub`, like kwctl's.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::cli::read_module;
use crate::metadata::{self, Metadata, Rule};

const ANNOTATION_TITLE: &str = "io.kubewarden.policy.title";
const ANNOTATION_DESCRIPTION: &str = "io.kubewarden.policy.description";
const ANNOTATION_AUTHOR: &str = "io.kubewarden.policy.author";
const ANNOTATION_URL: &str = "io.kubewarden.policy.url";
const ANNOTATION_SOURCE: &str = "io.kubewarden.policy.source";
const ANNOTATION_LICENSE: &str = "io.kubewarden.policy.license";
const ANNOTATION_OCI_URL: &str = "io.kubewarden.policy.ociUrl";
const ANNOTATION_VERSION: &str = "io.kubewarden.policy.version";
const ANNOTATION_DISPLAY_NAME: &str = "io.artifacthub.displayName";
const ANNOTATION_KEYWORDS: &str = "io.artifacthub.keywords";
const ANNOTATION_RESOURCES: &str = "io.artifacthub.resources";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ManifestSpec {
    module: String,
    settings: serde_json::Value,
    rules: Vec<Rule>,
    mutating: bool,
    background_audit: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    context_aware_resources: Vec<metadata::ContextAwareResource>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    api_version: &'static str,
    kind: String,
    metadata: ManifestMetadata,
    spec: ManifestSpec,
}

#[derive(Serialize)]
struct ManifestMetadata {
    name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

/// Prints a ClusterAdmissionPolicy or AdmissionPolicy for the module, from its metadata.
pub fn manifest(uri: &str, kind: &str, settings: Option<&str>, title: Option<&str>) -> Result<()> {
    if !matches!(kind, "ClusterAdmissionPolicy" | "AdmissionPolicy") {
        bail!("unsupported manifest type {kind}: use ClusterAdmissionPolicy or AdmissionPolicy");
    }
    // A registry URI names where the cluster pulls the module; the metadata comes from the
    // local annotated module given with file:// or a path.
    let module = read_module(uri)?;
    let metadata = metadata::read_metadata(&module)?.ok_or_else(|| {
        anyhow!("No Kubewarden metadata found inside of '{uri}': annotate it first")
    })?;
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let settings: serde_json::Value = match settings {
        Some(json) => serde_json::from_str(json).context("--settings-json is not valid JSON")?,
        None => serde_json::json!({}),
    };
    let name = title
        .map(str::to_string)
        .or_else(|| annotations.get(ANNOTATION_TITLE).cloned())
        .unwrap_or_else(|| "generated-policy".to_string());
    let module_uri = match (
        annotations.get(ANNOTATION_OCI_URL),
        annotations.get(ANNOTATION_VERSION),
    ) {
        (Some(oci), Some(version)) if !uri.starts_with("registry://") => {
            format!("registry://{oci}:v{version}")
        }
        _ => uri.to_string(),
    };
    let manifest = Manifest {
        api_version: "policies.kubewarden.io/v1",
        kind: kind.to_string(),
        metadata: ManifestMetadata {
            name,
            annotations: annotations
                .iter()
                .filter(|(k, _)| {
                    k.as_str() == "io.kubewarden.policy.category"
                        || k.as_str() == "io.kubewarden.policy.severity"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        },
        spec: ManifestSpec {
            module: module_uri,
            settings,
            rules: metadata.rules.clone(),
            mutating: metadata.mutating,
            background_audit: metadata.background_audit,
            context_aware_resources: metadata.context_aware_resources.iter().cloned().collect(),
        },
    };
    print!("---\n{}", serde_yaml::to_string(&manifest)?);
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactHubPkg {
    version: String,
    name: String,
    display_name: String,
    created_at: String,
    description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<String>,
    #[serde(rename = "homeURL", skip_serializing_if = "Option::is_none")]
    home_url: Option<String>,
    containers_images: Vec<NameImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    keywords: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<Vec<NameUrl>>,
    install: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    maintainers: Option<Vec<Maintainer>>,
    provider: Provider,
    recommendations: Vec<Recommendation>,
    annotations: BTreeMap<String, String>,
    readme: String,
}

#[derive(Serialize)]
struct NameImage {
    name: &'static str,
    image: String,
}

#[derive(Serialize)]
struct NameUrl {
    name: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Maintainer {
    name: String,
    email: String,
}

#[derive(Serialize)]
struct Provider {
    name: &'static str,
}

#[derive(Serialize)]
struct Recommendation {
    url: &'static str,
}

fn required<'a>(annotations: &'a BTreeMap<String, String>, key: &str) -> Result<&'a String> {
    annotations
        .get(key)
        .ok_or_else(|| anyhow!("policy metadata must specify \"{key}\" in annotations"))
}

/// `Name <email>, Other <email>` as in kwctl: every entry needs an address.
fn maintainers(author: &str) -> Result<Vec<Maintainer>> {
    let mut found = Vec::new();
    for entry in author.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, rest) = entry
            .split_once('<')
            .ok_or_else(|| anyhow!("annotation \"{ANNOTATION_AUTHOR}\" in policy metadata is malformed, must be csv values of \"name <email>\""))?;
        let email = rest.strip_suffix('>').unwrap_or(rest).trim();
        if !email.contains('@') || email.contains(char::is_whitespace) {
            bail!("annotation \"{ANNOTATION_AUTHOR}\" in policy metadata has an invalid email {email:?}");
        }
        found.push(Maintainer {
            name: name.trim().to_string(),
            email: email.to_string(),
        });
    }
    if found.is_empty() {
        bail!("annotation \"{ANNOTATION_AUTHOR}\" in policy metadata is malformed, must be csv values of \"name <email>\"");
    }
    Ok(found)
}

/// Builds the artifacthub-pkg.yml of a policy from its metadata.yml and README, like
/// `kwctl scaffold artifacthub`. `created_at` is kept from `previous` when the version did not
/// change, so regenerating is idempotent.
pub fn artifacthub(
    metadata_path: &Path,
    readme_path: &Path,
    version: Option<&str>,
    previous: Option<&Path>,
    now: &str,
) -> Result<String> {
    let text = std::fs::read_to_string(metadata_path)
        .with_context(|| format!("cannot read metadata file {}", metadata_path.display()))?;
    let metadata: Metadata = serde_yaml::from_str(&text)
        .with_context(|| format!("cannot parse metadata file {}", metadata_path.display()))?;
    let readme = std::fs::read_to_string(readme_path)
        .with_context(|| format!("cannot read {}", readme_path.display()))?;
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let version = match version {
        Some(version) => version.to_string(),
        None => required(&annotations, ANNOTATION_VERSION)?.clone(),
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        bail!("policy version must be in semver: {version:?}");
    }
    let created_at = previous
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_yaml::from_str::<serde_yaml::Value>(&text).ok())
        .filter(|previous| previous["version"].as_str() == Some(version.as_str()))
        .and_then(|previous| previous["createdAt"].as_str().map(str::to_string))
        .unwrap_or_else(|| now.to_string());
    let oci = required(&annotations, ANNOTATION_OCI_URL)?;
    let keywords = annotations.get(ANNOTATION_KEYWORDS).map(|csv| {
        csv.split(',')
            .map(|k| k.trim().to_string())
            .collect::<Vec<_>>()
    });
    if keywords
        .as_ref()
        .is_some_and(|k| k.iter().any(String::is_empty))
    {
        bail!("annotation \"{ANNOTATION_KEYWORDS}\" in policy metadata is malformed, must be csv values");
    }
    let links = annotations.get(ANNOTATION_SOURCE).map(|source| {
        let mut links = Vec::new();
        if source.starts_with("https://github.com/") {
            let repository: Vec<&str> = source
                .trim_start_matches("https://github.com/")
                .split('/')
                .take(2)
                .collect();
            links.push(NameUrl {
                name: "policy",
                url: format!(
                    "https://github.com/{}/releases/download/v{version}/policy.wasm",
                    repository.join("/")
                ),
            });
        }
        links.push(NameUrl {
            name: "source",
            url: source.clone(),
        });
        links
    });
    let name = required(&annotations, ANNOTATION_TITLE)?.clone();
    let mut hub_annotations = BTreeMap::new();
    hub_annotations.insert(
        "kubewarden/mutation".to_string(),
        metadata.mutating.to_string(),
    );
    hub_annotations.insert(
        "kubewarden/contextAwareResources".to_string(),
        serde_yaml::to_string(&metadata.context_aware_resources)?,
    );
    hub_annotations.insert(
        "kubewarden/rules".to_string(),
        serde_yaml::to_string(&metadata.rules)?,
    );
    if let Some(resources) = annotations.get(ANNOTATION_RESOURCES) {
        hub_annotations.insert("kubewarden/resources".to_string(), resources.clone());
    }
    let image = format!("{oci}:v{version}");
    let package = ArtifactHubPkg {
        version: version.clone(),
        display_name: required(&annotations, ANNOTATION_DISPLAY_NAME)?.clone(),
        created_at,
        description: required(&annotations, ANNOTATION_DESCRIPTION)?.clone(),
        license: annotations.get(ANNOTATION_LICENSE).cloned(),
        home_url: annotations.get(ANNOTATION_URL).cloned(),
        containers_images: vec![NameImage { name: "policy", image: image.clone() }],
        keywords,
        links,
        install: format!(
            "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n```console\nkwctl pull {image}\n```\nThen, generate the policy manifest and tune it to your liking. For example:\n```console\nkwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n```\n"
        ),
        maintainers: annotations.get(ANNOTATION_AUTHOR).map(|a| maintainers(a)).transpose()?,
        provider: Provider { name: "kubewarden" },
        recommendations: vec![Recommendation { url: "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller" }],
        annotations: hub_annotations,
        readme,
        name,
    };
    Ok(format!(
        "# Generated by `make artifacthub` (policy-runner scaffold artifacthub): do not edit.\n{}",
        serde_yaml::to_string(&package)?
    ))
}

/// Current UTC time in RFC 3339, without a date library.
pub fn now_rfc3339() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
