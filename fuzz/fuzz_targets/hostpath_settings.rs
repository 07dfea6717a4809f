//! Arbitrary bytes as the settings of the hostPath policy.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = antrea_hostpath_guard::validate_settings(data);
});
