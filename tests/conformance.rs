//! One test per message example of every spec (written by `build.rs`): each example
//! deserializes into its generated type and serializes back unchanged, `decode` on its
//! channel picks its variant, and both the spec's schema and the schemars schema of the
//! generated type accept it.

include!(concat!(env!("OUT_DIR"), "/conformance_cases.rs"));
