//! Values drawn from a JSON Schema, for the property tests (proptest strategies).
//!
//! A [`Drawn`] value is valid for its schema in every shape the schema allows: optional
//! fields present and absent, `null` where `nullable`, unknown extra fields where the
//! schema does not close the object, and unknown values of string enums. With it come
//! what the generated code must give back (`expected`: extra fields dropped where the
//! generated type does not keep them) and the ways to break it ([`Break`]: a removed
//! `required` field, a field of the wrong `type`).
//!
//! Only local `$ref`s (`#/…`) are followed; the specs are bundled before they get here.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Schemas nest at most this deep before a draw gives up on optional parts.
const MAX_DEPTH: usize = 12;

/// A value drawn from a schema.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// The value as sent.
    pub value: Value,
    /// The value the generated code must give back after a round trip.
    pub expected: Value,
    /// False when the value holds something the schema rejects on purpose (an unknown
    /// enum value, which the generated code must keep).
    pub strict: bool,
    /// Ways to make the value invalid.
    pub breaks: Vec<Break>,
}

/// One change that makes a value invalid for its schema.
#[derive(Debug, Clone)]
pub struct Break {
    /// The object to change: keys and indices from the root.
    pub at: Vec<Step>,
    /// What to change in it.
    pub change: Change,
}

/// A step into a JSON value.
#[derive(Debug, Clone)]
pub enum Step {
    /// An object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// What a [`Break`] changes.
#[derive(Debug, Clone)]
pub enum Change {
    /// Removes a `required` field.
    Remove(String),
    /// Replaces a field's value with one of a type the schema does not allow.
    Replace(String, Value),
}

impl Break {
    /// `value` with this break applied.
    pub fn apply(&self, value: &Value) -> Value {
        let mut value = value.clone();
        let mut target = &mut value;
        for step in &self.at {
            target = match step {
                Step::Key(k) => &mut target[k.as_str()],
                Step::Index(i) => &mut target[*i],
            };
        }
        if let Value::Object(map) = target {
            match &self.change {
                Change::Remove(key) => {
                    map.shift_remove(key);
                }
                Change::Replace(key, wrong) => {
                    map.insert(key.clone(), wrong.clone());
                }
            }
        }
        value
    }

    fn under(mut self, step: Step) -> Self {
        self.at.insert(0, step);
        self
    }
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path: String = self
            .at
            .iter()
            .map(|s| match s {
                Step::Key(k) => format!("/{k}"),
                Step::Index(i) => format!("/{i}"),
            })
            .collect();
        match &self.change {
            Change::Remove(key) => write!(f, "removed required {path}/{key}"),
            Change::Replace(key, v) => write!(f, "set {path}/{key} to {v} (wrong type)"),
        }
    }
}

/// How to draw: the document the schema's `$ref`s point into, and the top-level field
/// that names the message (always given one of the message's values).
pub struct Drawer<'a> {
    root: &'a Value,
    discriminator: Option<(&'a str, Vec<String>)>,
}

impl<'a> Drawer<'a> {
    /// A drawer for schemas of `root`.
    pub fn new(root: &'a Value) -> Self {
        Self {
            root,
            discriminator: None,
        }
    }

    /// The top-level object's `field` always holds one of `values`.
    pub fn discriminator(mut self, field: &'a str, values: Vec<String>) -> Self {
        self.discriminator = Some((field, values));
        self
    }

    /// The strategy for values of `schema`.
    pub fn strategy(&self, schema: &Value) -> BoxedStrategy<Drawn> {
        self.draw(schema, 0, true)
    }

