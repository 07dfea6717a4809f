//! `scaffold artifacthub`: the `artifacthub-pkg.yml` of a policy, from its metadata and README.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::metadata::Metadata;

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

fn read(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

/// The version: given, else the metadata's; it must be `MAJOR.MINOR.PATCH`.
fn version_of(annotations: &BTreeMap<String, String>, version: Option<&str>) -> Result<String> {
    let version = match version {
        Some(version) => version.to_string(),
        None => required(annotations, ANNOTATION_VERSION)?.clone(),
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        bail!("policy version must be in semver: {version:?}");
    }
    Ok(version)
}

fn keywords(annotations: &BTreeMap<String, String>) -> Result<Option<Vec<String>>> {
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
    Ok(keywords)
}

/// The source link, and the release download of a GitHub source.
fn links(annotations: &BTreeMap<String, String>, version: &str) -> Option<Vec<NameUrl>> {
    annotations.get(ANNOTATION_SOURCE).map(|source| {
        let mut links = Vec::new();
        if let Some(path) = source.strip_prefix("https://github.com/") {
            let repository: Vec<&str> = path.split('/').take(2).collect();
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
    })
}

/// The `kubewarden/*` annotations Artifact Hub shows.
fn hub_annotations(
    metadata: &Metadata,
    questions: Option<String>,
) -> Result<BTreeMap<String, String>> {
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let mut hub = BTreeMap::new();
    hub.insert(
        "kubewarden/mutation".to_string(),
        metadata.mutating.to_string(),
    );
    hub.insert(
        "kubewarden/contextAwareResources".to_string(),
        serde_norway::to_string(&metadata.context_aware_resources)?,
    );
    hub.insert(
        "kubewarden/rules".to_string(),
        serde_norway::to_string(&metadata.rules)?,
    );
    if let Some(resources) = annotations.get(ANNOTATION_RESOURCES) {
        hub.insert("kubewarden/resources".to_string(), resources.clone());
    }
    if let Some(questions) = questions {
        hub.insert("kubewarden/questions-ui".to_string(), questions);
    }
    Ok(hub)
}

/// Builds the artifacthub-pkg.yml of a policy from its metadata.yml, README and (optionally)
/// questions-ui.yml, like `kwctl scaffold artifacthub`. `created_at` gives `createdAt` for the
/// package's version: `kwctl scaffold artifacthub` writes the current time, and `cargo xtask
/// artifacthub` keeps the committed package's while the version is unchanged.
pub fn artifacthub(
    metadata_path: &Path,
    readme_path: &Path,
    questions_path: Option<&Path>,
    version: Option<&str>,
    created_at: &dyn Fn(&str) -> String,
) -> Result<String> {
    let metadata: Metadata = serde_norway::from_str(&read(metadata_path, "metadata file")?)
        .with_context(|| format!("cannot parse metadata file {}", metadata_path.display()))?;
    let readme = read(readme_path, "usage file")?;
    let questions = questions_path
        .map(|path| read(path, "questions file"))
        .transpose()?;
    if questions.as_deref() == Some("") {
        bail!("questions-ui file is empty");
    }
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let version = version_of(&annotations, version)?;
    let image = format!("{}:v{version}", required(&annotations, ANNOTATION_OCI_URL)?);
    let package = ArtifactHubPkg {
        display_name: required(&annotations, ANNOTATION_DISPLAY_NAME)?.clone(),
        created_at: created_at(&version),
        description: required(&annotations, ANNOTATION_DESCRIPTION)?.clone(),
        license: annotations.get(ANNOTATION_LICENSE).cloned(),
        home_url: annotations.get(ANNOTATION_URL).cloned(),
        containers_images: vec![NameImage { name: "policy", image: image.clone() }],
        keywords: keywords(&annotations)?,
        links: links(&annotations, &version),
        install: format!(
            "The policy can be obtained using [`kwctl`](https://github.com/kubewarden/kwctl):\n```console\nkwctl pull {image}\n```\nThen, generate the policy manifest and tune it to your liking. For example:\n```console\nkwctl scaffold manifest -t ClusterAdmissionPolicy registry://{image}\n```\n"
        ),
        maintainers: annotations.get(ANNOTATION_AUTHOR).map(|a| maintainers(a)).transpose()?,
        provider: Provider { name: "kubewarden" },
        recommendations: vec![Recommendation { url: "https://artifacthub.io/packages/helm/kubewarden/kubewarden-controller" }],
        annotations: hub_annotations(&metadata, questions)?,
        readme,
        name: required(&annotations, ANNOTATION_TITLE)?.clone(),
        version,
    };
    Ok(serde_norway::to_string(&package)?)
}

/// Current UTC time in RFC 3339, to the second (as `kwctl scaffold artifacthub` writes `createdAt`).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
