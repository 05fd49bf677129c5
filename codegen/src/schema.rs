//! Lowering of JSON Schema (the AsyncAPI 2.x Schema Object) into IR types.
//!
//! Policies, in one place:
//! - every `$ref` target becomes one named type (an alias for primitives), so shared
//!   schemas are emitted once and cycles close on a reserved id;
//! - inline objects, string enums and unions are named after where they sit
//!   (`FlagEvaluation` + `feature_state_value` → `FlagEvaluationFeatureStateValue`);
//! - `nullable: true`, a `null` in `type`, a `null` alternative of `oneOf`/`anyOf` or a
//!   `null` enum value all make the value nullable;
//! - string `enum`s and string `const`s become enums that keep unknown values;
//! - `format`s (`date-time`, `email`, `uuid`, …) stay `String` (lossless), noted in docs;
//! - `allOf` of objects is merged into one struct.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::ir::{
    EnumVariant, Field, IntWidth, Ty, TypeDef, TypeId, TypeKind, TypeSpace, UnionVariant,
};
use crate::naming::{NameScope, field_name, type_name};
use crate::resolve::Resolver;

/// Deepest schema nesting lowered before reporting an error.
const MAX_DEPTH: usize = 64;

/// A lowered schema: its type and whether it admits `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The type without nullability.
    pub ty: Ty,
    /// The schema admits `null`.
    pub nullable: bool,
}

/// Builds the [`TypeSpace`] of one spec.
pub struct SchemaLowering<'a> {
    resolver: Resolver<'a>,
    types: TypeSpace,
    by_pointer: BTreeMap<String, TypeId>,
    names: NameScope,
    diagnostics: Diagnostics,
    depth: usize,
}

impl<'a> SchemaLowering<'a> {
    /// Starts an empty type table; `reserved` names are never given to types.
    pub fn new(resolver: Resolver<'a>, reserved: &[&str]) -> Self {
        Self {
            resolver,
            types: TypeSpace::default(),
            by_pointer: BTreeMap::new(),
            names: NameScope::with_reserved(reserved),
            diagnostics: Diagnostics::default(),
            depth: 0,
        }
    }

    /// The finished table and every problem met.
    pub fn finish(mut self) -> (TypeSpace, Diagnostics) {
        box_cycles(&mut self.types);
        (self.types, self.diagnostics)
    }

    /// Lowers the schema `schema` found at `pointer`; `hint` names it if it needs a name.
    pub fn lower(&mut self, schema: &Value, pointer: &str, hint: &str) -> Shape {
        if self.depth >= MAX_DEPTH {
            self.error(
                pointer,
                format!("schema nesting deeper than {MAX_DEPTH} levels"),
            );
            return Shape {
                ty: Ty::Json,
                nullable: false,
            };
        }
        self.depth += 1;
        let shape = self.lower_inner(schema, pointer, hint);
        self.depth -= 1;
        shape
    }

    /// Lowers the schema at `pointer` as a named type, even if it is a primitive.
    pub fn lower_named(&mut self, schema: &Value, pointer: &str, name: &str) -> Shape {
        if schema.get("$ref").is_some() {
            return self.lower(schema, pointer, name);
        }
        self.named_target(pointer.to_owned(), schema, name)
    }

    fn error(&mut self, pointer: &str, message: String) {
        self.diagnostics
            .push(Diagnostic::at(self.resolver.file(), pointer, message));
    }

    fn lower_inner(&mut self, schema: &Value, pointer: &str, hint: &str) -> Shape {
        let Some(map) = schema.as_object() else {
            return match schema {
                // `true` / `{}` accept anything; `false` accepts nothing, which we cannot type.
                Value::Bool(true) => Shape {
                    ty: Ty::Json,
                    nullable: false,
                },
                _ => {
                    self.error(pointer, "a schema must be an object or `true`".into());
                    Shape {
                        ty: Ty::Json,
                        nullable: false,
                    }
                }
            };
        };
        if map.contains_key("$ref") {
            return match self.resolver.follow(schema, pointer) {
                Ok((target_pointer, target)) => {
                    let name = ref_name(&target_pointer).unwrap_or(hint).to_owned();
                    self.named_target(target_pointer, target, &name)
                }
                Err(d) => {
                    self.diagnostics.push(d);
                    Shape {
                        ty: Ty::Json,
                        nullable: false,
                    }
                }
            };
        }
        let nullable_keyword = map.get("nullable").and_then(Value::as_bool) == Some(true);
        let mut shape = self.lower_structure(map, pointer, hint);
        shape.nullable |= nullable_keyword;
        shape
    }

