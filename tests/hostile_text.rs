//! Spec text never becomes code: for arbitrary strings in every text field of a spec
//! (titles, descriptions, summaries, names, enum values, formats, defaults, examples,
//! file names), every doc comment of the generated crate parses, as rustdoc parses it,
//! to Markdown without a runnable code block, raw HTML or a script link; the README
//! tables keep their columns; the `Cargo.toml` and `//` header lines gain no line.
//!
//! The check (`hookgen_conformance::docs`) is written independently of `hookgen::escape`:
//! it reads the emitted files the way rustdoc and cargo would.

use std::path::Path;

use hookgen::{Settings, SpecFile, generate};
use hookgen_conformance::docs::problems;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Pieces attackers and careless authors put in spec text.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("```".to_owned()),
        Just("```rust".to_owned()),
        Just("~~~".to_owned()),
        Just("~~~rust,should_panic".to_owned()),
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("    ".to_owned()),
        Just("\t".to_owned()),
        Just("\r".to_owned()),
        Just("\r\n".to_owned()),
        Just("panic!(\"ran\");".to_owned()),
        Just("<script>".to_owned()),
        Just("<pre>".to_owned()),
        Just("</pre>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("[x](javascript:alert(1))".to_owned()),
        Just("<javascript:alert(1)>".to_owned()),
        Just("![i](data:text/html,x)".to_owned()),
        Just("[r]: javascript:x\n".to_owned()),
        Just("[r]".to_owned()),
        Just("`".to_owned()),
        Just("|".to_owned()),
        Just("- ".to_owned()),
        Just("> ".to_owned()),
        Just("1. ".to_owned()),
        Just("[^n]: ".to_owned()),
        Just("#".to_owned()),
        Just("\\".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{2066}".to_owned()),
        Just("\u{1b}[31m".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\"".to_owned()),
        "[a-z ]{1,6}",
        any::<char>().prop_map(String::from),
    ]
}

fn hostile_text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..12).prop_map(|parts| parts.concat())
}

/// A spec with `texts` in every field that reaches docs, the README or headers.
fn spec(t: &[String]) -> Value {
    json!({
        "asyncapi": "2.6.0",
        "info": { "title": t[0], "version": t[1], "description": t[2] },
        "x-hookgen": { "signature": { "header": "X-Signature" } },
        "channels": {
            "/hooks": {
                "description": t[3],
                "publish": {
                    "summary": t[4],
                    "message": { "oneOf": [
                        { "$ref": "#/components/messages/First" },
                        { "$ref": "#/components/messages/Second" }
                    ] }
                }
            }
        },
        "components": {
            "messages": {
                "First": {
                    "title": t[5],
                    "summary": t[6],
                    "description": t[7],
                    "payload": { "$ref": "#/components/schemas/First" }
                },
                "Second": {
                    "name": t[8],
                    "summary": t[9],
                    "schemaFormat": "application/vnd.apache.avro;version=1.9.0",
                    "payload": { "type": "record" }
                }
            },
            "schemas": {
                "First": {
                    "type": "object",
                    "title": t[10],
                    "description": t[11],
                    "required": ["kind"],
                    "properties": {
                        "kind": { "const": "first" },
                        "state": { "type": "string", "enum": ["on", t[12].clone()], "description": t[13] },
                        "count": {
                            "type": "integer",
                            "format": t[14],
                            "default": t[15],
                            "example": t[16],
                            "enum": [1, 2],
                            "not": { "const": t[17] }
                        },
                        "union": {
                            "oneOf": [
                                { "type": "object", "properties": { "tag": { "const": t[18] } }, "required": ["tag"] },
                                { "type": "object", "properties": { "tag": { "const": "other" } }, "required": ["tag"] }
                            ]
                        }
                    },
                    "patternProperties": { t[19].clone(): { "type": "string" } }
                }
            }
        }
    })
}

