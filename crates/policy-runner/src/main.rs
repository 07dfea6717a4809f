//! `policy-runner`: evaluates, annotates and inspects Kubewarden waPC policies the way `kwctl`
//! does, for machines where kwctl cannot be installed.

use std::process::ExitCode;

use clap::Parser;
use policy_runner::{cli, commands};

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
