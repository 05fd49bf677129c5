//! The AsyncAPI Schema Object (2.x and 3.x) as plain JSON Schema (draft-07), for validators.
//!
//! AsyncAPI schemas are a JSON Schema superset; the one keyword real documents borrow
//! that changes validation is OpenAPI's `nullable: true`, which becomes a `null` in
//! `type` (and in `enum`, when there is one).

use serde_json::{Map, Value};

/// A draft-07 schema that validates values against the schema at `pointer` of the AsyncAPI
/// document `document` (`$ref`s inside it still resolve against the document).
pub fn validation_schema(document: &Value, pointer: &str) -> Value {
    let mut root = validation_document(document, &crate::leniency::Leniency::default());
    if let Value::Object(map) = &mut root {
        map.insert("$ref".into(), reference(pointer).into());
    }
    root
}

/// The AsyncAPI document `document` as a draft-07 schema with no root schema of its own:
/// [`validation_schema`] for any pointer is this with `$ref` set to [`reference`] of it
/// (for a large document, written once and shared by every schema in it).
/// Required properties `leniency` relaxes are not required, as the generated types
/// read them.
pub fn validation_document(document: &Value, leniency: &crate::leniency::Leniency) -> Value {
    let mut root = to_draft7(document);
    relax_required(&mut root, leniency);
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            "http://json-schema.org/draft-07/schema#".into(),
        );
    }
    root
}

/// Drops from every `required` list of the document `value` the properties `leniency`
/// relaxes: the schema as the generated types read it (one rule for both:
/// [`crate::leniency`]).
pub fn relax_required(value: &mut Value, leniency: &crate::leniency::Leniency) {
    if leniency.is_strict() {
        return;
    }
    // First what to drop, where (reading the whole document: `$ref`s resolve in it),
    // then the drops. Iterative: a document may nest deeper than the stack allows.
    let mut drops: Vec<(String, Vec<String>)> = Vec::new();
    {
        let root = &*value;
        let resolve = |reference: &str| root.pointer(reference.strip_prefix('#')?);
        let mut pending: Vec<(String, &Value)> = vec![(String::new(), root)];
        while let Some((pointer, value)) = pending.pop() {
            match value {
                Value::Object(map) => {
                    if let (Some(Value::Array(required)), Some(Value::Object(properties))) =
                        (map.get("required"), map.get("properties"))
                    {
                        let relaxed: Vec<String> = required
                            .iter()
                            .filter_map(Value::as_str)
                            .filter(|name| {
                                properties.get(*name).is_some_and(|schema| {
                                    leniency.relaxes(name, schema, &resolve).is_some()
                                })
                            })
                            .map(str::to_owned)
                            .collect();
                        if !relaxed.is_empty() {
                            drops.push((pointer.clone(), relaxed));
                        }
                    }
                    for (key, child) in map {
                        pending.push((format!("{pointer}/{}", escape_token(key)), child));
                    }
                }
                Value::Array(items) => {
                    for (i, child) in items.iter().enumerate() {
                        pending.push((format!("{pointer}/{i}"), child));
                    }
                }
                _ => {}
            }
        }
    }
    for (pointer, relaxed) in drops {
        if let Some(Value::Array(required)) = value
            .pointer_mut(&pointer)
            .and_then(|object| object.get_mut("required"))
        {
            required.retain(|r| r.as_str().is_none_or(|r| !relaxed.iter().any(|o| o == r)));
        }
    }
}

/// A JSON pointer token for `key` (`~` and `/` escaped).
fn escape_token(key: &str) -> std::borrow::Cow<'_, str> {
    if key.contains(['~', '/']) {
        key.replace('~', "~0").replace('/', "~1").into()
    } else {
        key.into()
    }
}

/// The `$ref` value that points at `pointer` of the document (`#` and the pointer as a
/// URI fragment).
pub fn reference(pointer: &str) -> String {
    format!("#{}", fragment(pointer))
}

/// The URI under which [`Validators`] registers the document.
const DOCUMENT_URI: &str = "urn:hookgen:document";

/// Validators for schemas at pointers of one AsyncAPI document, sharing one conversion
/// and one registry of the document (compiling a large document once, not per schema).
pub struct Validators {
    registry: jsonschema::Registry,
}

impl Validators {
    /// Prepares validators for schemas of `document`.
    pub fn new(document: &Value) -> Result<Self, String> {
        Self::registry(to_draft7(document))
    }