    fn draw(&self, schema: &Value, depth: usize, top: bool) -> BoxedStrategy<Drawn> {
        let schema = self.flatten(schema, 0);
        if depth > MAX_DEPTH {
            return Just(plain(Value::Null)).boxed();
        }
        let Value::Object(map) = &schema else {
            // `true` or `{}`-like: anything.
            return any_json().prop_map(plain).boxed();
        };
        if let Some(c) = map.get("const") {
            return Just(plain(c.clone())).boxed();
        }
        let nullable = map.get("nullable") == Some(&Value::Bool(true));
        let strategy = if let Some(Value::Array(values)) = map.get("enum") {
            enum_values(values, types(map).as_slice())
        } else if let Some(alternatives) = map
            .get("oneOf")
            .or_else(|| map.get("anyOf"))
            .and_then(Value::as_array)
        {
            // A value valid for one alternative; breaking inside may make it fit another.
            let options: Vec<_> = alternatives
                .iter()
                .map(|a| {
                    self.draw(a, depth + 1, false)
                        .prop_map(|d| Drawn {
                            breaks: Vec::new(),
                            ..d
                        })
                        .boxed()
                })
                .collect();
            proptest::strategy::Union::new(options).boxed()
        } else {
            let tys = types(map);
            let mut options: Vec<BoxedStrategy<Drawn>> = tys
                .iter()
                .filter(|t| *t != "null")
                .map(|t| self.draw_type(t, map, depth, top))
                .collect();
            if tys.iter().any(|t| t == "null") {
                options.push(Just(plain(Value::Null)).boxed());
            }
            if options.is_empty() {
                any_json().prop_map(plain).boxed()
            } else {
                proptest::strategy::Union::new(options).boxed()
            }
        };
        if nullable {
            prop_oneof![1 => Just(plain(Value::Null)), 3 => strategy].boxed()
        } else {
            strategy
        }
    }

    fn draw_type(
        &self,
        ty: &str,
        map: &Map<String, Value>,
        depth: usize,
        top: bool,
    ) -> BoxedStrategy<Drawn> {
        let number = |key: &str| map.get(key).and_then(Value::as_f64);
        match ty {
            "string" => string_for(map)
                .prop_map(|s| plain(Value::String(s)))
                .boxed(),
            "integer" => {
                let int32 = map.get("format").and_then(Value::as_str) == Some("int32");
                let (mut lo, mut hi) = if int32 {
                    (i64::from(i32::MIN), i64::from(i32::MAX))
                } else {
                    (i64::MIN, i64::MAX)
                };
                if let Some(m) = number("minimum") {
                    lo = lo.max(m.ceil() as i64);
                }
                if let Some(m) = number("exclusiveMinimum") {
                    lo = lo.max(m.floor() as i64 + 1);
                }
                if let Some(m) = number("maximum") {
                    hi = hi.min(m.floor() as i64);
                }
                if let Some(m) = number("exclusiveMaximum") {
                    hi = hi.min(m.ceil() as i64 - 1);
                }
                prop_oneof![
                    (lo..=hi).prop_map(|n| plain(json!(n))),
                    Just(plain(json!(lo))),
                    Just(plain(json!(hi))),
                ]
                .boxed()
            }
            "number" => {
                let lo = number("minimum").unwrap_or(-1e12);
                let hi = number("maximum").unwrap_or(1e12);
                (lo..=hi)
                    .prop_map(|n| plain(Value::from(n)))
                    .prop_filter("finite", |d| d.value.is_f64())
                    .boxed()
            }
            "boolean" => any::<bool>().prop_map(|b| plain(json!(b))).boxed(),
            "array" => self.draw_array(map, depth),
            "object" => self.draw_object(map, depth, top),
            _ => any_json().prop_map(plain).boxed(),
        }
    }

    fn draw_array(&self, map: &Map<String, Value>, depth: usize) -> BoxedStrategy<Drawn> {
        let min = map.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
        let max = map
            .get("maxItems")
            .and_then(Value::as_u64)
            .map_or(min + 3, |m| m as usize);
        let item = match map.get("items") {
            Some(Value::Array(tuple)) => {
                let parts: Vec<_> = tuple
                    .iter()
                    .map(|s| self.draw(s, depth + 1, false))
                    .collect();
                return parts
                    .prop_map(|parts| combine_array(parts.into_iter()))
                    .boxed();
            }
            Some(items) => self.draw(items, depth + 1, false),
            None => any_json().prop_map(plain).boxed(),
        };
        proptest::collection::vec(item, min..=max.max(min))
            .prop_map(|parts| combine_array(parts.into_iter()))
            .boxed()
    }

