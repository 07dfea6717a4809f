//! What every policy of this repository shares, like kubewarden/policies'
//! `criteria_policy_base`: a policy is a pure `evaluate` function of the validate payload and a
//! `Settings` type, and [`register_policy!`] turns them into a Kubewarden module.
//!
//! ```ignore
//! policy_glue::register_policy!(evaluate: evaluate, settings: Settings);
//! ```
//!
//! The modules, from the payload up:
//! - [`payload`]: the `validate` payload's framing (`request` and `settings`, in policy-server's
//!   member orders), read from both ends with json-scan;
//! - [`request`]: the request's members every policy reads, and [`RequestError`], the rejections
//!   they share;
//! - [`workload`]: where each kind keeps its pod spec, and what a pod spec runs as;
//! - [`identity`]: the namespaced ServiceAccounts settings name;
//! - [`settings`]: settings validated when loaded, and parsed from a request when needed;
//! - [`answer`]: verdicts, answered as Kubewarden validation responses;
//! - `reference` (feature `reference`): the payload read the plain way, for the policies'
//!   reference implementations.

#![warn(missing_docs)]

pub mod answer;
pub mod identity;
pub mod payload;
pub mod request;
pub mod settings;
pub mod workload;

#[cfg(feature = "test-support")]
pub mod questions;
#[cfg(any(test, feature = "reference"))]
pub mod reference;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;

pub use answer::{accepted, mutated, rejected, respond, IntoVerdict, Verdict, ACCEPTED};
pub use identity::NamespacedServiceAccount;
pub use request::{display_name, string, Request, RequestError, Target};
pub use settings::{validate_settings, LazySettings};

#[doc(hidden)]
pub use kubewarden_policy_sdk;
#[doc(hidden)]
pub use wapc_guest;

/// Emits a policy's waPC entry point, `wapc_init`, registering `validate` (the policy's
/// `evaluate`, answered through [`respond`]), `validate_settings` (through
/// [`validate_settings`] with the policy's `Settings`) and `protocol_version`; and a public
/// `validate_settings` function for the policy's tests and fuzz targets.
#[macro_export]
macro_rules! register_policy {
    (evaluate: $evaluate:path, settings: $settings:ty $(,)?) => {
        // Exported from the WebAssembly module only: natively, several policies link into one
        // test or fuzz binary.
        #[cfg(target_arch = "wasm32")]
        #[unsafe(no_mangle)]
        pub extern "C" fn wapc_init() {
            $crate::wapc_guest::register_function("validate", |payload: &[u8]| {
                $crate::respond($evaluate(payload))
            });
            $crate::wapc_guest::register_function("validate_settings", validate_settings);
            $crate::wapc_guest::register_function(
                "protocol_version",
                $crate::kubewarden_policy_sdk::protocol_version_guest,
            );
        }

        /// Validates a settings document (see [`policy_glue::validate_settings`]).
        pub fn validate_settings(payload: &[u8]) -> $crate::wapc_guest::CallResult {
            $crate::validate_settings::<$settings>(payload)
        }
    };
}
