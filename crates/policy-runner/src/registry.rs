//! `push`, `pull` and `registry://` URIs: policies as OCI artifacts with Kubewarden's media types
//! (wasm config and layer), as kwctl and policy-server store and fetch them.

use anyhow::{anyhow, bail, Context, Result};
use base64::{engine::general_purpose, Engine as _};
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Parses `registry://HOST[:PORT]/REPO:TAG` (or `@sha256:…`).
pub fn reference(uri: &str) -> Result<Reference> {
    let rest = uri
        .strip_prefix("registry://")
        .ok_or_else(|| anyhow!("expected a registry://HOST/REPOSITORY:TAG URI, got {uri:?}"))?;
    rest.parse::<Reference>()
        .map_err(|e| anyhow!("invalid registry URI {uri:?}: {e}"))
}

fn is_loopback(registry: &str) -> bool {
    let host = registry
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| registry.rsplit_once(':').map_or(registry, |(h, _)| h));
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn client(reference: &Reference, insecure: bool) -> Client {
    let registry = reference.resolve_registry().to_string();
    // Plain HTTP only where nothing can intercept it, or when explicitly asked for.
    let protocol = if insecure || is_loopback(&registry) {
        ClientProtocol::HttpsExcept(vec![registry])
    } else {
        ClientProtocol::Https
    };
    Client::new(ClientConfig {
        protocol,
        ..Default::default()
    })
}

/// Credentials for `registry` from the Docker config file (`$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`); never from arguments, which end up in shell history.
fn auth(registry: &str) -> Result<RegistryAuth> {
    let path = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => PathBuf::from(dir).join("config.json"),
        None => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".docker/config.json"),
            None => return Ok(RegistryAuth::Anonymous),
        },
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let config: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("invalid Docker config {}", path.display()))?;
    let Some(encoded) = config["auths"][registry]["auth"].as_str() else {
        return Ok(RegistryAuth::Anonymous);
    };
    let decoded = general_purpose::STANDARD
        .decode(encoded)
        .with_context(|| format!("invalid auth for {registry} in {}", path.display()))?;
    let decoded = String::from_utf8(decoded).context("Docker config auth is not UTF-8")?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or_else(|| anyhow!("Docker config auth for {registry} is not user:password"))?;
    Ok(RegistryAuth::Basic(user.to_string(), password.to_string()))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `sha256:<hex>` of some bytes.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Pushes a module and returns the immutable URI of what was pushed.
pub fn push(module: &[u8], uri: &str, insecure: bool) -> Result<String> {
    let reference = reference(uri)?;
    let client = client(&reference, insecure);
    let auth = auth(reference.resolve_registry())?;
    let layers = vec![ImageLayer::new(
        module.to_vec(),
        WASM_LAYER_MEDIA_TYPE.to_string(),
        None,
    )];
    let config = Config::new(b"{}".to_vec(), WASM_CONFIG_MEDIA_TYPE.to_string(), None);
    let response = runtime()?
        .block_on(client.push(&reference, &layers, config, &auth, None))
        .map_err(|e| anyhow!("cannot push to {uri}: {e}"))?;
    let manifest_digest = response
        .manifest_url
        .rsplit_once('/')
        .map(|(_, d)| d.to_string())
        .unwrap_or_default();
    Ok(format!(
        "registry://{}/{}@{}",
        reference.registry(),
        reference.repository(),
        manifest_digest
    ))
}

/// Pulls a module, checking that its bytes match the digest the manifest gives for them.
pub fn pull(uri: &str, insecure: bool) -> Result<Vec<u8>> {
    let reference = reference(uri)?;
    let client = client(&reference, insecure);
    let auth = auth(reference.resolve_registry())?;
    let image = runtime()?
        .block_on(client.pull(&reference, &auth, vec![WASM_LAYER_MEDIA_TYPE]))
        .map_err(|e| anyhow!("cannot pull {uri}: {e}"))?;
    let manifest = image
        .manifest
        .ok_or_else(|| anyhow!("{uri}: the registry sent no manifest"))?;
    let [layer] = image.layers.as_slice() else {
        bail!(
            "{uri}: expected one wasm layer, found {}",
            image.layers.len()
        );
    };
    let expected = manifest
        .layers
        .first()
        .map(|l| l.digest.clone())
        .unwrap_or_default();
    let actual = digest(&layer.data);
    if actual != expected {
        bail!("{uri}: layer digest {actual} does not match the manifest's {expected}");
    }
    Ok(layer.data.to_vec())
}