    fn draw_object(
        &self,
        map: &Map<String, Value>,
        depth: usize,
        top: bool,
    ) -> BoxedStrategy<Drawn> {
        let empty = Map::new();
        let properties = map
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        // What the generated type does with fields the schema does not name.
        let extras = match map.get("additionalProperties") {
            Some(Value::Bool(false)) => Extras::Refused,
            None if !properties.is_empty() => Extras::Dropped,
            None | Some(Value::Bool(true)) => Extras::Kept(Value::Bool(true)),
            Some(schema) => Extras::Kept(schema.clone()),
        };
        let mut fields: Vec<BoxedStrategy<Option<Field>>> = Vec::new();
        for (key, schema) in properties {
            let is_required = required.contains(&key.as_str());
            let resolved = self.flatten(schema, 0);
            let mut own_breaks = Vec::new();
            let discriminator = self
                .discriminator
                .as_ref()
                .filter(|(field, _)| top && field == key);
            let value = if let Some((_, values)) = discriminator {
                proptest::sample::select(values.clone())
                    .prop_map(|v| plain(Value::String(v)))
                    .boxed()
            } else {
                if let Some(wrong) = wrong_type(&resolved) {
                    own_breaks.push(Break {
                        at: Vec::new(),
                        change: Change::Replace(key.clone(), wrong),
                    });
                }
                if is_required && !accepts_null(&resolved) {
                    own_breaks.push(Break {
                        at: Vec::new(),
                        change: Change::Remove(key.clone()),
                    });
                }
                self.draw(schema, depth + 1, false)
            };
            let key = key.clone();
            let field = value.prop_map(move |d| Some((key.clone(), d, own_breaks.clone())));
            fields.push(if is_required || discriminator.is_some() {
                field.boxed()
            } else {
                prop_oneof![Just(None), field].boxed()
            });
        }
        let extra_values = match &extras {
            Extras::Refused => Just(Vec::new()).boxed(),
            Extras::Dropped => proptest::collection::vec(any_json().prop_map(plain), 0..3).boxed(),
            Extras::Kept(schema) => {
                proptest::collection::vec(self.draw(schema, depth + 1, false), 0..3).boxed()
            }
        };
        let keep_extras = matches!(extras, Extras::Kept(_));
        let names: Vec<String> = properties.keys().cloned().collect();
        (fields, extra_values)
            .prop_map(move |(fields, extra_values)| {
                let mut value = Map::new();
                let mut expected = Map::new();
                let mut strict = true;
                let mut breaks = Vec::new();
                for (key, drawn, own) in fields.into_iter().flatten() {
                    value.insert(key.clone(), drawn.value);
                    expected.insert(key.clone(), drawn.expected);
                    strict &= drawn.strict;
                    breaks.extend(own);
                    breaks.extend(
                        drawn
                            .breaks
                            .into_iter()
                            .map(|b| b.under(Step::Key(key.clone()))),
                    );
                }
                for (n, drawn) in extra_values.into_iter().enumerate() {
                    let mut key = format!("hookgen_extra_{n}");
                    while names.contains(&key) {
                        key.push('_');
                    }
                    value.insert(key.clone(), drawn.value);
                    if keep_extras {
                        expected.insert(key, drawn.expected);
                        strict &= drawn.strict;
                    }
                }
                Drawn {
                    value: Value::Object(value),
                    expected: Value::Object(expected),
                    strict,
                    breaks,
                }
            })
            .boxed()
    }

    /// The schema with `$ref`s followed and `allOf` merged into one object schema.
    fn flatten(&self, schema: &Value, hops: usize) -> Value {
        let Value::Object(map) = schema else {
            return schema.clone();
        };
        if let Some(target) = map.get("$ref").and_then(Value::as_str) {
            let pointer = target.strip_prefix('#').unwrap_or(target);
            return match self.root.pointer(pointer) {
                Some(resolved) if hops < 64 => self.flatten(resolved, hops + 1),
                _ => panic!("cannot follow $ref {target}"),
            };
        }
        let Some(Value::Array(parts)) = map.get("allOf") else {
            return schema.clone();
        };
        let mut merged = map.clone();
        merged.remove("allOf");
        for part in parts {
            if let Value::Object(part) = self.flatten(part, hops + 1) {
                merge_into(&mut merged, part);
            }
        }
        Value::Object(merged)
    }
}

/// A drawn object member: its key, its value, and the breaks of the member itself.
type Field = (String, Drawn, Vec<Break>);

enum Extras {
    Refused,
    Dropped,
    Kept(Value),
}

fn plain(value: Value) -> Drawn {
    Drawn {
        expected: value.clone(),
        value,
        strict: true,
        breaks: Vec::new(),
    }
}

