//! Property tests over every message of every spec (written by `build.rs`): values drawn
//! from the payload schema — optional fields present and absent, unknown extra fields,
//! unknown enum values — always decode as their message and round-trip unchanged; values
//! missing a `required` field or holding a field of the wrong `type` are rejected.
//! `PROPTEST_CASES` sets the number of values per test (default 256).

include!(concat!(env!("OUT_DIR"), "/property_cases.rs"));
