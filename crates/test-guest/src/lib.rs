//! Test-only waPC guest. It is never shipped: the runner's tests use it to exercise every
//! path of the host (accept, reject, mutate, log, host capability, trap, endless loop,
//! unbounded allocation). The behaviour is picked by the `behaviour` setting.

use kubewarden_policy_sdk::{
    accept_request, mutate_request, protocol_version_guest, reject_request,
};
use serde::Deserialize;
use wapc_guest::prelude::*;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Settings {
    #[serde(default)]
    behaviour: String,
}

#[derive(Deserialize)]
struct Payload {
    request: serde_json::Value,
    #[serde(default)]
    settings: Settings,
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function("protocol_version", protocol_version_guest);
}

fn validate_settings(payload: &[u8]) -> CallResult {
    let settings: Settings = serde_json::from_slice(payload)?;
    let response = if settings.behaviour == "invalid-settings" {
        serde_json::json!({"valid": false, "message": "behaviour invalid-settings is never valid"})
    } else {
        serde_json::json!({"valid": true})
    };
    Ok(serde_json::to_vec(&response)?)
}

fn validate(payload: &[u8]) -> CallResult {
    let payload: Payload = serde_json::from_slice(payload)?;
    match payload.settings.behaviour.as_str() {
        "reject" => reject_request(
            Some("rejected by test guest".to_string()),
            Some(403),
            None,
            None,
        ),
        "mutate" => {
            let mut object = payload.request["object"].clone();
            object["metadata"]["labels"]["mutated"] = serde_json::Value::from("true");
            mutate_request(object)
        }
        "log" => {
            let event =
                serde_json::json!({"level": "info", "message": "hello from the test guest"});
            host_call("kubewarden", "tracing", "log", &serde_json::to_vec(&event)?)?;
            accept_request()
        }
        "host-call" => {
            host_call("kubewarden", "kubernetes", "list_resources_all", b"{}")?;
            accept_request()
        }
        "echo" => {
            // Returns the request the policy received, so tests can see what the host sent.
            let echo = serde_json::to_string(&payload.request)?;
            reject_request(Some(echo), None, None, None)
        }
        "trap" => panic!("test guest traps on purpose"),
        "loop" => {
            let mut counter: u64 = 0;
            loop {
                counter = std::hint::black_box(counter.wrapping_add(1));
            }
        }
        "allocate" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 16 * 1024 * 1024]);
                std::hint::black_box(&hoard);
            }
        }
        "bad-response" => Ok(b"this is not a ValidationResponse".to_vec()),
        _ => accept_request(),
    }
}