fn merge_into(merged: &mut Map<String, Value>, part: Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), merged.get_mut(&key), value) {
            ("properties", Some(Value::Object(into)), Value::Object(from)) => {
                for (name, schema) in from {
                    match into.get_mut(&name) {
                        Some(existing) => {
                            *existing = json!({ "allOf": [existing.clone(), schema] });
                        }
                        None => {
                            into.insert(name, schema);
                        }
                    }
                }
            }
            ("required", Some(Value::Array(into)), Value::Array(from)) => {
                for name in from {
                    if !into.contains(&name) {
                        into.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                merged.insert(key, value);
            }
        }
    }
}

/// The `type` keyword as a list (`nullable` aside); `object` when only properties say so.
fn types(map: &Map<String, Value>) -> Vec<String> {
    match map.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ if map.contains_key("properties") || map.contains_key("additionalProperties") => {
            vec!["object".to_owned()]
        }
        _ if map.contains_key("items") => vec!["array".to_owned()],
        _ => Vec::new(),
    }
}

fn accepts_null(schema: &Value) -> bool {
    let Value::Object(map) = schema else {
        return true;
    };
    map.get("nullable") == Some(&Value::Bool(true))
        || types(map).iter().any(|t| t == "null")
        || (types(map).is_empty() && !map.contains_key("enum") && !map.contains_key("const"))
        || map
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|e| e.contains(&Value::Null))
}

/// A value of a type `schema` does not allow, when it names its types.
fn wrong_type(schema: &Value) -> Option<Value> {
    let Value::Object(map) = schema else {
        return None;
    };
    let tys = types(map);
    if tys.is_empty() || map.contains_key("oneOf") || map.contains_key("anyOf") {
        return None;
    }
    let allowed = |t: &str| {
        tys.iter()
            .any(|x| x == t || (t == "integer" && x == "number"))
    };
    [
        json!("hookgen-wrong-type"),
        json!(12.5),
        json!(true),
        json!([1]),
        json!({ "hookgen": 1 }),
    ]
    .into_iter()
    .find(|v| {
        let t = match v {
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            _ => "object",
        };
        !allowed(t)
    })
}

/// Known values of an enum, and for an enum of strings also unknown ones, which the
/// generated string enums keep (`Unknown(String)`).
fn enum_values(values: &[Value], tys: &[String]) -> BoxedStrategy<Drawn> {
    let known = proptest::sample::select(values.to_vec()).prop_map(plain);
    let all_strings = values.iter().all(|v| v.is_string() || v.is_null())
        && (tys.is_empty() || tys.iter().all(|t| t == "string" || t == "null"));
    if all_strings && values.iter().filter(|v| v.is_string()).count() > 1 {
        let unknown = "[a-z]{1,8}\\.unknown".prop_map(|s| Drawn {
            strict: false,
            ..plain(Value::String(s))
        });
        prop_oneof![3 => known, 1 => unknown].boxed()
    } else {
        known.boxed()
    }
}

/// Strings in the schema's `format`, `pattern` and length bounds.
fn string_for(map: &Map<String, Value>) -> BoxedStrategy<String> {
    let regex = match map.get("format").and_then(Value::as_str) {
        Some("date-time") => {
            "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]0[0-9]:00)"
                .to_owned()
        }
        Some("date") => "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])".to_owned(),
        Some("uri" | "url") => "https://[a-z]{1,10}\\.example/[a-z0-9/]{0,12}".to_owned(),
        Some("email") => "[a-z]{1,8}@[a-z]{1,8}\\.example".to_owned(),
        Some("uuid") => "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}".to_owned(),
        _ => match map.get("pattern").and_then(Value::as_str) {
            Some(p) => p.to_owned(),
            None => {
                let min = map.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                let max = map.get("maxLength").and_then(Value::as_u64).unwrap_or(min + 16);
                format!("\\PC{{{min},{max}}}")
            }
        },
    };
    proptest::string::string_regex(&regex)
        .unwrap_or_else(|e| panic!("cannot draw strings for /{regex}/: {e}"))
        .boxed()
}

fn combine_array(parts: impl Iterator<Item = Drawn>) -> Drawn {
    let mut value = Vec::new();
    let mut expected = Vec::new();
    let mut strict = true;
    let mut breaks = Vec::new();
    for (i, drawn) in parts.enumerate() {
        value.push(drawn.value);
        expected.push(drawn.expected);
        strict &= drawn.strict;
        breaks.extend(drawn.breaks.into_iter().map(|b| b.under(Step::Index(i))));
    }
    Drawn {
        value: Value::Array(value),
        expected: Value::Array(expected),
        strict,
        breaks,
    }
}

/// Any small JSON value.
pub fn any_json() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_]{1,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}
