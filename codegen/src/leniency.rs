//! How far received payloads are held to their schema's `required` lists
//! (`x-hookgen.receive`): one rule, read by the type lowering (which fields are `Option`)
//! and by the validators `hookgen listen` fits bodies with, so both accept the same
//! bodies.
//!
//! Providers add fields to their schemas long after their first deliveries, and mark
//! them required; deliveries of older event versions, other installations (GitHub
//! Enterprise Server) and stale examples lack them. A list of names seen missing does
//! not predict the next one (`x-hookgen.receive.optional` alone decoded 85 % of unseen
//! GitHub payloads); a rule over the property's shape does. See README, "Receiving
//! what providers really send".

use serde_json::Value;

/// Which required properties received payloads may lack.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustRequired {
    /// Every `required` as written (the default).
    #[default]
    All,
    /// Only required numbers (ids, counts, sizes: what a record is identified and
    /// measured by) and values the schema fixes (`const`, a one-value `enum`: the
    /// discriminators); any other required property may be absent, typed `Option`
    /// (one that may be `null` is `Option` already, so accepting it absent costs
    /// nothing).
    Numbers,
    /// Only values the schema fixes: every other property may be absent.
    None,
}

/// The receive leniency of one spec: the rule and the names listed as optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leniency {
    trust: TrustRequired,
    optional: std::collections::BTreeSet<String>,
}

impl Leniency {
    /// The leniency `x-hookgen.receive` states.
    pub fn new(trust: TrustRequired, optional: impl IntoIterator<Item = String>) -> Self {
        Self {
            trust,
            optional: optional.into_iter().collect(),
        }
    }

    /// Whether nothing is relaxed.
    pub fn is_strict(&self) -> bool {
        self.trust == TrustRequired::All && self.optional.is_empty()
    }

    /// Why the required property `name`, whose schema is `schema`, may be absent from a
    /// received payload; `None` when it stays required. `resolve` gives the value a
    /// local `$ref` (`#/…`) names.
    pub fn relaxes<'v>(
        &self,
        name: &str,
        schema: &'v Value,
        resolve: &dyn Fn(&str) -> Option<&'v Value>,
    ) -> Option<Relaxed> {
        if self.optional.contains(name) {
            return Some(Relaxed::Named);
        }
        let shape = Kind::of(schema, resolve);
        match self.trust {
            TrustRequired::All => None,
            _ if shape.fixed => None,
            TrustRequired::Numbers if shape.number && !shape.nullable => None,
            TrustRequired::Numbers | TrustRequired::None => Some(Relaxed::ByRule),
        }
    }
}

/// Why a required property may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relaxed {
    /// `x-hookgen.receive.optional` names it (documented on the field).
    Named,
    /// `x-hookgen.receive.trust-required` does not keep it (stated once, in the crate's
    /// README: on thousands of fields a note each would be noise).
    ByRule,
}

/// What the rule reads of a property's schema.
#[derive(Debug, Default)]
struct Kind {
    /// `const`, or an `enum` of one value.
    fixed: bool,
    /// Its type is `integer` or `number` (with or without `null`).
    number: bool,
    /// It admits `null`.
    nullable: bool,
}

impl Kind {
    fn of<'v>(schema: &'v Value, resolve: &dyn Fn(&str) -> Option<&'v Value>) -> Self {
        // Through a chain of `$ref`s (bounded: documents may loop).
        let resolve = |mut value: &'v Value| {
            for _ in 0..16 {
                match value.get("$ref").and_then(Value::as_str).and_then(resolve) {
                    Some(target) => value = target,
                    None => break,
                }
            }
            value
        };
        let mut kind = Kind::default();
        // A schema and the single-schema `allOf`s wrapping it (`allOf: [$ref]` adds a
        // description to a shared type); bounded, documents may loop.
        let mut current = resolve(schema);
        for _ in 0..8 {
            kind.fixed |= current.get("const").is_some()
                || current
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|values| values.iter().filter(|v| !v.is_null()).count() == 1);
            kind.nullable |= current.get("nullable").and_then(Value::as_bool) == Some(true)
                || current
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|values| values.iter().any(Value::is_null));
            match current.get("type") {
                Some(Value::String(t)) => {
                    kind.number |= t == "integer" || t == "number";
                    kind.nullable |= t == "null";
                }
                Some(Value::Array(types)) => {
                    let types: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
                    kind.nullable |= types.contains(&"null");
                    kind.number |= !types.is_empty()
                        && types
                            .iter()
                            .all(|t| matches!(*t, "integer" | "number" | "null"))
                        && types.iter().any(|t| *t != "null");
                }
                _ => {}
            }
            for union in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alternatives)) = current.get(union) {
                    kind.nullable |= alternatives
                        .iter()
                        .any(|a| resolve(a).get("type").and_then(Value::as_str) == Some("null"));
                }
            }
            match current
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                Some([only]) => current = resolve(only),
                _ => break,
            }
        }
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn relaxed(trust: TrustRequired, schema: Value) -> bool {
        Leniency::new(trust, [])
            .relaxes("p", &schema, &|_| None)
            .is_some()
    }

    #[test]
    fn numbers_and_fixed_values_stay_required_under_numbers() {
        use TrustRequired::*;
        for (schema, numbers, none) in [
            (json!({"type": "integer"}), false, true),
            (json!({"type": ["number"]}), false, true),
            (json!({"type": ["integer", "null"]}), true, true),
            (json!({"type": "integer", "nullable": true}), true, true),
            (json!({"type": "string"}), true, true),
            (json!({"type": "boolean"}), true, true),
            (json!({"type": "object"}), true, true),
            (json!({"type": "string", "enum": ["opened"]}), false, false),
            (json!({"const": "push"}), false, false),
            (json!({"type": "string", "enum": ["a", "b"]}), true, true),
            (json!({"allOf": [{"type": "integer"}]}), false, true),
            (
                json!({"anyOf": [{"type": "integer"}, {"type": "null"}]}),
                true,
                true,
            ),
        ] {
            assert!(!relaxed(All, schema.clone()), "{schema}");
            assert_eq!(relaxed(Numbers, schema.clone()), numbers, "{schema}");
            assert_eq!(relaxed(None, schema.clone()), none, "{schema}");
        }
    }

    #[test]
    fn named_properties_are_relaxed_whatever_the_rule() {
        let schema = json!({"type": "integer"});
        let leniency = Leniency::new(TrustRequired::All, ["p".to_owned()]);
        assert!(leniency.relaxes("p", &schema, &|_| None).is_some());
        assert!(leniency.relaxes("q", &schema, &|_| None).is_none());
    }

    #[test]
    fn references_are_followed() {
        let root = json!({"id": {"type": "integer"}, "loop": {"$ref": "#/loop"}});
        let resolve = |reference: &str| root.pointer(reference.strip_prefix('#')?);
        let leniency = Leniency::new(TrustRequired::Numbers, []);
        let (id, looping) = (json!({"$ref": "#/id"}), json!({"$ref": "#/loop"}));
        assert!(leniency.relaxes("p", &id, &resolve).is_none());
        assert!(leniency.relaxes("p", &looping, &resolve).is_some());
    }
}
