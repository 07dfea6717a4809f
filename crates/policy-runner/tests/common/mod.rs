//! Helpers shared by the runner's integration tests.
#![allow(dead_code)]

pub mod crd;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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
