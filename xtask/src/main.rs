//! `cargo xtask`: the project's maintenance tasks (the cargo-xtask convention), kept out of the
//! kwctl-compatible runner: the suite benchmark and its instruction counting (`make bench`), the
//! soak (`make soak`) and the committed Artifact Hub packages (`make artifacthub`). The host,
//! the measurement and the scaffolding are the runner's, used through its library.

mod artifacthub;
mod bench;
mod soak;
mod suite;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "xtask",
    about = "Maintenance tasks of the Antrea Kubewarden policies"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Benchmarks every policy of a suite against the no-op floor module (`make bench`)
    Bench {
        /// Suite file (benches/suite.json)
        suite: PathBuf,
        /// Seconds of evaluations before each measurement
        #[arg(long = "warm-up-time", default_value_t = 0.2)]
        warm_up_time: f64,
        /// Seconds of measured evaluations per benchmark, cold and warm each
        #[arg(long = "measurement-time", default_value_t = 1.0)]
        measurement_time: f64,
        /// Where to write the JSON report
        #[arg(long = "json-output")]
        json_output: Option<PathBuf>,
        /// Skip counting instructions under callgrind (and so the budgets)
        #[arg(long = "no-instructions")]
        no_instructions: bool,
    },
    /// Counts the instructions of each cold evaluation of a suite; run by `bench` under
    /// `valgrind --tool=callgrind`
    #[command(hide = true)]
    CountInstructions {
        /// Suite file (benches/suite.json)
        suite: PathBuf,
    },
    /// Evaluates the suite's payloads round-robin against each policy in one process and reports
    /// resident memory before and after (`make soak`)
    Soak {
        /// Suite file (benches/suite.json)
        suite: PathBuf,
        /// Evaluations per policy
        #[arg(long, default_value_t = 100_000)]
        iterations: usize,
        /// Largest acceptable growth of resident memory, in MiB
        #[arg(long = "max-growth", default_value_t = 16)]
        max_growth: u64,
    },
    /// Writes artifacthub-pkg.yml in each policy folder, keeping createdAt while the version is
    /// unchanged (`make artifacthub`)
    Artifacthub {
        /// Policy folders (each with metadata.yml, README.md and questions-ui.yml)
        #[arg(required = true)]
        folders: Vec<PathBuf>,
    },
}

fn execute(task: Task) -> anyhow::Result<()> {
    match task {
        Task::Bench {
            suite,
            warm_up_time,
            measurement_time,
            json_output,
            no_instructions,
        } => bench::bench(
            &suite,
            (warm_up_time, measurement_time),
            !no_instructions,
            json_output.as_deref(),
        ),
        Task::CountInstructions { suite } => bench::count_instructions(&suite),
        Task::Soak {
            suite,
            iterations,
            max_growth,
        } => soak::soak(&suite, iterations, max_growth),
        Task::Artifacthub { folders } => artifacthub::write_all(&folders),
    }
}

fn main() -> ExitCode {
    match execute(Cli::parse().task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
