//! Shared checks of the conformance tests: each takes data about one spec message and
//! asserts everything the project promises about it, reporting what failed and where.

use hookgen_runtime::DecodeError;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One message example of one spec, and the generated functions to check it with.
pub struct Example<M: 'static> {
    /// The message's name in the spec.
    pub message: &'static str,
    /// A concrete address of a channel that carries the message.
    pub address: &'static str,
    /// The example payload, as JSON text.
    pub payload: &'static str,
    /// The spec's own payload schema, as draft-07 JSON Schema text.
    pub spec_schema: &'static str,
    /// The generated `decode`.
    pub decode: fn(&str, &[u8]) -> Result<M, DecodeError>,
    /// The generated `Message::name`.
    pub message_name: fn(&M) -> Option<&'static str>,
}

/// Checks one example against its generated payload type `T` and its spec module:
/// typed round trip, `decode` picking the right variant, the spec's schema and the
/// schema schemars derives from `T` both accepting it.
pub fn check_example<T, M>(example: &Example<M>)
where
    T: DeserializeOwned + Serialize + JsonSchema,
    M: Serialize,
{
    let payload: Value = serde_json::from_str(example.payload).expect("example is JSON");
    let name = example.message;

    let typed: T = serde_json::from_str(example.payload)
        .unwrap_or_else(|e| panic!("{name}: example does not deserialize into its type: {e}"));
    let back = serde_json::to_value(&typed).expect("serializes");
    assert_eq!(
        back, payload,
        "{name}: typed round trip changed the example"
    );

    let decoded = (example.decode)(example.address, example.payload.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: decode({}) failed: {e}", example.address));
    assert_eq!(
        (example.message_name)(&decoded),
        Some(name),
        "{name}: decode picked the wrong variant"
    );
    let decoded_json = serde_json::to_value(&decoded).expect("serializes");
    assert_eq!(
        decoded_json, payload,
        "{name}: decoded message does not serialize back to the example"
    );

    let spec_schema: Value = serde_json::from_str(example.spec_schema).expect("schema is JSON");
    assert_valid(
        &spec_schema,
        &payload,
        &format!("{name}: the spec's schema"),
    );

    let derived = serde_json::to_value(schemars::schema_for!(T)).expect("schema serializes");
    assert_valid(
        &derived,
        &payload,
        &format!("{name}: the schemars schema of the generated type"),
    );
}

/// Asserts that `schema` accepts `instance`, listing every validation error otherwise.
pub fn assert_valid(schema: &Value, instance: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("{what} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} rejects the example:\n{}",
        errors.join("\n")
    );
}

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
