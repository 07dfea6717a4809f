//! The commands, one file each; [`execute`] runs the one the command line names.

mod annotate;
mod inspect;
mod push_pull;
mod run;

use anyhow::Result;

use crate::cli::{Cli, Command};

/// Runs one subcommand.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Bench {
            evaluation,
            warm_up_time,
            measurement_time,
            json,
        } => crate::bench::bench(&evaluation, warm_up_time, measurement_time, json),
        Command::Push {
            insecure,
            module,
            uri,
        } => push_pull::push(&module, &uri, insecure),
        Command::Pull {
            insecure,
            output_path,
            uri,
        } => push_pull::pull(&output_path, &uri, insecure),
        Command::Scaffold { what } => crate::scaffold::run(what),
        Command::Annotate {
            metadata_path,
            usage_path,
            output_path,
            wasm_path,
        } => annotate::annotate(
            &metadata_path,
            usage_path.as_deref(),
            &output_path,
            &wasm_path,
        ),
        Command::Inspect { output, uri } => inspect::inspect(&uri, output),
    }
}
