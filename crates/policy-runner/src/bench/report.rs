//! What `bench` measured.

use serde::Serialize;

/// Timing of repeated evaluations.
#[derive(Serialize, Debug, Clone, Copy)]
pub struct Stats {
    pub samples: usize,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p90_ns: u64,
    /// Minor page faults per evaluation (Linux): pages of fresh memory touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minor_faults: Option<f64>,
}

/// Evaluation time of one policy on one request.
#[derive(Serialize, Debug)]
pub struct BenchReport {
    pub policy: String,
    pub request: String,
    pub allowed: bool,
    pub module_bytes: usize,
    pub compile_ms: f64,
    /// A reused instance (what `kwctl bench` measures).
    #[serde(flatten)]
    pub stats: Stats,
    /// A fresh instance per evaluation (what policy-server pays per request).
    pub cold: Stats,
}
