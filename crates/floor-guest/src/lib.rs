//! The cheapest possible policy: its `validate` cost is the host's cost of a waPC call with the
//! payload (copying it into the guest), which no policy can go below.
//!
//! Built with the `reject` feature it rejects every request instead: the floor of rejected
//! requests, whose answer costs the host more to handle (an AdmissionResponse with a status)
//! whatever the policy.

use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version);
}

#[cfg(not(feature = "reject"))]
const ANSWER: &[u8] = br#"{"accepted":true,"message":null,"code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;

// A message of the length the policies' rejections have.
#[cfg(feature = "reject")]
const ANSWER: &[u8] = br#"{"accepted":false,"message":"Pod tenant-a/web-1 is rejected by the floor module: it stands for a policy that rejects, so that rejections are compared with rejections","code":null,"mutated_object":null,"audit_annotations":null,"warnings":null}"#;

fn validate(_payload: &[u8]) -> CallResult {
    Ok(ANSWER.to_vec())
}

fn validate_settings(_payload: &[u8]) -> CallResult {
    Ok(br#"{"valid":true}"#.to_vec())
}

fn protocol_version(_payload: &[u8]) -> CallResult {
    Ok(br#""v1""#.to_vec())
}