    /// A `$ref` target (or a component): one named type per pointer.
    fn named_target(&mut self, target_pointer: String, target: &Value, name: &str) -> Shape {
        let nullable = is_nullable(target);
        if let Some(id) = self.by_pointer.get(&target_pointer) {
            return Shape {
                ty: Ty::Named(*id),
                nullable,
            };
        }
        let id = TypeId(self.types.types.len());
        let name = self.names.claim(type_name(name, "Schema"));
        self.by_pointer.insert(target_pointer.clone(), id);
        // Reserve the id first so a cycle back to this schema finds it.
        self.types.types.insert(
            id,
            TypeDef {
                name: name.clone(),
                doc: Vec::new(),
                origin: target_pointer.clone(),
                kind: TypeKind::Alias(Ty::Json),
            },
        );
        let shape = match target.as_object() {
            Some(map) => self.lower_structure_as(map, &target_pointer, &name, Some(id)),
            None => self.lower(target, &target_pointer, &name),
        };
        if shape.ty != Ty::Named(id) {
            let doc = schema_doc(target);
            if let Some(def) = self.types.types.get_mut(&id) {
                def.doc = doc;
                def.kind = TypeKind::Alias(shape.ty);
            }
        }
        Shape {
            ty: Ty::Named(id),
            nullable: nullable || shape.nullable,
        }
    }

    fn lower_structure(&mut self, map: &Map<String, Value>, pointer: &str, hint: &str) -> Shape {
        self.lower_structure_as(map, pointer, hint, None)
    }

    /// Lowers a schema object; a type it defines takes the id `reserved` if given.
    fn lower_structure_as(
        &mut self,
        map: &Map<String, Value>,
        pointer: &str,
        hint: &str,
        reserved: Option<TypeId>,
    ) -> Shape {
        let doc = schema_doc_map(map);
        let mut nullable = map.get("nullable").and_then(Value::as_bool) == Some(true);

        if let Some(parts) = map.get("allOf").and_then(Value::as_array) {
            return self.lower_all_of(map, parts, pointer, hint, reserved);
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = map.get(keyword).and_then(Value::as_array) {
                let at = child(pointer, keyword);
                return self.lower_union(alternatives, &at, hint, doc, reserved, nullable);
            }
        }

        let types = schema_types(map);
        nullable |= types.iter().any(|t| t == "null");
        let non_null: Vec<&str> = types
            .iter()
            .map(String::as_str)
            .filter(|t| *t != "null")
            .collect();

        // String enums and consts: enums that keep unknown values.
        let values = enum_values(map);
        if let Some(values) = &values {
            nullable |= values.iter().any(Value::is_null);
            let strings: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            let all_strings = strings.len() == values.iter().filter(|v| !v.is_null()).count();
            if all_strings && !strings.is_empty() && non_null.iter().all(|t| *t == "string") {
                let ty = self.string_enum(&strings, pointer, hint, doc, reserved);
                return Shape { ty, nullable };
            }
        }

        let ty = match non_null.as_slice() {
            [] if map.contains_key("properties") || map.contains_key("additionalProperties") => {
                self.object(map, pointer, hint, doc, reserved)
            }
            [] => Ty::Json,
            ["object"] => self.object(map, pointer, hint, doc, reserved),
            ["array"] => self.array(map, pointer, hint),
            ["string"] => Ty::String,
            ["integer"] => Ty::Integer(match map.get("format").and_then(Value::as_str) {
                Some("int32") => IntWidth::I32,
                _ => IntWidth::I64,
            }),
            ["number"] => Ty::Number,
            ["boolean"] => Ty::Bool,
            ["null"] => Ty::Null,
            [single] => {
                let at = child(pointer, "type");
                self.error(&at, format!("unknown schema type `{single}`"));
                Ty::Json
            }
            several => {
                let alternatives: Vec<Value> = several
                    .iter()
                    .map(|t| {
                        let mut alt = map.clone();
                        alt.insert("type".into(), Value::String((*t).to_owned()));
                        Value::Object(alt)
                    })
                    .collect();
                return self.lower_union(&alternatives, pointer, hint, doc, reserved, nullable);
            }
        };
        Shape { ty, nullable }
    }

