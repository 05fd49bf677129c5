//! Any text → the doc renderer (see `hookgen_conformance::fuzz::doc_text`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hookgen_conformance::fuzz::doc_text(data));
