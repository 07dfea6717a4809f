//! Command-line interface, flag-compatible with the kwctl subcommands it mirrors.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::host::{CompiledModule, Limits};
use crate::metadata::{self, Metadata};
use crate::request::build_admission_request;

#[derive(Parser)]
#[command(
    name = "policy-runner",
    version,
    about = "kwctl-compatible local runner for Kubewarden waPC policies"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
pub(crate) struct EvaluationArgs {
    /// File containing the AdmissionRequest or AdmissionReview; `-` reads standard input
    #[arg(short = 'r', long = "request-path")]
    pub(crate) request_path: String,
    /// File containing the settings (YAML or JSON)
    #[arg(short = 's', long = "settings-path", conflicts_with = "settings_json")]
    pub(crate) settings_path: Option<PathBuf>,
    /// Settings as a JSON string
    #[arg(long = "settings-json")]
    pub(crate) settings_json: Option<String>,
    /// Longest a single policy call may run, in seconds (policy-server's default)
    #[arg(long = "execution-timeout", default_value_t = 2.0)]
    pub(crate) execution_timeout: f64,
    /// Largest linear memory the module may use, in MiB
    #[arg(long = "memory-limit", default_value_t = 1024)]
    pub(crate) memory_limit: usize,
    /// Policy module: a path or a file:// URI
    pub(crate) uri: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum InspectOutput {
    Pretty,
    Yaml,
    Json,
}

#[derive(Subcommand)]
enum ScaffoldCommand {
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
        /// Version (default: the io.kubewarden.policy.version annotation)
        #[arg(long)]
        version: Option<String>,
        /// An existing artifacthub-pkg.yml whose createdAt is kept when the version is unchanged
        #[arg(long)]
        previous: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Command {
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
    /// Benchmarks every policy of a suite against the no-op floor module (`make bench`)
    BenchSuite {
        /// Suite file (benches/suite.json)
        suite: PathBuf,
        /// Seconds of evaluations before each measurement
        #[arg(long = "warm-up-time", default_value_t = 0.5)]
        warm_up_time: f64,
        /// Seconds of measured evaluations per benchmark
        #[arg(long = "measurement-time", default_value_t = 2.0)]
        measurement_time: f64,
        /// Where to write the JSON report
        #[arg(long = "json-output")]
        json_output: Option<PathBuf>,
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

/// Runs one subcommand.
pub fn execute(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(&args),
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
        } => {
            let bytes = std::fs::read(&module)
                .with_context(|| format!("cannot read policy module {}", module.display()))?;
            let pushed = crate::registry::push(&bytes, &uri, insecure)?;
            println!("Policy successfully pushed: {pushed}");
            Ok(())
        }
        Command::Pull {
            insecure,
            output_path,
            uri,
        } => {
            let bytes = crate::registry::pull(&uri, insecure)?;
            std::fs::write(&output_path, &bytes)
                .with_context(|| format!("cannot write {}", output_path.display()))?;
            println!(
                "Policy successfully pulled: {} ({})",
                output_path.display(),
                crate::registry::digest(&bytes)
            );
            Ok(())
        }
        Command::Scaffold { what } => match what {
            ScaffoldCommand::Manifest {
                kind,
                settings_json,
                title,
                uri,
            } => crate::scaffold::manifest(&uri, &kind, settings_json.as_deref(), title.as_deref()),
            ScaffoldCommand::Artifacthub {
                metadata_path,
                usage_path,
                version,
                previous,
            } => {
                let now = crate::scaffold::now_rfc3339();
                print!(
                    "{}",
                    crate::scaffold::artifacthub(
                        &metadata_path,
                        &usage_path,
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
        } => annotate(
            &metadata_path,
            usage_path.as_deref(),
            &output_path,
            &wasm_path,
        ),
        Command::Inspect { output, uri } => inspect(&uri, output),
    }
}

fn module_path(uri: &str) -> Result<PathBuf> {
    if let Some(path) = uri.strip_prefix("file://") {
        return Ok(PathBuf::from(path));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        bail!("unsupported policy URI scheme {scheme}://: use a path, file:// or registry://");
    }
    Ok(PathBuf::from(uri))
}

pub(crate) fn read_module(uri: &str) -> Result<Vec<u8>> {
    if uri.starts_with("registry://") {
        return crate::registry::pull(uri, false);
    }
    let path = module_path(uri)?;
    std::fs::read(&path).with_context(|| format!("cannot read policy module {}", path.display()))
}

pub(crate) fn read_request(path: &str) -> Result<serde_json::Value> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read request from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read request file {path}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("request {path} is not valid JSON"))
}

pub(crate) fn read_settings(args: &EvaluationArgs) -> Result<serde_json::Value> {
    let settings: serde_json::Value = if let Some(json) = &args.settings_json {
        serde_json::from_str(json).context("--settings-json is not valid JSON")?
    } else if let Some(path) = &args.settings_path {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read settings file {}", path.display()))?;
        serde_yaml::from_str(&text).with_context(|| {
            format!("settings file {} is not valid YAML or JSON", path.display())
        })?
    } else {
        serde_json::Value::Object(Default::default())
    };
    match settings {
        serde_json::Value::Object(_) => Ok(settings),
        // An empty settings file means no settings.
        serde_json::Value::Null => Ok(serde_json::Value::Object(Default::default())),
        _ => bail!("settings must be a mapping of setting names to values"),
    }
}

pub(crate) fn limits(args: &EvaluationArgs) -> Result<Limits> {
    if !(args.execution_timeout.is_finite() && args.execution_timeout > 0.0) {
        bail!("--execution-timeout must be a positive number of seconds");
    }
    Ok(Limits {
        execution_timeout: Duration::from_secs_f64(args.execution_timeout),
        max_memory_bytes: args
            .memory_limit
            .checked_mul(1024 * 1024)
            .ok_or_else(|| anyhow!("--memory-limit is too large"))?,
    })
}

fn run(args: &EvaluationArgs) -> Result<()> {
    let request = build_admission_request(read_request(&args.request_path)?)?;
    let settings = read_settings(args)?;
    let bytes = read_module(&args.uri)?;
    let policy = CompiledModule::compile(&bytes)
        .with_context(|| format!("cannot load policy {}", args.uri))?
        .load(limits(args)?, &args.uri)?;
    policy.require_valid_settings(&settings)?;
    let response = policy.validate(&request, &settings);
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}

fn annotate(
    metadata_path: &Path,
    usage_path: Option<&Path>,
    output_path: &Path,
    wasm_path: &Path,
) -> Result<()> {
    let text = std::fs::read_to_string(metadata_path)
        .with_context(|| format!("cannot read metadata file {}", metadata_path.display()))?;
    let mut metadata: Metadata = serde_yaml::from_str(&text)
        .with_context(|| format!("cannot parse metadata file {}", metadata_path.display()))?;
    let module = std::fs::read(wasm_path)
        .with_context(|| format!("cannot read policy module {}", wasm_path.display()))?;
    let policy = CompiledModule::compile(&module)
        .and_then(|compiled| compiled.instantiate(Limits::default()))
        .with_context(|| format!("cannot load policy {}", wasm_path.display()))?;
    metadata.protocol_version = Some(
        policy
            .protocol_version()
            .context("Cannot compute ProtocolVersion used by the policy")?,
    );
    if let Some(usage_path) = usage_path {
        let usage = std::fs::read_to_string(usage_path)
            .with_context(|| format!("cannot read usage file {}", usage_path.display()))?;
        metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(metadata::ANNOTATION_USAGE.to_string(), usage);
    }
    metadata.validate().context("Metadata is invalid")?;
    let annotated = metadata::embed_metadata(&module, &metadata)?;
    std::fs::write(output_path, annotated)
        .with_context(|| format!("cannot write {}", output_path.display()))?;
    Ok(())
}

fn inspect(uri: &str, output: InspectOutput) -> Result<()> {
    let module = read_module(uri)?;
    let metadata = metadata::read_metadata(&module)?
        .ok_or_else(|| anyhow!("No Kubewarden metadata found inside of '{uri}'"))?;
    match output {
        InspectOutput::Yaml => print!("{}", serde_yaml::to_string(&metadata)?),
        InspectOutput::Json => println!("{}", serde_json::to_string_pretty(&metadata)?),
        InspectOutput::Pretty => print!("{}", pretty(&metadata)?),
    }
    Ok(())
}

fn pretty(metadata: &Metadata) -> Result<String> {
    use std::fmt::Write;
    let annotations = metadata.annotations.clone().unwrap_or_default();
    let annotation = |key: &str| annotations.get(key).cloned().unwrap_or_default();
    let mut out = String::new();
    writeln!(out, "Details")?;
    for (label, key) in [
        ("title", "io.kubewarden.policy.title"),
        ("description", "io.kubewarden.policy.description"),
        ("author", "io.kubewarden.policy.author"),
        ("url", "io.kubewarden.policy.url"),
        ("source", "io.kubewarden.policy.source"),
        ("license", "io.kubewarden.policy.license"),
    ] {
        writeln!(out, "{:<20}{}", format!("{label}:"), annotation(key))?;
    }
    writeln!(out, "{:<20}{}", "mutating:", metadata.mutating)?;
    writeln!(
        out,
        "background audit support: {}",
        metadata.background_audit
    )?;
    writeln!(
        out,
        "{:<20}{}",
        "context aware:",
        !metadata.context_aware_resources.is_empty()
    )?;
    writeln!(out, "{:<20}{}", "execution mode:", metadata.execution_mode)?;
    if let Some(version) = &metadata.protocol_version {
        writeln!(out, "{:<20}{}", "protocol version:", version)?;
    }
    writeln!(out, "\nAnnotations")?;
    for (key, value) in annotations.iter().filter(|(k, _)| {
        !k.starts_with("io.kubewarden.policy.") || k.as_str() == "io.kubewarden.policy.version"
    }) {
        writeln!(out, "{key} {value}")?;
    }
    writeln!(out, "\nRules")?;
    writeln!(
        out,
        "{}",
        serde_yaml::to_string(&metadata.rules)?.trim_end()
    )?;
    if let Some(usage) = annotations.get(metadata::ANNOTATION_USAGE) {
        writeln!(out, "\nUsage\n{usage}")?;
    }
    Ok(out)
}
