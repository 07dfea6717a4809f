//! Arbitrary bytes as the settings of the status-update policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = antrea_agent_status_updates::validate_settings(data);
});
