//! Signature header, id, timestamp and body → verify and replay key under every scheme
//! (see `hookgen_conformance::fuzz::signature`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookgen_conformance::fuzz::signature(data));
