//! Arbitrary bytes as the settings of the controller-placement policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = antrea_controller_placement::validate_settings(data);
});
