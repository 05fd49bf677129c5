//! Validate: everything wrong with a document, at once, without generating anything.
//!
//! Structure through the typed document model ([`crate::model`]), document rules through
//! [`crate::check`] (version, `$ref`s, operation ids, channel parameters), and every
//! message example against its payload schema (a JSON Schema validator). Diagnostics
//! carry file, line and column, and JSON pointer.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::load::{self, SpecFile};
use crate::resolve::Resolver;

/// Every problem of `file` (errors and warnings), sorted.
pub fn validate(file: &SpecFile) -> Diagnostics {
    let loaded = match load::load(file) {
        Ok(loaded) => loaded,
        Err(diagnostics) => return diagnostics,
    };
    let document = &loaded.document;
    let mut diagnostics = crate::model::check_structure(document, &file.display);
    let resolver = Resolver::new(document, &file.display);
    diagnostics.0.extend(crate::check::check(&resolver).0);
    diagnostics.0.extend(check_examples(document, &resolver).0);
    if let Ok(text) = std::fs::read_to_string(&file.path) {
        crate::position::locate(&mut diagnostics, &file.display, &text);
    }
    diagnostics.0.sort();
    diagnostics.0.dedup();
    diagnostics
}

/// Every message example must match its message's payload schema.
fn check_examples(document: &Value, resolver: &Resolver<'_>) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut validators = None;
    for (pointer, message) in messages(document, resolver) {
        let Some(examples) = message.get("examples").and_then(Value::as_array) else {
            continue;
        };
        if message.get("payload").is_none() || !crate::lower::is_json_schema_format(message) {
            continue;
        }
        let payload_at = child(&pointer, "payload");
        let validators =
            match validators.get_or_insert_with(|| crate::json_schema::Validators::new(document)) {
                Ok(v) => v,
                Err(e) => {
                    diagnostics.push(Diagnostic::at(
                        resolver.file(),
                        "",
                        format!("the document's schemas cannot be compiled: {e}"),
                    ));
                    return diagnostics;
                }
            };
        let validator = match validators.at(&payload_at) {
            Ok(v) => v,
            Err(e) => {
                diagnostics.push(Diagnostic::at(
                    resolver.file(),
                    &payload_at,
                    format!("the payload schema cannot be compiled: {e}"),
                ));
                continue;
            }
        };
        for (i, example) in examples.iter().enumerate() {
            let Some(payload) = example.get("payload") else {
                continue;
            };
            let at = child(
                &child(&child(&pointer, "examples"), &i.to_string()),
                "payload",
            );
            for error in validator.iter_errors(payload) {
                let place = error.instance_path().to_string();
                let at = format!("{at}{place}");
                diagnostics.push(Diagnostic::at(
                    resolver.file(),
                    &at,
                    format!("the example does not match the payload schema: {error}"),
                ));
            }
        }
    }
    diagnostics
}

/// Every message object of the document (components and inline), once, by pointer.
fn messages<'d>(
    document: &'d Value,
    resolver: &Resolver<'d>,
) -> Vec<(String, &'d serde_json::Map<String, Value>)> {
    let mut found: Vec<(String, &serde_json::Map<String, Value>)> = Vec::new();
    let mut add = |(pointer, value): (String, &'d Value)| {
        if let Some(map) = value.as_object() {
            if !found.iter().any(|(p, _)| *p == pointer) {
                found.push((pointer, map));
            }
        }
    };
    if let Some(messages) = document
        .pointer("/components/messages")
        .and_then(Value::as_object)
    {
        for (key, m) in messages {
            if let Ok(hit) = resolver.follow(m, &child("/components/messages", key)) {
                add(hit);
            }
        }
    }
    for (address, item) in document
        .get("channels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Ok((item_at, item)) = resolver.follow(item, &child("/channels", address)) else {
            continue;
        };
        for action in ["publish", "subscribe"] {
            let Some(message) = item.get(action).and_then(|op| op.get("message")) else {
                continue;
            };
            let at = child(&child(&item_at, action), "message");
            match message.get("oneOf").and_then(Value::as_array) {
                Some(list) => {
                    for (i, m) in list.iter().enumerate() {
                        if let Ok(hit) =
                            resolver.follow(m, &child(&child(&at, "oneOf"), &i.to_string()))
                        {
                            add(hit);
                        }
                    }
                }
                None => {
                    if let Ok(hit) = resolver.follow(message, &at) {
                        add(hit);
                    }
                }
            }
        }
    }
    found
}
