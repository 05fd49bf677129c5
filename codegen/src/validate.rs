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
    if let Ok(text) = crate::load::read_text(&file.path) {
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
    let messages = crate::resolve::locations(resolver).messages;
    for (pointer, message) in messages
        .iter()
        .filter_map(|p| Some((p, document.pointer(p)?.as_object()?)))
    {
        let Some(examples) = message.get("examples").and_then(Value::as_array) else {
            continue;
        };
        if message.get("payload").is_none() || !crate::lower::is_json_schema_format(message) {
            continue;
        }
        let payload_at = child(pointer, "payload");
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
                &child(&child(pointer, "examples"), &i.to_string()),
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
