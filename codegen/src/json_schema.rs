//! The AsyncAPI 2.x Schema Object as plain JSON Schema (draft-07), for validators.
//!
//! AsyncAPI schemas are a JSON Schema superset; the one keyword real documents borrow
//! that changes validation is OpenAPI's `nullable: true`, which becomes a `null` in
//! `type` (and in `enum`, when there is one).

use serde_json::{Map, Value};

/// A draft-07 schema that validates values against the schema at `pointer` of the AsyncAPI
/// document `document` (`$ref`s inside it still resolve against the document).
pub fn validation_schema(document: &Value, pointer: &str) -> Value {
    let mut root = to_draft7(document);
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            "http://json-schema.org/draft-07/schema#".into(),
        );
        map.insert("$ref".into(), format!("#{pointer}").into());
    }
    root
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