    /// Prepares validators that accept what the generated types decode: the schemas
    /// without the assertions the types do not enforce (string enums and consts are
    /// open, formats, patterns, lengths, bounds and `not` are documented, not checked).
    /// `hookgen listen` fits bodies with these, so it names the message `decode` names.
    /// The required properties `leniency` relaxes, which the generated types accept
    /// absent, are not required.
    pub fn decoding(
        document: &Value,
        leniency: &crate::leniency::Leniency,
    ) -> Result<Self, String> {
        let mut converted = to_draft7(document);
        open_up(&mut converted, false);
        relax_required(&mut converted, leniency);
        Self::registry(converted)
    }

    fn registry(mut converted: Value) -> Result<Self, String> {
        if let Value::Object(map) = &mut converted {
            map.insert(
                "$schema".into(),
                "http://json-schema.org/draft-07/schema#".into(),
            );
        }
        let resource = jsonschema::Resource::from_contents(converted);
        let registry =
            jsonschema::Registry::try_new(DOCUMENT_URI, resource).map_err(|e| e.to_string())?;
        Ok(Self { registry })
    }

    /// A validator for the schema at `pointer`; `format` is an annotation, not checked.
    pub fn at(&self, pointer: &str) -> Result<jsonschema::Validator, String> {
        let schema = serde_json::json!({ "$ref": format!("{DOCUMENT_URI}#{}", fragment(pointer)) });
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(false)
            .with_registry(self.registry.clone())
            .build(&schema)
            .map_err(|e| e.to_string())
    }
}

/// A JSON pointer written as a URI fragment: characters a fragment may not hold
/// (`{`, `}`, spaces, `%`, …) percent-encoded.
fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    for byte in pointer.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Keywords the generated types document but do not enforce.
const UNENFORCED: &[&str] = &[
    "enum",
    "const",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "dependencies",
    "not",
    "if",
    "then",
    "else",
];

/// Removes [`UNENFORCED`] keywords from every schema object of `value`; `names` when
/// `value` maps names to schemas (`properties`), whose keys are not keywords.
fn open_up(value: &mut Value, names: bool) {
    match value {
        Value::Object(map) => {
            if !names {
                map.retain(|key, _| !UNENFORCED.contains(&key.as_str()));
                // A union decodes into its first alternative that fits (serde's
                // `untagged`), never refused because a second one fits too.
                if let Some(alternatives) = map.remove("oneOf") {
                    if map.contains_key("anyOf") {
                        let all = map
                            .entry("allOf")
                            .or_insert_with(|| Value::Array(Vec::new()));
                        if let Value::Array(all) = all {
                            all.push(serde_json::json!({ "anyOf": alternatives }));
                        }
                    } else {
                        map.insert("anyOf".into(), alternatives);
                    }
                }
            }
            for (key, v) in map.iter_mut() {
                let holds_names = !names && crate::resolve::NAME_MAPS.contains(&key.as_str());
                open_up(v, holds_names);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| open_up(v, false)),
        _ => {}
    }
}

/// `value` with every `nullable: true` rewritten into plain JSON Schema.
pub fn to_draft7(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), to_draft7(v))).collect();
            if out.get("nullable").and_then(Value::as_bool) == Some(true) {
                out.remove("nullable");
                match out.get_mut("type") {
                    Some(Value::String(t)) => {
                        let t = std::mem::take(t);
                        out.insert("type".into(), Value::Array(vec![t.into(), "null".into()]));
                    }
                    Some(Value::Array(ts)) if !ts.iter().any(|t| t == "null") => {
                        ts.push("null".into())
                    }
                    _ => {}
                }
                if let Some(Value::Array(values)) = out.get_mut("enum") {
                    if !values.iter().any(Value::is_null) {
                        values.push(Value::Null);
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(to_draft7).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_become_valid_fragments() {
        assert_eq!(
            fragment("/channels/a~1{id} x/payload"),
            "/channels/a~1%7Bid%7D%20x/payload"
        );
    }

    #[test]
    fn nullable_becomes_a_null_type_and_enum_value() {
        let schema = json!({"properties": {
            "a": {"type": "string", "nullable": true},
            "b": {"type": "string", "nullable": true, "enum": ["X"]},
            "c": {"type": ["integer"], "nullable": true},
            "d": {"type": "string", "nullable": false}
        }});
        assert_eq!(
            to_draft7(&schema),
            json!({"properties": {
                "a": {"type": ["string", "null"]},
                "b": {"type": ["string", "null"], "enum": ["X", null]},
                "c": {"type": ["integer", "null"]},
                "d": {"type": "string", "nullable": false}
            }})
        );
    }
}
