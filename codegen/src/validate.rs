//! Validate: everything wrong with a document, at once, without generating anything.
//!
//! The verdict is generation's: the same phases ([`crate::document`], [`crate::check`],
//! [`crate::lower`]) report the same errors. Validation adds warnings only: every
//! message example checked against its payload schema (a JSON Schema validator).
//! Diagnostics carry file, line and column, and JSON pointer.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::document::Document;
use crate::load::SpecFile;

/// Every problem of `file` (errors and warnings), sorted.
pub fn validate(file: &SpecFile) -> Diagnostics {
    let (document, mut diagnostics) = crate::analyze(file, true);
    if let Some(document) = &document {
        let mut examples = check_examples(document);
        crate::locate(file, &mut examples);
        diagnostics.0.extend(examples.0);
    }
    diagnostics.0.sort();
    diagnostics.0.dedup();
    diagnostics
}

/// Every message example should match its message's payload schema (warnings: the
/// examples document the messages; the generated types follow the schemas).
fn check_examples(document: &Document) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    let mut validators = None;
    for message in &document.messages {
        let Some(payload) = message.payload.as_ref().filter(|p| p.is_json_schema()) else {
            continue;
        };
        if message.examples.iter().all(|e| e.payload.is_none()) {
            continue;
        }
        let validators = match validators
            .get_or_insert_with(|| crate::json_schema::Validators::new(&document.root))
        {
            Ok(v) => v,
            Err(e) => {
                diagnostics.push(Diagnostic::warning(
                    &document.file,
                    "",
                    format!("the document's schemas cannot be compiled to check examples: {e}"),
                ));
                return diagnostics;
            }
        };
        let validator = match validators.at(&payload.at) {
            Ok(v) => v,
            Err(e) => {
                diagnostics.push(Diagnostic::warning(
                    &document.file,
                    &payload.at,
                    format!("the payload schema cannot be compiled to check examples: {e}"),
                ));
                continue;
            }
        };
        for example in &message.examples {
            let Some(value) = &example.payload else {
                continue;
            };
            let at = crate::diagnostics::child(&example.at, "payload");
            for error in validator.iter_errors(value) {
                let place = error.instance_path().to_string();
                diagnostics.push(Diagnostic::warning(
                    &document.file,
                    &format!("{at}{place}"),
                    format!("the example does not match the payload schema: {error}"),
                ));
            }
        }
    }
    diagnostics
}
