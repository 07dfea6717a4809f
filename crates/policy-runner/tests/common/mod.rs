//! Helpers shared by the runner's integration tests.
#![allow(dead_code)]

pub mod crd;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The runner binary, started in the repository root with no standard input and no Docker
/// credentials.
pub fn runner_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_policy-runner"));
    command
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::null())
        .env("DOCKER_CONFIG", workspace().join("target/no-docker-config"));
    command
}

/// Runs the runner to completion.
pub fn runner(args: &[&str]) -> Output {
    runner_command(args).output().unwrap()
}

/// An annotated policy module of this repository, if it was built.
pub fn annotated(policy: &str) -> Option<PathBuf> {
    let path = workspace().join(format!("policies/{policy}/annotated-policy.wasm"));
    path.exists().then_some(path)
}

/// The test-only guest (crates/test-guest), built once per test binary.
pub fn test_guest() -> &'static Path {
    static GUEST: OnceLock<PathBuf> = OnceLock::new();
    GUEST.get_or_init(|| {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip1",
                "-p",
                "test-guest",
            ])
            .current_dir(workspace())
            .status()
            .expect("cannot run cargo to build the test guest");
        assert!(status.success(), "building the test guest failed");
        workspace().join("target/wasm32-wasip1/release/test_guest.wasm")
    })
}
