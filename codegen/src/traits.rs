//! Traits: message and operation `traits`, applied before the document is read so the
//! model sees plain messages and operations.
//!
//! Each trait, in order, is merged into its object with RFC 7396 JSON Merge Patch, and
//! `traits` is removed. The versions differ on who wins: in 2.x a trait's value wins
//! over the object's own; in 3.x the object's own value wins ("a property on a trait
//! MUST NOT override the same property on the target object").

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::resolve::Resolver;

/// Applies the message and operation traits of an AsyncAPI `major` document.
pub fn apply_traits(document: &mut Value, file: &str, major: u8) -> Diagnostics {
    let snapshot = document.clone();
    let resolver = Resolver::new(&snapshot, file);
    let mut diagnostics = Diagnostics::default();
    for pointer in holders(&resolver, major) {
        let Some(traits) = snapshot.pointer(&pointer).and_then(|v| v.get("traits")) else {
            continue;
        };
        let traits_at = child(&pointer, "traits");
        let Some(traits) = traits.as_array() else {
            // The structure check reports it.
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
            let own = Value::Object(std::mem::take(target));
            let merged = if major >= 3 {
                let mut merged = Value::Object(serde_json::Map::new());
                for patch in &patches {
                    json_patch::merge(&mut merged, patch);
                }
                json_patch::merge(&mut merged, &own);
                merged
            } else {
                let mut merged = own;
                for patch in &patches {
                    json_patch::merge(&mut merged, patch);
                }
                merged
            };
            if let Value::Object(merged) = merged {
                *target = merged;
            }
        }
    }
    diagnostics
}

/// Where the objects that may have traits are (references followed, each once).
fn holders(resolver: &Resolver<'_>, major: u8) -> Vec<String> {
    let root = resolver.root();
    let mut found: Vec<String> = Vec::new();
    let mut add = |value: &Value, at: String| {
        if let Ok((at, _)) = resolver.follow(value, &at) {
            if !found.contains(&at) {
                found.push(at);
            }
        }
    };
    let entries = |pointer: &str| -> Vec<(String, &Value)> {
        root.pointer(pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (child(pointer, k), v))
            .collect()
    };
    for (at, message) in entries("/components/messages") {
        add(message, at);
    }
    if major >= 3 {
        for (at, operation) in entries("/operations")
            .into_iter()
            .chain(entries("/components/operations"))
        {
            add(operation, at);
        }
        for (at, channel) in entries("/channels")
            .into_iter()
            .chain(entries("/components/channels"))
        {
            let Ok((at, channel)) = resolver.follow(channel, &at) else {
                continue;
            };
            for (key, message) in channel
                .get("messages")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                add(message, child(&child(&at, "messages"), key));
            }
        }
        return found;
    }
    for (at, item) in entries("/channels") {
        let Ok((at, item)) = resolver.follow(item, &at) else {
            continue;
        };
        for keyword in ["publish", "subscribe"] {
            let Some(op) = item.get(keyword) else {
                continue;
            };
            let op_at = child(&at, keyword);
            add(op, op_at.clone());
            let Some(message) = op.get("message") else {
                continue;
            };
            let msg_at = child(&op_at, "message");
            match message.get("oneOf").and_then(Value::as_array) {
                Some(list) => {
                    for (i, m) in list.iter().enumerate() {
                        add(m, child(&child(&msg_at, "oneOf"), &i.to_string()));
                    }
                }
                None => add(message, msg_at),
            }
        }
    }
    found
}
