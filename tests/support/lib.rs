//! Shared checks of the conformance tests: each takes data about one spec message and
//! asserts everything the project promises about it, reporting what failed and where.

pub mod docs;
pub mod draw;
pub mod fuzz;
pub mod hostile;
pub mod redis;

/// The shared corpus: `$HOOKGEN_CORPUS`, else `../shared/corpus` beside the project.
pub fn corpus_dir() -> std::path::PathBuf {
    std::env::var_os("HOOKGEN_CORPUS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
        std::path::PathBuf::from,
    )
}

use hookgen_runtime::{DecodeError, Headers};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
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
    /// The spec's own payload schema.
    pub spec_schema: SpecSchema,
    /// The headers a delivery of the message carries for decoding (an event header).
    pub headers: &'static [(&'static str, &'static str)],
    /// The generated `decode_request`.
    pub decode: Decode<M>,
    /// The generated `Message::name`.
    pub message_name: fn(&M) -> Option<&'static str>,
}

/// A payload schema of a spec: the spec as a draft-07 schema (its text, shared by every
/// schema of the spec: GitHub's is 5 MB) and the `$ref` to the payload in it.
pub struct SpecSchema {
    /// The spec as a draft-07 schema, without a root schema.
    pub document: &'static str,
    /// The `$ref` that points at the payload schema.
    pub reference: &'static str,
}

impl SpecSchema {
    /// The payload schema: the document with its root `$ref`.
    pub fn value(&self) -> Value {
        static PARSED: std::sync::Mutex<Vec<(usize, Value)>> = std::sync::Mutex::new(Vec::new());
        let key = self.document.as_ptr() as usize;
        let mut parsed = PARSED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let document = match parsed.iter().find(|(k, _)| *k == key) {
            Some((_, document)) => document.clone(),
            None => {
                let document: Value = serde_json::from_str(self.document).expect("schema is JSON");
                parsed.push((key, document.clone()));
                document
            }
        };
        drop(parsed);
        let mut schema = document;
        if let Value::Object(map) = &mut schema {
            map.insert("$ref".into(), self.reference.into());
        }
        schema
    }
}

/// A generated `decode_request`.
pub type Decode<M> = fn(&str, &dyn Headers, &[u8]) -> Result<M, DecodeError>;

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

    let decoded = (example.decode)(
        example.address,
        &example.headers,
        example.payload.as_bytes(),
    )
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

    let spec_schema = example.spec_schema.value();
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

/// One message of one spec, for the property tests: values drawn from its payload schema.
pub struct PropertyCase<M: 'static> {
    /// The message's name in the spec.
    pub message: &'static str,
    /// A concrete address of a channel that carries the message.
    pub address: &'static str,
    /// The spec's own payload schema, as draft-07 JSON Schema text (the whole document
    /// The spec's own payload schema.
    pub spec_schema: SpecSchema,
    /// The payload field naming the message on its channel, and the message's values.
    pub discriminator: Option<(&'static str, &'static [&'static str])>,
    /// The headers a delivery of the message carries for decoding (an event header).
    pub headers: &'static [(&'static str, &'static str)],
    /// The generated `decode_request`.
    pub decode: Decode<M>,
    /// The generated `Message::name`.
    pub message_name: fn(&M) -> Option<&'static str>,
    /// The spec file, for `hookgen listen`'s identification (`inspect`).
    pub spec: &'static str,
    /// The channel's position in the spec's `CHANNELS`.
    pub channel: usize,
    /// How many values to draw (`PROPTEST_CASES` overrides it).
    pub cases: u32,
}

/// `hookgen listen`'s view of the spec at `path`, compiled once per test process and
/// shared by the tests of its messages (GitHub's takes seconds in a debug build).
fn inspector(
    path: &'static str,
    spec: &hookgen::SpecFile,
) -> std::sync::Arc<hookgen_cli::inspect::Inspector> {
    type Compiled = Vec<(
        &'static str,
        std::sync::Arc<hookgen_cli::inspect::Inspector>,
    )>;
    static COMPILED: std::sync::Mutex<Compiled> = std::sync::Mutex::new(Vec::new());
    let mut compiled = COMPILED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, inspector)) = compiled.iter().find(|(p, _)| *p == path) {
        return std::sync::Arc::clone(inspector);
    }
    let inspector = std::sync::Arc::new(
        hookgen_cli::inspect::Inspector::new(spec)
            .unwrap_or_else(|d| panic!("{path}: the spec does not compile: {d}")),
    );
    compiled.push((path, std::sync::Arc::clone(&inspector)));
    inspector
}

