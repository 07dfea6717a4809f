//! The commands, one file each; [`execute`] runs the one the command line names.

mod annotate;
mod inspect;
mod push_pull;
mod run;

use anyhow::Result;

use crate::cli::{Cli, Command, ScaffoldCommand};

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
        Command::BenchSuite {
            suite,
            warm_up_time,
            measurement_time,
            json_output,
        } => crate::bench::bench_suite(
            &suite,
            warm_up_time,
            measurement_time,
            json_output.as_deref(),
        ),
        Command::Soak {
            suite,
            iterations,
            max_growth,
        } => crate::bench::soak(&suite, iterations, max_growth),
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
        Command::Scaffold { what } => match what {
            ScaffoldCommand::Manifest {
                kind,
                settings_json,
                title,
                uri,
            } => crate::scaffold::manifest::manifest(
                &uri,
                &kind,
                settings_json.as_deref(),
                title.as_deref(),
            ),
            ScaffoldCommand::Artifacthub {
                metadata_path,
                usage_path,
                questions_path,
                version,
                previous,
            } => {
                let now = crate::scaffold::artifacthub::now_rfc3339();
                print!(
                    "{}",
                    crate::scaffold::artifacthub::artifacthub(
                        &metadata_path,
                        &usage_path,
                        questions_path.as_deref(),
                        version.as_deref(),
                        previous.as_deref(),
                        &now
                    )?
                );
                Ok(())
            }
        },
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
