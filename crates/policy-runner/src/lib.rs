//! `policy-runner` as a library. The binary (`main.rs`) parses the command line and calls
//! [`commands::execute`]; the project's maintenance tasks (`xtask/`: the suite benchmark, the
//! soak, Artifact Hub packages) reuse the host, the measurement and the scaffolding from here.
//! Nothing here knows about the xtask: it depends on this crate, never the other way.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod host;
mod inputs;
mod manifest;
mod metadata;
mod registry;
pub mod request;
pub mod response;
pub mod scaffold;
