//! Arbitrary bytes as the whole validate payload of the status-update policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = antrea_agent_status_updates::evaluate(data);
});
