//! Loads a waPC policy module into wasmtime, the engine stack policy-server uses, with an
//! execution deadline and a memory cap so a runaway module cannot hang or exhaust the machine.

use anyhow::{anyhow, bail, Context, Result};
use kubewarden_policy_sdk::metadata::ProtocolVersion;
use kubewarden_policy_sdk::response::ValidationResponse;
use kubewarden_policy_sdk::settings::SettingsValidationResponse;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wapc::WapcHost;
use wasmtime_provider::wasmtime;
use wasmtime_provider::{
    EpochDeadlines, ResourceLimits, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre,
};

use crate::request::AdmissionRequest;
use crate::response::AdmissionResponse;

/// One epoch tick; deadlines are expressed as a number of ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits applied to every evaluation.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest a single guest call (and the module's initialisation) may run.
    pub execution_timeout: Duration,
    /// Largest linear memory the module may grow to, in bytes.
    pub max_memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // policy-server's default policy timeout
            execution_timeout: Duration::from_secs(2),
            max_memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// A compiled module, ready to be instantiated many times (compile once, like policy-server).
pub struct CompiledModule {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
}

impl CompiledModule {
    /// Compiles the module; the bytes must be a WebAssembly binary.
    pub fn compile(bytes: &[u8]) -> Result<Self> {
        // wasmtime would also accept the text format; a policy is always a binary module.
        if !bytes.starts_with(b"\0asm") {
            bail!("not a valid WebAssembly module: the file does not start with the \\0asm magic number");
        }
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        if std::env::var_os("PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = wasmtime::Engine::new(&config).map_err(|e| anyhow!("{e}"))?;
        let module = wasmtime::Module::new(&engine, bytes)
            .map_err(|e| anyhow!("not a valid WebAssembly module: {e}"))?;
        Ok(CompiledModule { engine, module })
    }

    /// Instantiates the module as a waPC guest. Log records from the policy go to stderr;
    /// every other host capability is refused.
    pub fn instantiate(&self, limits: Limits) -> Result<Policy> {
        let ticks = (limits.execution_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        let provider = WasmtimeEngineProviderBuilder::new()
            .engine(self.engine.clone())
            .module(self.module.clone())
            .enable_epoch_interruptions(EpochDeadlines {
                wapc_init: ticks,
                wapc_func: ticks,
            })
            .enable_resource_limits(ResourceLimits {
                max_memory_size: Some(limits.max_memory_bytes),
                max_table_elements: Some(100_000),
            })
            .build()
            .map_err(|e| anyhow!("{e}"))?;
        let ticker = EpochTicker::start(self.engine.clone());
        let host = WapcHost::new(Box::new(provider), Some(Box::new(host_callback)))
            .map_err(|e| anyhow!("not a Kubewarden waPC policy: {e}"))?;
        Ok(Policy {
            host,
            _ticker: ticker,
        })
    }
}

impl CompiledModule {
    /// Instantiates the module and checks that it answers `protocol_version`, as kwctl does
    /// before evaluating; `label` names the module in errors.
    pub fn load(&self, limits: Limits, label: &str) -> Result<Policy> {
        let policy = self
            .instantiate(limits)
            .with_context(|| format!("cannot load policy {label}"))?;
        policy.protocol_version().with_context(|| {
            format!("cannot load policy {label}: Cannot compute ProtocolVersion used by the policy")
        })?;
        Ok(policy)
    }
}

impl CompiledModule {
    /// Links the module once for many fresh instances, as policy-evaluator's `StackPre` does
    /// (engine and module only: policy-server sets no memory limit on its stores).
    pub fn pre_link(&self, limits: Limits) -> Result<PreLinked> {
        let pre = WasmtimeEngineProviderBuilder::new()
            .engine(self.engine.clone())
            .module(self.module.clone())
            .build_pre()
            .map_err(|e| anyhow!("{e}"))?;
        let ticks = (limits.execution_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        Ok(PreLinked { pre, ticks })
    }
}

/// A module linked once, instantiated afresh for every evaluation: what policy-server does
/// for every request (`PolicyEvaluatorPre::rehydrate`, then one call).
pub struct PreLinked {
    pre: WasmtimeEngineProviderPre,
    ticks: u64,
}

impl PreLinked {
    /// A new store and instance, the waPC start-up (`_start` when exported, `wapc_init`), one
    /// `validate` call with the payload, and the instance dropped: one request's guest cost.
    /// The epoch only advances while a [`Policy`] of the same module lives (its ticker).
    pub fn evaluate_cold(&self, payload: &[u8]) -> Result<Vec<u8>> {
        let provider = self
            .pre
            .rehydrate(Some(EpochDeadlines {
                wapc_init: self.ticks,
                wapc_func: self.ticks,
            }))
            .map_err(|e| anyhow!("{e}"))?;
        let host = WapcHost::new(Box::new(provider), Some(Box::new(host_callback)))
            .map_err(|e| anyhow!("not a Kubewarden waPC policy: {e}"))?;
        host.call("validate", payload).map_err(|e| anyhow!("{e}"))
    }
}

/// Advances the engine's epoch while a policy is alive, so deadlines fire.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: wasmtime::Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        std::thread::spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        });
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn host_callback(
    _id: u64,
    binding: &str,
    namespace: &str,
    operation: &str,
    payload: &[u8],
) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    match (binding, namespace, operation) {
        ("kubewarden", "tracing", "log") => {
            eprintln!("{}", String::from_utf8_lossy(payload));
            Ok(Vec::new())
        }
        _ => Err(format!(
            "host capability {binding}/{namespace}/{operation} is not available: policy-runner evaluates policies without a cluster or network"
        )
        .into()),
    }
}

/// An instantiated policy.
pub struct Policy {
    host: WapcHost,
    _ticker: EpochTicker,
}

impl Policy {
    /// Asks the module which waPC protocol it speaks.
    pub fn protocol_version(&self) -> Result<ProtocolVersion> {
        let answer = self
            .host
            .call("protocol_version", &[])
            .map_err(|e| anyhow!("{e}"))?;
        ProtocolVersion::try_from(answer).map_err(|e| anyhow!("{e}"))
    }

    /// Calls `validate_settings`, reporting guest failures as invalid settings like policy-evaluator.
    pub fn validate_settings(&self, settings: &serde_json::Value) -> SettingsValidationResponse {
        let payload = serde_json::to_vec(settings).unwrap_or_default();
        match self.host.call("validate_settings", &payload) {
            Ok(answer) => {
                serde_json::from_slice(&answer).unwrap_or_else(|e| SettingsValidationResponse {
                    valid: false,
                    message: Some(format!("error: {e:?}")),
                })
            }
            Err(e) => SettingsValidationResponse {
                valid: false,
                message: Some(format!(
                    "Error invoking settings validation callback: {e:?}"
                )),
            },
        }
    }

    /// Validates the settings, failing with kwctl's message when they are not valid.
    pub fn require_valid_settings(&self, settings: &serde_json::Value) -> Result<()> {
        let validation = self.validate_settings(settings);
        if !validation.valid {
            bail!(
                "Provided settings are not valid: {:?}",
                validation.message.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Serialises the `validate` payload once; benchmarks reuse it.
    pub fn validate_payload(
        request: &AdmissionRequest,
        settings: &serde_json::Value,
    ) -> Result<Vec<u8>> {
        serde_json::to_vec(&serde_json::json!({"request": request, "settings": settings}))
            .context("cannot serialize validation params")
    }

    /// Calls `validate` with a prepared payload and returns the raw guest answer.
    pub fn call_validate(&self, payload: &[u8]) -> Result<Vec<u8>> {
        self.host
            .call("validate", payload)
            .map_err(|e| anyhow!("{e}"))
    }

    /// Evaluates a request and builds the AdmissionResponse; guest failures become a 500.
    pub fn validate(
        &self,
        request: &AdmissionRequest,
        settings: &serde_json::Value,
    ) -> AdmissionResponse {
        let uid = request.uid.clone();
        let payload = match Self::validate_payload(request, settings) {
            Ok(payload) => payload,
            Err(e) => return AdmissionResponse::internal_server_error(uid, format!("{e:#}")),
        };
        let answer = match self.call_validate(&payload) {
            Ok(answer) => answer,
            Err(e) => return AdmissionResponse::internal_server_error(uid, e.to_string()),
        };
        let response = match serde_json::from_slice::<ValidationResponse>(&answer) {
            Ok(response) => response,
            Err(e) => {
                return AdmissionResponse::internal_server_error(
                    uid,
                    format!("cannot deserialize policy response: {e}"),
                )
            }
        };
        let object = request.object.as_ref().map(|raw| &raw.0);
        AdmissionResponse::from_validation_response(uid.clone(), object, response)
            .unwrap_or_else(|e| AdmissionResponse::internal_server_error(uid, e.to_string()))
    }
}
