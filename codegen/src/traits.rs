//! Traits: AsyncAPI 2.x message and operation `traits`, applied before lowering so the
//! rest of the pipeline sees plain messages and operations.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::resolve::Resolver;

/// Applies message and operation `traits` (AsyncAPI 2.x): each trait, in order, is merged
/// into the object with RFC 7396 JSON Merge Patch, as the 2.x specification says (so a
/// trait's value wins over the object's own), and `traits` is removed.
pub fn apply_traits(document: &mut Value, file: &str) -> Diagnostics {
    let snapshot = document.clone();
    let resolver = Resolver::new(&snapshot, file);
    let found = crate::resolve::locations(&resolver);
    let targets = found.operations.into_iter().chain(found.messages);
    let mut diagnostics = Diagnostics::default();
    for pointer in targets {
        let Some(traits) = snapshot.pointer(&pointer).and_then(|v| v.get("traits")) else {
            continue;
        };
        let traits_at = child(&pointer, "traits");
        let Some(traits) = traits.as_array() else {
            diagnostics.push(Diagnostic::at(file, &traits_at, "`traits` must be a list"));
            continue;
        };
        let mut patches = Vec::new();
        for (i, t) in traits.iter().enumerate() {
            match resolver.follow(t, &child(&traits_at, &i.to_string())) {
                Ok((_, t)) if t.is_object() => patches.push(t.clone()),
                Ok((at, _)) => {
                    diagnostics.push(Diagnostic::at(file, &at, "a trait must be a mapping"))
                }
                Err(d) => diagnostics.push(d),
            }
        }
        if let Some(Value::Object(target)) = document.pointer_mut(&pointer) {
            target.remove("traits");
            let mut merged = Value::Object(std::mem::take(target));
            for patch in &patches {
                json_patch::merge(&mut merged, patch);
            }
            if let Value::Object(merged) = merged {
                *target = merged;
            }
        }
    }
    diagnostics
}
