//! Raw body + header → verify, route, decode (see `hookgen_conformance::fuzz::receive`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookgen_conformance::fuzz::receive(data));
