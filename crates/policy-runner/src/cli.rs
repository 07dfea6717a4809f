//! Command-line interface, flag-compatible with the kwctl subcommands it mirrors: argument
//! declarations only (the commands are in `commands`, `bench` and `scaffold`).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "policy-runner",
    version,
    about = "kwctl-compatible local runner for Kubewarden waPC policies"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What `run` and `bench` evaluate.
#[derive(clap::Args)]
pub struct EvaluationArgs {
    /// File containing the AdmissionRequest or AdmissionReview; `-` reads standard input
    #[arg(short = 'r', long = "request-path")]
    pub request_path: String,
    /// File containing the settings (YAML or JSON)
    #[arg(short = 's', long = "settings-path", conflicts_with = "settings_json")]
    pub settings_path: Option<PathBuf>,
    /// Settings as a JSON string
    #[arg(long = "settings-json")]
    pub settings_json: Option<String>,
    /// Longest a single policy call may run, in seconds (policy-server's default)
    #[arg(long = "execution-timeout", default_value_t = 2.0)]
    pub execution_timeout: f64,
    /// Largest linear memory the module may use, in MiB
    #[arg(long = "memory-limit", default_value_t = 1024)]
    pub memory_limit: usize,
    /// Policy module (a path, a file:// or registry:// URI), or a YAML file of Kubewarden
    /// policies (each evaluated in turn with its own module and settings, like kwctl)
    pub uri: String,
}

/// `inspect`'s output formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum InspectOutput {
    Pretty,
    Yaml,
    Json,
}

/// What `scaffold` generates.
#[derive(Subcommand)]
pub enum ScaffoldCommand {
    /// Prints a ClusterAdmissionPolicy or AdmissionPolicy for an annotated module
    Manifest {
        /// ClusterAdmissionPolicy or AdmissionPolicy
        #[arg(short = 't', long = "type")]
        kind: String,
        /// Settings as a JSON string
        #[arg(long = "settings-json")]
        settings_json: Option<String>,
        /// Policy name (default: the policy title annotation)
        #[arg(long)]
        title: Option<String>,
        /// The annotated module: a path or a file:// URI
        uri: String,
    },
    /// Prints artifacthub-pkg.yml for a policy, from its metadata.yml and README
    Artifacthub {
        /// Metadata file (YAML)
        #[arg(short = 'm', long = "metadata-path")]
        metadata_path: PathBuf,
        /// README embedded as the package's readme
        #[arg(short = 'u', long = "usage-path", default_value = "README.md")]
        usage_path: PathBuf,
        /// The Rancher UI form (questions-ui.yml), as the kubewarden/questions-ui annotation
        #[arg(short = 'q', long = "questions-path")]
        questions_path: Option<PathBuf>,
        /// Version (default: the io.kubewarden.policy.version annotation)
        #[arg(long)]
        version: Option<String>,
    },
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Evaluates a request against a policy and prints the AdmissionResponse
    Run(EvaluationArgs),
    /// Measures guest evaluation time with the payload prepared once, like `kwctl bench`
    Bench {
        #[command(flatten)]
        evaluation: EvaluationArgs,
        /// Seconds of evaluations before measuring
        #[arg(long = "warm-up-time", default_value_t = 1.0)]
        warm_up_time: f64,
        /// Seconds of measured evaluations
        #[arg(long = "measurement-time", default_value_t = 3.0)]
        measurement_time: f64,
        /// Print one JSON object instead of a text summary
        #[arg(long)]
        json: bool,
    },
    /// Generates Kubernetes manifests and Artifact Hub files, like `kwctl scaffold`
    Scaffold {
        #[command(subcommand)]
        what: ScaffoldCommand,
    },
    /// Pushes a policy module to an OCI registry, like `kwctl push`
    Push {
        /// Allow plain HTTP to a registry that is not on a loopback address
        #[arg(long)]
        insecure: bool,
        /// The module to push
        module: PathBuf,
        /// registry://HOST[:PORT]/REPOSITORY:TAG
        uri: String,
    },
    /// Pulls a policy module from an OCI registry, like `kwctl pull`
    Pull {
        /// Allow plain HTTP to a registry that is not on a loopback address
        #[arg(long)]
        insecure: bool,
        /// Where to write the module
        #[arg(short = 'o', long = "output-path")]
        output_path: PathBuf,
        /// registry://HOST[:PORT]/REPOSITORY:TAG
        uri: String,
    },
    /// Embeds metadata into a policy module, like `kwctl annotate`
    Annotate {
        /// Metadata file (YAML)
        #[arg(short = 'm', long = "metadata-path")]
        metadata_path: PathBuf,
        /// Usage documentation (markdown), stored as io.kubewarden.policy.usage
        #[arg(short = 'u', long = "usage-path")]
        usage_path: Option<PathBuf>,
        /// Where to write the annotated module
        #[arg(short = 'o', long = "output-path")]
        output_path: PathBuf,
        /// Module to annotate
        wasm_path: PathBuf,
    },
    /// Prints the metadata embedded in a policy module
    Inspect {
        /// Output format
        #[arg(short = 'o', long = "output", value_enum, default_value = "pretty")]
        output: InspectOutput,
        /// Policy module: a path or a file:// URI
        uri: String,
    },
}