    /// `reserved`, or a new id named after `hint` (its definition filled in later).
    fn reserve(&mut self, reserved: Option<TypeId>, hint: &str, origin: &str) -> TypeId {
        reserved.unwrap_or_else(|| {
            let id = TypeId(self.types.types.len());
            let name = self.names.claim(type_name(hint, "Schema"));
            self.types.types.insert(
                id,
                TypeDef {
                    name,
                    doc: Vec::new(),
                    origin: origin.to_owned(),
                    kind: TypeKind::Alias(Ty::Json),
                },
            );
            id
        })
    }

    /// Defines the type `reserved` (or a new one named after `hint`) as `kind`.
    fn define(
        &mut self,
        reserved: Option<TypeId>,
        hint: &str,
        origin: &str,
        doc: Vec<String>,
        kind: TypeKind,
    ) -> Ty {
        let id = self.reserve(reserved, hint, origin);
        if let Some(def) = self.types.types.get_mut(&id) {
            def.doc = doc;
            def.kind = kind;
        }
        Ty::Named(id)
    }

    fn string_enum(
        &mut self,
        values: &[&str],
        pointer: &str,
        hint: &str,
        doc: Vec<String>,
        reserved: Option<TypeId>,
    ) -> Ty {
        let mut scope = NameScope::default();
        let mut seen = std::collections::BTreeSet::new();
        let variants: Vec<EnumVariant> = values
            .iter()
            .filter(|v| seen.insert(**v))
            .map(|v| EnumVariant {
                wire: (*v).to_owned(),
                ident: scope.claim(type_name(v, "Empty")),
            })
            .collect();
        let fallback = scope.claim("Unknown".to_owned());
        self.define(
            reserved,
            hint,
            pointer,
            doc,
            TypeKind::StringEnum { variants, fallback },
        )
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        pointer: &str,
        hint: &str,
        doc: Vec<String>,
        reserved: Option<TypeId>,
    ) -> Ty {
        let properties = map.get("properties").and_then(Value::as_object);
        let additional = map.get("additionalProperties");
        let additional_pointer = child(pointer, "additionalProperties");
        let additional_ty = match additional {
            None | Some(Value::Bool(true)) => Some(Ty::Json),
            Some(Value::Bool(false)) => None,
            Some(schema) => {
                Some(self.field_ty(schema, &additional_pointer, &format!("{hint}Value")))
            }
        };
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            // A map: no declared properties.
            return match additional_ty {
                Some(Ty::Json) | None => match reserved {
                    Some(_) => self.define(
                        reserved,
                        hint,
                        pointer,
                        doc,
                        TypeKind::Alias(Ty::JsonObject),
                    ),
                    None => Ty::JsonObject,
                },
                Some(value) => {
                    let ty = Ty::Map(Box::new(value));
                    match reserved {
                        Some(_) => self.define(reserved, hint, pointer, doc, TypeKind::Alias(ty)),
                        None => ty,
                    }
                }
            };
        };
        // Reserve the struct's id before its fields, so self-references find it.
        let id = self.reserve(reserved, hint, pointer);
        let struct_name = self.types.name(id).to_owned();
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        let mut scope = NameScope::default();
        let properties_pointer = child(pointer, "properties");
        for (wire, schema) in properties {
            let at = child(&properties_pointer, wire);
            let field_hint = format!("{struct_name}_{wire}");
            let shape = self.lower(schema, &at, &field_hint);
            fields.push(Field {
                wire: wire.clone(),
                ident: scope.claim(field_name(wire, "field")),
                ty: shape.ty,
                required: required.contains(&wire.as_str()),
                nullable: shape.nullable,
                doc: if schema.get("$ref").is_some() {
                    Vec::new()
                } else {
                    schema_doc(schema)
                },
            });
        }
        // Extra properties are kept only when the schema says what they are (or says `true`
        // explicitly); an absent `additionalProperties` tolerates and drops them.
        let additional = match additional {
            Some(Value::Bool(true)) | Some(Value::Object(_)) => additional_ty,
            _ => None,
        };
        self.define(
            Some(id),
            hint,
            pointer,
            doc,
            TypeKind::Struct { fields, additional },
        )
    }

    fn field_ty(&mut self, schema: &Value, pointer: &str, hint: &str) -> Ty {
        let shape = self.lower(schema, pointer, hint);
        if shape.nullable && shape.ty != Ty::Json && shape.ty != Ty::Null {
            // `Option` inside containers: emit as JSON to keep it lossless and simple.
            Ty::Json
        } else {
            shape.ty
        }
    }

    fn array(&mut self, map: &Map<String, Value>, pointer: &str, hint: &str) -> Ty {
        match map.get("items") {
            Some(items @ Value::Object(_)) | Some(items @ Value::Bool(_)) => {
                let at = child(pointer, "items");
                Ty::Array(Box::new(self.field_ty(items, &at, &format!("{hint}Item"))))
            }
            // Tuple `items: [...]` and missing `items`: a list of any JSON values.
            _ => Ty::Array(Box::new(Ty::Json)),
        }
    }

    fn lower_union(
        &mut self,
        alternatives: &[Value],
        pointer: &str,
        hint: &str,
        doc: Vec<String>,
        reserved: Option<TypeId>,
        mut nullable: bool,
    ) -> Shape {
        let mut kept = Vec::new();
        for (i, alternative) in alternatives.iter().enumerate() {
            let at = child(pointer, &i.to_string());
            let resolved = self
                .resolver
                .follow(alternative, &at)
                .map(|(_, v)| v)
                .unwrap_or(alternative);
            if resolved.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                kept.push((at, alternative));
            }
        }
        if let [(at, only)] = kept.as_slice() {
            let shape = self.lower(only, at, hint);
            return match reserved {
                Some(_) => {
                    let ty = self.define(reserved, hint, pointer, doc, TypeKind::Alias(shape.ty));
                    Shape {
                        ty,
                        nullable: nullable || shape.nullable,
                    }
                }
                None => Shape {
                    ty: shape.ty,
                    nullable: nullable || shape.nullable,
                },
            };
        }
        if kept.is_empty() {
            return Shape {
                ty: Ty::Null,
                nullable: false,
            };
        }
        let id = self.reserve(reserved, hint, pointer);
        let union_name = self.types.name(id).to_owned();
        let mut scope = NameScope::default();
        let mut variants = Vec::new();
        for (i, (at, alternative)) in kept.into_iter().enumerate() {
            let label = variant_label(alternative, self.resolver, i);
            let ident = scope.claim(type_name(&label, "Variant"));
            let shape = self.lower(alternative, &at, &format!("{union_name}{ident}"));
            let ty = if shape.nullable { Ty::Json } else { shape.ty };
            variants.push(UnionVariant { ident, ty });
        }
        self.define(Some(id), hint, pointer, doc, TypeKind::Union { variants });
        Shape {
            ty: Ty::Named(id),
            nullable,
        }
    }

    fn lower_all_of(
        &mut self,
        outer: &Map<String, Value>,
        parts: &[Value],
        pointer: &str,
        hint: &str,
        reserved: Option<TypeId>,
    ) -> Shape {
        let at = child(pointer, "allOf");
        let mut merged = Map::new();
        let mut properties = Map::new();
        let mut required: Vec<Value> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let part_pointer = child(&at, &i.to_string());
            let Ok((_, resolved)) = self.resolver.follow(part, &part_pointer) else {
                continue;
            };
            let Some(part) = resolved.as_object() else {
                continue;
            };
            if part.contains_key("allOf")
                || part.contains_key("oneOf")
                || part.contains_key("anyOf")
            {
                self.error(&part_pointer, "nested `allOf`/`oneOf`/`anyOf` inside `allOf` is not supported; the value is typed as JSON".into());
                return Shape {
                    ty: Ty::Json,
                    nullable: false,
                };
            }
            for (k, v) in part {
                match k.as_str() {
                    "properties" => {
                        if let Some(p) = v.as_object() {
                            properties.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
                        }
                    }
                    "required" => required.extend(v.as_array().into_iter().flatten().cloned()),
                    _ => {
                        merged.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        for (k, v) in outer {
            match k.as_str() {
                "allOf" => {}
                "properties" => {
                    if let Some(p) = v.as_object() {
                        properties.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                }
                "required" => required.extend(v.as_array().into_iter().flatten().cloned()),
                _ => {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        if !properties.is_empty() {
            merged.insert("properties".into(), Value::Object(properties));
            merged
                .entry("type".to_owned())
                .or_insert_with(|| "object".into());
        }
        if !required.is_empty() {
            merged.insert("required".into(), Value::Array(required));
        }
        self.lower_structure_as(&merged, pointer, hint, reserved)
    }
}

/// The name a `$ref` target suggests: the last token of its pointer, or for a message
/// payload (`/components/messages/X/payload`), `XPayload`.
fn ref_name(pointer: &str) -> Option<&str> {
    let last = pointer.rsplit('/').next()?;
    (!last.is_empty() && !matches!(last, "payload" | "headers" | "items" | "schema"))
        .then_some(last)
}

/// A label for a union alternative: its `$ref` name, `title`, or type.
fn variant_label(alternative: &Value, resolver: Resolver<'_>, index: usize) -> String {
    if let Some(reference) = alternative.get("$ref").and_then(Value::as_str) {
        if let Some(name) = reference.rsplit('/').next() {
            return name.to_owned();
        }
    }
    let resolved = resolver
        .follow(alternative, "")
        .map(|(_, v)| v)
        .unwrap_or(alternative);
    if let Some(title) = resolved.get("title").and_then(Value::as_str) {
        return title.to_owned();
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some(t) => t.to_owned(),
        None => format!("Variant{index}"),
    }
}

/// The `type` keyword as a list (`"string"` → `["string"]`).
fn schema_types(map: &Map<String, Value>) -> Vec<String> {
    match map.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// The values allowed by `enum` or `const`.
pub fn enum_values(map: &Map<String, Value>) -> Option<Vec<Value>> {
    if let Some(c) = map.get("const") {
        return Some(vec![c.clone()]);
    }
    map.get("enum").and_then(Value::as_array).cloned()
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|ts| ts.iter().any(|t| t == "null"))
}

/// Documentation lines for a schema: title, description, and notes on what Rust does not enforce.
pub fn schema_doc(schema: &Value) -> Vec<String> {
    schema.as_object().map(schema_doc_map).unwrap_or_default()
}

fn schema_doc_map(map: &Map<String, Value>) -> Vec<String> {
    let mut doc = Vec::new();
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    if let Some(title) = text("title") {
        doc.push(title.to_owned());
    }
    if let Some(description) = text("description") {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.extend(description.lines().map(str::to_owned));
    }
    let mut notes = Vec::new();
    if let Some(format) = text("format") {
        notes.push(format!("Format: `{format}` (kept as written)."));
    }
    if let Some(example) = map.get("example") {
        notes.push(format!("Example: `{example}`."));
    }
    if !notes.is_empty() {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.extend(notes);
    }
    doc
}

/// Wraps in `Box` every struct field whose type leads back to the struct without
/// passing through a `Vec` or map (which already allocate).
fn box_cycles(types: &mut TypeSpace) {
    let direct = |ty: &Ty| -> Option<TypeId> {
        match ty {
            Ty::Named(id) => Some(*id),
            _ => None,
        }
    };
    let edges: BTreeMap<TypeId, Vec<TypeId>> = types
        .types
        .iter()
        .map(|(id, def)| {
            let targets = match &def.kind {
                TypeKind::Struct { fields, .. } => {
                    fields.iter().filter_map(|f| direct(&f.ty)).collect()
                }
                TypeKind::Union { variants } => {
                    variants.iter().filter_map(|v| direct(&v.ty)).collect()
                }
                TypeKind::Alias(ty) => direct(ty).into_iter().collect(),
                TypeKind::StringEnum { .. } => Vec::new(),
            };
            (*id, targets)
        })
        .collect();
    let reaches = |from: TypeId, to: TypeId| -> bool {
        let mut stack = vec![from];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(id) = stack.pop() {
            if id == to {
                return true;
            }
            if seen.insert(id) {
                stack.extend(edges.get(&id).into_iter().flatten().copied());
            }
        }
        false
    };
    let ids: Vec<TypeId> = types.types.keys().copied().collect();
    for id in ids {
        let Some(def) = types.types.get(&id) else {
            continue;
        };
        let boxed: Vec<bool> = match &def.kind {
            TypeKind::Struct { fields, .. } => fields
                .iter()
                .map(|f| direct(&f.ty).is_some_and(|t| reaches(t, id)))
                .collect(),
            TypeKind::Union { variants } => variants
                .iter()
                .map(|v| direct(&v.ty).is_some_and(|t| reaches(t, id)))
                .collect(),
            _ => continue,
        };
        if let Some(def) = types.types.get_mut(&id) {
            let tys: Vec<&mut Ty> = match &mut def.kind {
                TypeKind::Struct { fields, .. } => fields.iter_mut().map(|f| &mut f.ty).collect(),
                TypeKind::Union { variants } => variants.iter_mut().map(|v| &mut v.ty).collect(),
                _ => Vec::new(),
            };
            for (ty, boxed) in tys.into_iter().zip(boxed) {
                if boxed {
                    *ty = Ty::Boxed(Box::new(ty.clone()));
                }
            }
        }
    }
}
