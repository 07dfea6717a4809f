//! Arbitrary bytes as the whole validate payload of the controller-placement policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = antrea_controller_placement::evaluate(data);
});