/// An OpenAPI 3.1 document with `texts` in every field its front end reads (webhook
/// names, operation ids that name events, header parameter names and descriptions,
/// summaries, descriptions, the title, schema docs and examples) and in the fixed text
/// of its signature template.
fn openapi_spec(t: &[String]) -> Value {
    let payload = |tag: &str, i: usize| {
        json!({
            "type": "object",
            "title": t[i],
            "description": t[i + 1],
            "required": ["type"],
            "properties": {
                "type": { "const": tag },
                "note": { "type": ["string", "null"], "description": t[i + 2] }
            }
        })
    };
    let webhook = |summary: usize, tag: &str, schema: usize| {
        json!({ "post": {
            "operationId": format!("e{}/x", t[summary + 2]),
            "parameters": [
                { "name": format!("{}-a", t[5]), "in": "header", "required": true,
                  "description": t[8], "schema": { "type": "string" } },
                { "name": format!("{}-b", t[6]), "in": "header", "description": t[9],
                  "schema": { "type": "string" } }
            ],
            "summary": t[summary],
            "description": t[summary + 1],
            "requestBody": { "content": { "application/json": {
                "schema": payload(tag, schema),
                "example": { "type": tag, "note": t[summary + 2] }
            } } }
        } })
    };
    json!({
        "openapi": "3.1.0",
        "info": { "title": t[0], "version": t[1], "description": t[2] },
        "x-hookgen": { "address": "/hooks", "event-header": "X-Event", "signature": {
            "scheme": "github",
            // Fixed text of the signed template becomes a string literal in the module.
            "signed": format!("{}{{body}}", t[17].replace(['{', '}'], ""))
        } },
        "webhooks": {
            t[3].clone(): webhook(4, "first", 7),
            format!("{}-second", t[10]): webhook(11, "second", 14)
        }
    })
}

fn generate_from(document: &Value, file_name: &str) -> Result<Vec<hookgen::OutputFile>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("spec.json");
    std::fs::write(&path, document.to_string()).map_err(|e| e.to_string())?;
    let file = SpecFile::discover(&path, file_name.to_owned()).with_module("hostile");
    generate(&Settings::default(), &[file]).map_err(|d| d.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_spec_text_never_becomes_code(texts in prop::collection::vec(hostile_text(), 20), file_name in hostile_text()) {
        let files = generate_from(&spec(&texts), &file_name);
        let files = match files {
            Ok(files) => files,
            Err(e) => return Err(TestCaseError::fail(format!("a spec with hostile text did not generate:\n{e}"))),
        };
        let problems = problems(&files);
        prop_assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The same for an OpenAPI document: its webhook names and texts reach the same
    /// places through the third front end.
    #[test]
    fn arbitrary_openapi_text_never_becomes_code(texts in prop::collection::vec(hostile_text(), 18), file_name in hostile_text()) {
        let files = generate_from(&openapi_spec(&texts), &file_name);
        let files = match files {
            Ok(files) => files,
            Err(e) => return Err(TestCaseError::fail(format!("an OpenAPI document with hostile text did not generate:\n{e}"))),
        };
        let problems = problems(&files);
        prop_assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// The renderer alone, on longer texts than a spec field usually holds, through the
    /// `doc_text` fuzz target's own check (it panics on a problem).
    #[test]
    fn rendered_docs_hold_nothing_runnable(text in prop::collection::vec(fragment(), 0..48).prop_map(|p| p.concat())) {
        hookgen_conformance::fuzz::doc_text(text.as_bytes());
    }
}

/// The checked-in hostile snapshot passes the same check (and the corpus crate runs its
/// doctests).
#[test]
fn the_hostile_snapshot_holds_nothing_runnable() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("codegen/tests/snapshots/hostile-text.yaml");
    let file = SpecFile::discover(&path, "hostile-text.yaml".into());
    let files = generate(&Settings::default(), &[file]).expect("the hostile snapshot generates");
    let problems = problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
