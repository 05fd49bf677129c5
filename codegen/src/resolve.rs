//! Resolve: `$ref`s inside one document (`#/components/schemas/X`).
//!
//! [`check_refs`] visits every `$ref` once and reports the ones that cannot be followed
//! (missing targets, references to other files or URLs, chains that loop); after it
//! passes, [`Resolver::follow`] cannot fail on the same document.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};

/// Longest chain of `$ref` → `$ref` followed before calling it a loop.
const MAX_REF_CHAIN: usize = 64;

/// Follows local `$ref`s of one document.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    root: &'a Value,
    file: &'a str,
}

impl<'a> Resolver<'a> {
    /// A resolver over the document `root` loaded from `file`.
    pub fn new(root: &'a Value, file: &'a str) -> Self {
        Self { root, file }
    }

    /// The document root.
    pub fn root(&self) -> &'a Value {
        self.root
    }

    /// The file name used in diagnostics.
    pub fn file(&self) -> &'a str {
        self.file
    }

    /// Follows `value` (found at `pointer`) through any chain of `$ref`s to the value they
    /// name, returning that value's pointer and the value. A value without `$ref` is itself.
    pub fn follow<'v>(
        &self,
        value: &'v Value,
        pointer: &str,
    ) -> Result<(String, &'v Value), Diagnostic>
    where
        'a: 'v,
    {
        let mut current = (pointer.to_owned(), value);
        for _ in 0..MAX_REF_CHAIN {
            let Some(reference) = current.1.get("$ref") else {
                return Ok(current);
            };
            let at = child(&current.0, "$ref");
            let Some(reference) = reference.as_str() else {
                return Err(Diagnostic::at(self.file, &at, "`$ref` must be a string"));
            };
            let Some(target_pointer) = reference.strip_prefix('#') else {
                return Err(Diagnostic::at(
                    self.file,
                    &at,
                    format!(
                        "`$ref: {reference}` points outside this document; only local references (`#/...`) are supported"
                    ),
                ));
            };
            let target_pointer = percent_decode(target_pointer);
            let Some(target) = self.root.pointer(&target_pointer) else {
                return Err(Diagnostic::at(
                    self.file,
                    &at,
                    format!("`$ref: {reference}` names nothing in this document"),
                ));
            };
            current = (target_pointer, target);
        }
        Err(Diagnostic::at(
            self.file,
            pointer,
            "`$ref` chain loops without reaching a value",
        ))
    }
}

/// Reports every `$ref` of the document that cannot be followed.
pub fn check_refs(resolver: &Resolver<'_>) -> Diagnostics {
    let mut diagnostics = Diagnostics::default();
    // (pointer, value, whether the value is a map of names, where `$ref` is a name,
    // whether Hookgen never reads the value).
    let mut stack = vec![(String::new(), resolver.root(), false, false)];
    while let Some((pointer, value, names, unread)) = stack.pop() {
        match value {
            Value::Object(map) => {
                let remote = map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.contains("://"));
                if !names && map.contains_key("$ref") && !(unread && remote) {
                    if let Err(d) = resolver.follow(value, &pointer) {
                        diagnostics.push(d);
                    }
                }
                for (key, v) in map {
                    let holds_names = !names && NAME_MAPS.contains(&key.as_str());
                    let unread = unread || (!names && never_read(map, key));
                    stack.push((child(&pointer, key), v, holds_names, unread));
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    stack.push((child(&pointer, &i.to_string()), v, false, unread));
                }
            }
            _ => {}
        }
    }
    diagnostics
}

/// True when Hookgen never reads the value at `key` of `object` (an object of the
/// document, not a map of names): protocol bindings, which are kept as text, and a
/// schema in a language other than JSON Schema (`schemaFormat` beside `schema` or a 2.x
/// `payload`), kept as raw JSON. References to URLs there need no local copy.
pub fn never_read(object: &serde_json::Map<String, Value>, key: &str) -> bool {
    match key {
        "bindings" => true,
        "schema" | "payload" => object
            .get("schemaFormat")
            .and_then(Value::as_str)
            .is_some_and(|format| !crate::document::is_json_schema_format(Some(format))),
        _ => false,
    }
}

/// Schema keywords whose value maps names to schemas (a property may be called `$ref`).
pub const NAME_MAPS: &[&str] = &["properties", "patternProperties", "definitions", "$defs"];

/// Decodes `%XX` escapes of a URI fragment (`#/channels/user~1%7Bid%7D`).
fn percent_decode(fragment: &str) -> String {
    if !fragment.contains('%') {
        return fragment.to_owned();
    }
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_chains_and_reports_bad_refs() {
        let doc = json!({
            "a": {"$ref": "#/b"},
            "b": {"$ref": "#/c"},
            "c": {"type": "string"},
            "loop": {"$ref": "#/loop"},
            "missing": {"$ref": "#/nope"},
            "remote": {"$ref": "https://example.com/s.json"},
            "n": {"$ref": 3},
            "{x}": {"type": "integer"},
            "esc": {"$ref": "#/%7Bx%7D"}
        });
        let r = Resolver::new(&doc, "t.yaml");
        let (p, v) = r.follow(&doc["a"], "/a").unwrap();
        assert_eq!((p.as_str(), v), ("/c", &json!({"type": "string"})));
        assert_eq!(r.follow(&doc["esc"], "/esc").unwrap().0, "/{x}");
        let mut found: Vec<_> = check_refs(&r).0.into_iter().map(|d| d.pointer).collect();
        found.sort();
        assert_eq!(found, ["/loop", "/missing/$ref", "/n/$ref", "/remote/$ref"]);
    }
}
