//! `policy-runner`: evaluates, annotates and inspects Kubewarden waPC policies the way `kwctl`
//! does, for machines where kwctl cannot be installed.

mod bench;
mod cli;
mod commands;
mod host;
mod inputs;
mod manifest;
mod metadata;
mod registry;
mod request;
mod response;
mod scaffold;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, like kwctl's `Error: …`, with the causes joined by ": ".
            let message = format!("{error:#}");
            let one_line: Vec<&str> = message
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("Error: {}", one_line.join(" "));
            ExitCode::FAILURE
        }
    }
}
