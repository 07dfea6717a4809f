//! Push and pull against a real OCI registry (the CNCF distribution registry from Debian's
//! `docker-registry` package) on 127.0.0.1 and a free port.

mod common;

use common::{runner, workspace};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

struct Registry {
    child: Child,
    address: String,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ready(address: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

/// Whether this is a CI run (`CI` set, as CI services and `.ci/run` do): there a missing
/// registry is a broken machine, not a reason to skip.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"))
}

fn start_registry() -> Option<Registry> {
    if !Path::new(REGISTRY_BINARY).exists() {
        assert!(
            !under_ci(),
            "{REGISTRY_BINARY} is not installed and CI is set: install docker-registry (.ci/run does) so push/pull is tested"
        );
        eprintln!("SKIPPED: {REGISTRY_BINARY} is not installed (apt-get install docker-registry); push/pull untested");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let dir = workspace().join(format!("target/registry-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
            dir.join("storage").display()
        ),
    )
    .unwrap();
    let child = Command::new(REGISTRY_BINARY)
        .args(["serve", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start docker-registry");
    let registry = Registry { child, address };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready(&registry.address) {
        assert!(
            Instant::now() < deadline,
            "the registry did not come up on {}",
            registry.address
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(registry)
}

#[test]
fn push_pull_and_run_from_a_registry() {
    let Some(registry) = start_registry() else {
        return;
    };
    let fixtures = [
        ("antrea-agent-status-updates", "pod-label-added.json", false),
        ("antrea-hostpath-guard", "antrea-agent-daemonset.json", true),
    ];
    for (policy, fixture, allowed) in fixtures {
        let module = workspace().join(format!("policies/{policy}/annotated-policy.wasm"));
        assert!(module.exists(), "build the policies first (make)");
        let uri = format!("registry://{}/antrea/{policy}:v0.1.0", registry.address);

        let output = runner(&["push", module.to_str().unwrap(), &uri]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let pushed = String::from_utf8(output.stdout).unwrap();
        assert!(
            pushed.starts_with(&format!(
                "Policy successfully pushed: registry://{}/antrea/{policy}@sha256:",
                registry.address
            )),
            "{pushed}"
        );

        let pulled = workspace().join(format!(
            "target/registry-test-{}/{policy}.wasm",
            std::process::id()
        ));
        let output = runner(&["pull", "-o", pulled.to_str().unwrap(), &uri]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let original = std::fs::read(&module).unwrap();
        assert_eq!(
            std::fs::read(&pulled).unwrap(),
            original,
            "pulled bytes differ"
        );
        let digest = String::from_utf8(output.stdout).unwrap();
        let expected_digest = {
            use sha2::Digest as _;
            sha2::Sha256::digest(&original)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        assert!(
            digest.contains(&format!("sha256:{expected_digest}")),
            "{digest}"
        );

        // The pushed manifest is immutable: pull it by digest too.
        let by_digest = pushed
            .trim()
            .trim_start_matches("Policy successfully pushed: ")
            .to_string();
        let request = workspace().join(format!("policies/{policy}/test_data/{fixture}"));
        for uri in [&uri, &by_digest] {
            let output = runner(&["run", "-r", request.to_str().unwrap(), uri]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let response: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(
                response["allowed"],
                serde_json::json!(allowed),
                "{response}"
            );
        }
    }
    let output = runner(&[
        "pull",
        "-o",
        "/dev/null",
        &format!("registry://{}/antrea/missing:v1", registry.address),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("Error: cannot pull"));
}