/// Draws values from the message's payload schema and checks that every valid one
/// decodes as this message and serializes back to what was sent (extra fields the type
/// does not keep dropped), and that every value missing a `required` field or holding a
/// field of the wrong `type` is rejected. The spec's schema, through an independent
/// validator, confirms each drawn value is valid and each broken one is not.
pub fn check_properties<M: Serialize + std::fmt::Debug>(case: &PropertyCase<M>) {
    let schema = case.spec_schema.value();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: the spec's schema does not compile: {e}", case.message));
    let mut drawer = draw::Drawer::new(&schema);
    if let Some((field, values)) = case.discriminator {
        drawer = drawer.discriminator(field, values.iter().map(|v| (*v).to_owned()).collect());
    }
    let strategy = drawer.strategy(&schema);
    let spec = hookgen::SpecFile::discover(std::path::Path::new(case.spec), case.spec.to_owned());
    let listen = inspector(case.spec, &spec);
    // `PROPTEST_CASES` sets the number of values; else the case's own number.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(case.cases);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let name = case.message;
    let fail = |what: String| TestCaseError::fail(format!("{name}: {what}"));
    let mut runner = TestRunner::new(config.clone());
    let result = runner.run(&strategy, |drawn| {
        if drawn.strict && !validator.is_valid(&drawn.value) {
            let errors: Vec<String> = validator
                .iter_errors(&drawn.value)
                .map(|e| e.to_string())
                .collect();
            return Err(fail(format!(
                "drew a value its schema rejects ({}): test bug",
                errors.join("; ")
            )));
        }
        let body = serde_json::to_vec(&drawn.value).expect("serializes");
        let message = (case.decode)(case.address, &case.headers, &body)
            .map_err(|e| fail(format!("decode rejected a valid value: {e}")))?;
        if (case.message_name)(&message) != Some(name) {
            return Err(fail(format!(
                "decoded as {:?}",
                (case.message_name)(&message)
            )));
        }
        // `hookgen listen` follows the same decode plan: it must name the same message.
        let identified = listen.identify(case.channel, &case.headers, &drawn.value);
        if identified != Ok(hookgen_cli::inspect::Identified::Message(name.to_owned())) {
            return Err(fail(format!(
                "decode says {name}, listen says {identified:?} for {}",
                drawn.value
            )));
        }
        let back = serde_json::to_value(&message).expect("serializes");
        if back != drawn.expected {
            return Err(fail(format!("round trip changed the value: got {back}")));
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }

    let broken = (drawer.strategy(&schema), any::<proptest::sample::Index>())
        .prop_filter("has a way to break it", |(d, _)| !d.breaks.is_empty());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&broken, |(drawn, index)| {
        let change = index.get(&drawn.breaks);
        let value = change.apply(&drawn.value);
        if validator.is_valid(&value) {
            return Err(fail(format!(
                "{change}: the spec's schema still accepts it: test bug"
            )));
        }
        let body = serde_json::to_vec(&value).expect("serializes");
        if let Ok(hookgen_cli::inspect::Identified::Message(other)) =
            listen.identify(case.channel, &case.headers, &value)
        {
            return Err(fail(format!(
                "{change}: decode refuses {value}, listen names it {other}"
            )));
        }
        match (case.decode)(case.address, &case.headers, &body) {
            Err(_) => Ok(()),
            Ok(message) => Err(fail(format!(
                "{change}: decode accepted {value} as {message:?}"
            ))),
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
