//! `push`, `pull` and `registry://` URIs: policies as OCI artifacts with Kubewarden's media types
//! (wasm config and layer), as kwctl and policy-server store and fetch them.

use anyhow::{anyhow, bail, Context, Result};
use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::manifest::{WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};

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
/// `~/.docker/config.json`), as Kubewarden's policy-fetcher reads them: `auths` entries (with
/// Docker Hub's key spellings), `identitytoken`, `credsStore` and `credHelpers`. Never from
/// arguments, which end up in shell history.
fn auth(registry: &str) -> Result<RegistryAuth> {
    use docker_credential::{CredentialRetrievalError, DockerCredential};
    match docker_credential::get_credential(registry) {
        Ok(DockerCredential::UsernamePassword(user, password)) => {
            Ok(RegistryAuth::Basic(user, password))
        }
        Ok(DockerCredential::IdentityToken(token)) => Ok(RegistryAuth::Bearer(token)),
        Err(
            CredentialRetrievalError::ConfigNotFound
            | CredentialRetrievalError::ConfigReadError
            | CredentialRetrievalError::NoCredentialConfigured,
        ) => Ok(RegistryAuth::Anonymous),
        Err(e) => Err(anyhow!("cannot read the credentials for {registry}: {e}")),
    }
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

/// Pulls a module; oci-client checks its bytes against the digest the manifest gives.
pub fn pull(uri: &str, insecure: bool) -> Result<Vec<u8>> {
    let reference = reference(uri)?;
    let client = client(&reference, insecure);
    let auth = auth(reference.resolve_registry())?;
    let image = runtime()?
        .block_on(client.pull(&reference, &auth, vec![WASM_LAYER_MEDIA_TYPE]))
        .map_err(|e| anyhow!("cannot pull {uri}: {e}"))?;
    let [layer] = image.layers.as_slice() else {
        bail!(
            "{uri}: expected one wasm layer, found {}",
            image.layers.len()
        );
    };
    Ok(layer.data.to_vec())
}
