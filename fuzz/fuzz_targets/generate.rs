//! Spec bytes → load → resolve → check → generate (see `hookgen_conformance::fuzz::generate`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookgen_conformance::fuzz::generate(data));
