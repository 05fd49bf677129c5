//! Lowering of JSON Schema (the AsyncAPI 2.x and 3.x Schema Object) into IR types.
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
//! - `allOf` of objects is merged into one struct; each merged property is lowered where
//!   it is written, and a merge that pulls in a `$ref` is a named type per place, so a
//!   schema that reaches itself through `allOf` is a boxed type, not an endless expansion.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::escape;
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

/// The key of a schema built by the generator itself (a message's declared headers)
/// whose `required` list the receive leniency leaves as written.
pub const AS_WRITTEN: &str = "x-hookgen-as-written";

/// Builds the [`TypeSpace`] of one spec.
pub struct SchemaLowering<'a> {
    resolver: Resolver<'a>,
    types: TypeSpace,
    by_pointer: BTreeMap<String, TypeId>,
    names: NameScope,
    diagnostics: Diagnostics,
    depth: usize,
    /// Named types whose definitions are still to be lowered.
    pending: std::collections::VecDeque<TypeId>,
    /// Where the properties of an `allOf` merge being lowered were written, so each is
    /// lowered at its own pointer (and a merge that reaches itself meets its own type).
    merged_origins: BTreeMap<String, String>,
    /// Which required properties received payloads may lack (`x-hookgen.receive`).
    leniency: crate::leniency::Leniency,
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
            pending: std::collections::VecDeque::new(),
            merged_origins: BTreeMap::new(),
            leniency: Default::default(),
        }
    }

    /// Lets received payloads lack the required properties `leniency` relaxes.
    pub fn leniency(mut self, leniency: crate::leniency::Leniency) -> Self {
        self.leniency = leniency;
        self
    }

    /// The finished table, every problem met, and where each type merged into an
    /// identical one went (apply it with [`Merged::apply`] to types held elsewhere).
    pub fn finish(mut self) -> (TypeSpace, Diagnostics, Merged) {
        self.drain();
        let merged = merge_identical(&mut self.types);
        box_cycles(&mut self.types);
        box_large(&mut self.types);
        (self.types, self.diagnostics, merged)
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

    /// A `$ref` target (or a component): one named type per pointer. Its id is reserved
    /// now and its definition lowered later by [`Self::drain`], so a chain of thousands of
    /// references costs a queue entry each, never a stack frame each.
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
        self.types.types.insert(
            id,
            TypeDef {
                name,
                doc: Vec::new(),
                origin: target_pointer.clone(),
                kind: TypeKind::Alias(Ty::Json),
            },
        );
        self.pending.push_back(id);
        Shape {
            ty: Ty::Named(id),
            nullable,
        }
    }

    /// Lowers the definitions of every reserved named type, until none is left.
    pub fn drain(&mut self) {
        while let Some(id) = self.pending.pop_front() {
            let Some(def) = self.types.get(id) else {
                continue;
            };
            let (pointer, name) = (def.origin.clone(), def.name.clone());
            let root = self.resolver.root();
            let Some(target) = root.pointer(&pointer) else {
                continue;
            };
            let saved_depth = std::mem::take(&mut self.depth);
            let shape = match target.as_object() {
                Some(map) => self.lower_structure_as(map, &pointer, &name, Some(id)),
                None => self.lower(target, &pointer, &name),
            };
            self.depth = saved_depth;
            if shape.ty != Ty::Named(id) {
                let doc = schema_doc(target);
                if let Some(def) = self.types.types.get_mut(&id) {
                    def.doc = doc;
                    def.kind = TypeKind::Alias(shape.ty);
                }
            }
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
                return self.lower_union(
                    alternatives,
                    &at,
                    hint,
                    doc,
                    reserved,
                    nullable,
                    map.get("discriminator"),
                );
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
            // The values decide: documents generated from Java enums often say `type: object`
            // beside an enum of strings, and their examples carry the strings.
            if all_strings && !strings.is_empty() {
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
            ["integer"] => Ty::Integer(integer_width(map)),
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
                return self.lower_union(
                    &alternatives,
                    pointer,
                    hint,
                    doc,
                    reserved,
                    nullable,
                    None,
                );
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
        let patterns = map
            .get("patternProperties")
            .and_then(Value::as_object)
            .filter(|p| !p.is_empty());
        let additional_ty = match additional {
            _ if patterns.is_some() => Some(Ty::Json),
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
        let origins = std::mem::take(&mut self.merged_origins);
        // Reserve the struct's id before its fields, so self-references find it.
        let id = self.reserve(reserved, hint, pointer);
        let struct_name = self.types.name(id).to_owned();
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        // The field that keeps extra properties is emitted beside the schema's own.
        let mut scope = NameScope::with_reserved(&["additional_properties"]);
        let properties_pointer = child(pointer, "properties");
        for (wire, schema) in properties {
            let at = origins
                .get(wire)
                .cloned()
                .unwrap_or_else(|| child(&properties_pointer, wire));
            let field_hint = format!("{struct_name}_{wire}");
            let shape = self.lower(schema, &at, &field_hint);
            let mut doc = if schema.get("$ref").is_some() {
                Vec::new()
            } else {
                schema_doc(schema)
            };
            let mut required = required.contains(&wire.as_str());
            if required && map.get(AS_WRITTEN).is_none() {
                let root = self.resolver.root();
                let resolve = |reference: &str| root.pointer(reference.strip_prefix('#')?);
                if let Some(why) = self.leniency.relaxes(wire, schema, &resolve) {
                    required = false;
                    if why == crate::leniency::Relaxed::Named {
                        doc.push(
                            "Required by the spec, but deliveries may lack it (`x-hookgen.receive.optional`)."
                                .to_owned(),
                        );
                    }
                }
            }
            fields.push(Field {
                wire: wire.clone(),
                ident: scope.claim(field_name(wire, "field")),
                ty: shape.ty,
                required,
                nullable: shape.nullable,
                doc,
            });
        }
        // Extra properties are kept only when the schema says what they are (or says `true`
        // explicitly); an absent `additionalProperties` tolerates and drops them.
        let additional = match additional {
            _ if patterns.is_some() => additional_ty,
            Some(Value::Bool(true)) | Some(Value::Object(_)) => additional_ty,
            _ => None,
        };
        let deny_unknown = additional.is_none()
            && matches!(map.get("additionalProperties"), Some(Value::Bool(false)));
        self.define(
            Some(id),
            hint,
            pointer,
            doc,
            TypeKind::Struct {
                fields,
                additional,
                deny_unknown,
            },
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
        // JSON Schema 2020-12 tuples (`prefixItems`, `items` for the rest): as 2019's
        // tuple `items`, a list of any JSON values.
        if map.contains_key("prefixItems") {
            return Ty::Array(Box::new(Ty::Json));
        }
        match map.get("items") {
            Some(items @ Value::Object(_)) | Some(items @ Value::Bool(_)) => {
                let at = child(pointer, "items");
                Ty::Array(Box::new(self.field_ty(items, &at, &format!("{hint}Item"))))
            }
            // Tuple `items: [...]` and missing `items`: a list of any JSON values.
            _ => Ty::Array(Box::new(Ty::Json)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lower_union(
        &mut self,
        alternatives: &[Value],
        pointer: &str,
        hint: &str,
        doc: Vec<String>,
        reserved: Option<TypeId>,
        mut nullable: bool,
        discriminator: Option<&Value>,
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
        let tag = union_tag(self.resolver, discriminator, &kept);
        let mut scope = NameScope::default();
        let mut variants = Vec::new();
        for (i, (at, alternative)) in kept.into_iter().enumerate() {
            // A tagged alternative is named after its tag value (`{op: neg}` → `Neg`).
            let label = match &tag {
                Some((_, values)) if alternative.get("$ref").is_none() => values[i][0].clone(),
                _ => variant_label(alternative, self.resolver, i),
            };
            let ident = scope.claim(type_name(&label, "Variant"));
            let shape = self.lower(alternative, &at, &format!("{union_name}{ident}"));
            let ty = if shape.nullable { Ty::Json } else { shape.ty };
            let tags = tag
                .as_ref()
                .map(|(_, values)| values[i].clone())
                .unwrap_or_default();
            variants.push(UnionVariant { ident, ty, tags });
        }
        let kind = match tag {
            Some((field, _)) => TypeKind::TaggedUnion { field, variants },
            None => TypeKind::Union { variants },
        };
        self.define(Some(id), hint, pointer, doc, kind);
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
        let mut merged = AllOfMerge::default();
        merged.add_parts(self.resolver, parts, &child(pointer, "allOf"), 0);
        merged.add(self.resolver, outer, pointer, 0);
        // A merge that pulls in a `$ref` may reach itself (`parent: {allOf: [$ref: Node]}`
        // inside `Node`): it is a named type, one per place, so the second time the same
        // place is lowered it is that type, which `box_cycles` boxes.
        let reserved = match reserved {
            Some(id) => Some(id),
            None if merged.references => {
                if let Some(id) = self.by_pointer.get(pointer) {
                    return Shape {
                        ty: Ty::Named(*id),
                        nullable: false,
                    };
                }
                let id = self.reserve(None, hint, pointer);
                self.by_pointer.insert(pointer.to_owned(), id);
                Some(id)
            }
            None => None,
        };
        if let Some(at) = merged.unmergeable {
            let mut doc = schema_doc_map(outer);
            doc.push(format!(
                "Not typed: the `allOf` part at {} is not an object schema, so the parts are not merged.",
                escape::code(&at)
            ));
            let ty = match reserved {
                Some(_) => self.define(reserved, hint, pointer, doc, TypeKind::Alias(Ty::Json)),
                None => Ty::Json,
            };
            return Shape {
                ty,
                nullable: false,
            };
        }
        let origins = std::mem::take(&mut merged.origins);
        let schema = merged.into_schema();
        self.merged_origins = origins;
        let shape = self.lower_structure_as(&schema, pointer, hint, reserved);
        self.merged_origins.clear();
        shape
    }
}

/// The schemas of an `allOf`, flattened (nested `allOf`s and `$ref`s included) into one
/// object schema: properties and `required` united; for other keywords a later part wins,
/// and the schema holding the `allOf` wins over all parts.
#[derive(Default)]
struct AllOfMerge {
    merged: Map<String, Value>,
    properties: Map<String, Value>,
    /// Where each property's schema is written.
    origins: BTreeMap<String, String>,
    required: Vec<Value>,
    /// Where a part that cannot be merged (`oneOf`, a non-object) sits.
    unmergeable: Option<String>,
    /// A part came through a `$ref`.
    references: bool,
    /// The parts already merged (a part that includes itself adds nothing twice).
    seen: std::collections::BTreeSet<String>,
}

impl AllOfMerge {
    fn add_parts(&mut self, resolver: Resolver<'_>, parts: &[Value], pointer: &str, depth: usize) {
        for (i, part) in parts.iter().enumerate() {
            let at = child(pointer, &i.to_string());
            self.references |= part.get("$ref").is_some();
            match resolver.follow(part, &at) {
                Ok((at, _)) if self.seen.contains(&at) => {}
                Ok((at, Value::Object(part))) if depth < MAX_DEPTH => {
                    self.seen.insert(at.clone());
                    self.add(resolver, part, &at, depth + 1)
                }
                Ok((_, Value::Bool(true))) => {}
                Ok((at, _)) | Err(Diagnostic { pointer: at, .. }) => {
                    self.unmergeable.get_or_insert(at);
                }
            }
        }
    }

    fn add(
        &mut self,
        resolver: Resolver<'_>,
        part: &Map<String, Value>,
        pointer: &str,
        depth: usize,
    ) {
        if part.contains_key("oneOf") || part.contains_key("anyOf") {
            self.unmergeable.get_or_insert(pointer.to_owned());
        }
        let types = schema_types(part);
        if !types.is_empty() && !types.iter().any(|t| t == "object") {
            self.unmergeable.get_or_insert(pointer.to_owned());
        }
        for (k, v) in part {
            match k.as_str() {
                "allOf" => {
                    if let Some(parts) = v.as_array() {
                        self.add_parts(resolver, parts, &child(pointer, "allOf"), depth);
                    }
                }
                "properties" => {
                    if let Some(p) = v.as_object() {
                        let at = child(pointer, "properties");
                        for (name, schema) in p {
                            self.properties.insert(name.clone(), schema.clone());
                            self.origins.insert(name.clone(), child(&at, name));
                        }
                    }
                }
                "required" => self
                    .required
                    .extend(v.as_array().into_iter().flatten().cloned()),
                _ => {
                    self.merged.insert(k.clone(), v.clone());
                }
            }
        }
    }

    fn into_schema(mut self) -> Map<String, Value> {
        if !self.properties.is_empty() {
            self.merged
                .insert("properties".into(), Value::Object(self.properties));
        }
        self.merged
            .entry("type".to_owned())
            .or_insert_with(|| "object".into());
        if !self.required.is_empty() {
            self.merged
                .insert("required".into(), Value::Array(self.required));
        }
        self.merged
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

/// `format: int32` → `i32`; a `minimum` of 0 or more (without `format: int32`) → `u64`;
/// everything else `i64`.
fn integer_width(map: &Map<String, Value>) -> IntWidth {
    match map.get("format").and_then(Value::as_str) {
        Some("int32") => IntWidth::I32,
        _ if map
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| m >= 0.0) =>
        {
            IntWidth::U64
        }
        _ => IntWidth::I64,
    }
}

/// The top-level properties of an object schema, `allOf` parts included (bounded depth).
/// Each schema a `$ref` reaches is read once, however many paths lead to it: a document
/// whose every level refers twice to the level below costs its size, not 2^levels.
pub fn object_properties<'v>(
    resolver: Resolver<'v>,
    schema: &'v Value,
) -> Vec<(String, &'v Value)> {
    fn collect<'v>(
        resolver: Resolver<'v>,
        schema: &'v Value,
        depth: usize,
        seen: &mut std::collections::HashSet<String>,
        out: &mut Vec<(String, &'v Value)>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            out.extend(props.iter().map(|(k, v)| (k.clone(), v)));
        }
        for part in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let referenced = part.get("$ref").is_some();
            let Ok((at, part)) = resolver.follow(part, "") else {
                continue;
            };
            // Inline parts are unique to this path; a part reached through a `$ref`
            // (`at` is then its target) is read once.
            if referenced && !seen.insert(at) {
                continue;
            }
            collect(resolver, part, depth + 1, seen, out);
        }
    }
    let mut out = Vec::new();
    collect(
        resolver,
        schema,
        0,
        &mut std::collections::HashSet::new(),
        &mut out,
    );
    out
}

/// The schema of the top-level property `field` (the last definition wins, as in `allOf`).
pub fn top_level_property<'v>(
    resolver: Resolver<'v>,
    schema: &'v Value,
    field: &str,
) -> Option<&'v Value> {
    let (_, property) = object_properties(resolver, schema)
        .into_iter()
        .rev()
        .find(|(k, _)| k == field)?;
    resolver.follow(property, "").ok().map(|(_, v)| v)
}

/// The string values a property allows through `const` or `enum`.
pub fn string_values(property: &Value) -> Vec<String> {
    property
        .as_object()
        .and_then(enum_values)
        .map(|vs| {
            vs.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Fields tried first when looking for the tag of a union or a channel.
pub const PREFERRED_TAGS: &[&str] = &["type", "event", "event_type", "action", "kind"];

/// The field and per-alternative values that tell a union's alternatives apart: the
/// `discriminator` keyword's property, or a property every alternative fixes with
/// `const`/`enum`, with values that never overlap. `None` if there is no such field.
fn union_tag(
    resolver: Resolver<'_>,
    discriminator: Option<&Value>,
    alternatives: &[(String, &Value)],
) -> Option<(String, Vec<Vec<String>>)> {
    let resolved: Vec<&Value> = alternatives
        .iter()
        .map(|(at, a)| resolver.follow(a, at).map_or(*a, |(_, v)| v))
        .collect();
    let keyword = discriminator.and_then(|d| {
        d.as_str()
            .or_else(|| d.get("propertyName").and_then(Value::as_str))
    });
    let mut candidates: Vec<String> = match keyword {
        Some(field) => vec![field.to_owned()],
        None => {
            let mut common: Option<Vec<String>> = None;
            for alternative in &resolved {
                let fields: Vec<String> = object_properties(resolver, alternative)
                    .into_iter()
                    .filter(|(_, p)| {
                        resolver
                            .follow(p, "")
                            .is_ok_and(|(_, p)| !string_values(p).is_empty())
                    })
                    .map(|(k, _)| k)
                    .collect();
                common = Some(match common {
                    None => fields,
                    Some(c) => c.into_iter().filter(|f| fields.contains(f)).collect(),
                });
            }
            common.unwrap_or_default()
        }
    };
    candidates.sort_by_key(|f| {
        (
            PREFERRED_TAGS
                .iter()
                .position(|p| p == f)
                .unwrap_or(usize::MAX),
            f.clone(),
        )
    });
    candidates.dedup();
    let mapping = discriminator
        .and_then(|d| d.get("mapping"))
        .and_then(Value::as_object);
    candidates.into_iter().find_map(|field| {
        let mut seen = std::collections::BTreeSet::new();
        let mut all = Vec::new();
        for ((_, alternative), resolved) in alternatives.iter().zip(&resolved) {
            let mut values = top_level_property(resolver, resolved, &field)
                .map(string_values)
                .unwrap_or_default();
            if values.is_empty() && keyword.is_some() {
                // OpenAPI/AsyncAPI convention: the mapping's key, else the schema's name.
                let reference = alternative.get("$ref").and_then(Value::as_str)?;
                let by_mapping = mapping.and_then(|m| {
                    m.iter()
                        .find(|(_, r)| r.as_str() == Some(reference))
                        .map(|(k, _)| k.clone())
                });
                values.push(by_mapping.unwrap_or_else(|| {
                    reference.rsplit('/').next().unwrap_or(reference).to_owned()
                }));
            }
            if values.is_empty() || !values.iter().all(|v| seen.insert(v.clone())) {
                return None;
            }
            all.push(values);
        }
        Some((field, all))
    })
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
    let null_alternative = ["oneOf", "anyOf"].iter().any(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|alts| {
                alts.iter()
                    .any(|a| a.get("type").and_then(Value::as_str) == Some("null"))
            })
    });
    null_alternative
        || schema.get("nullable").and_then(Value::as_bool) == Some(true)
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
        notes.push(format!(
            "Format: {} (kept as written, not checked).",
            escape::code(format)
        ));
    }
    if let Some(default) = map.get("default") {
        notes.push(format!(
            "Default: {} (not filled in: an absent value stays absent).",
            escape::code(&default.to_string())
        ));
    }
    if let Some(values) = map.get("enum").and_then(Value::as_array) {
        if values.iter().any(|v| !v.is_string() && !v.is_null()) {
            let values: Vec<String> = values
                .iter()
                .map(|v| escape::code(&v.to_string()))
                .collect();
            notes.push(format!(
                "Allowed values: {} (not enforced).",
                values.join(", ")
            ));
        }
    }
    if let Some(c) = map.get("const").filter(|c| !c.is_string()) {
        notes.push(format!(
            "Always {} (not enforced).",
            escape::code(&c.to_string())
        ));
    }
    if let Some(not) = map.get("not") {
        notes.push(format!(
            "Must not match {} (not enforced).",
            escape::code(&not.to_string())
        ));
    }
    if let Some(patterns) = map.get("patternProperties").and_then(Value::as_object) {
        let patterns: Vec<String> = patterns.keys().map(|p| escape::code(p)).collect();
        notes.push(format!(
            "Further properties named like {} are kept as JSON.",
            patterns.join(", ")
        ));
    }
    if map.get("items").is_some_and(Value::is_array) {
        notes.push("A tuple (`items` is a list): typed as a list of JSON values.".to_owned());
    }
    if let Some(example) = map.get("example") {
        notes.push(format!("Example: {}.", escape::code(&example.to_string())));
    }
    if !notes.is_empty() {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.extend(notes);
    }
    doc
}

/// Types merged into an identical earlier one: old id → the id that stands for it.
#[derive(Debug, Default)]
pub struct Merged(BTreeMap<TypeId, TypeId>);

impl Merged {
    /// Points `ty` at the types that remain.
    pub fn apply(&self, ty: &mut Ty) {
        match ty {
            Ty::Named(id) => {
                if let Some(kept) = self.0.get(id) {
                    *id = *kept;
                }
            }
            Ty::Array(inner) | Ty::Map(inner) | Ty::Boxed(inner) => self.apply(inner),
            _ => {}
        }
    }

    /// Points every type inside `kind` at the types that remain.
    fn apply_kind(&self, kind: &mut TypeKind) {
        match kind {
            TypeKind::Struct {
                fields, additional, ..
            } => {
                for field in fields {
                    self.apply(&mut field.ty);
                }
                if let Some(additional) = additional {
                    self.apply(additional);
                }
            }
            TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. } => {
                for variant in variants {
                    self.apply(&mut variant.ty);
                }
            }
            TypeKind::Alias(ty) => self.apply(ty),
            TypeKind::StringEnum { .. } => {}
        }
    }
}

/// Merges types that are the same type under different names: same documentation and
/// same definition, the types inside them merged first. Large documents repeat their
/// inline schemas (GitHub's writes the same `user` object inline hundreds of times); each
/// becomes one type, with the shortest of its names (the first, among equals). Repeated
/// until nothing merges, so a struct of merged structs merges too.
fn merge_identical(types: &mut TypeSpace) -> Merged {
    let mut merged = Merged::default();
    loop {
        let mut groups: std::collections::HashMap<String, Vec<TypeId>> = Default::default();
        for (id, def) in &types.types {
            let mut kind = def.kind.clone();
            merged.apply_kind(&mut kind);
            groups
                .entry(format!("{:?}{kind:?}", def.doc))
                .or_default()
                .push(*id);
        }
        let mut round = BTreeMap::new();
        for group in groups.values().filter(|g| g.len() > 1) {
            let name = |id: &TypeId| types.types.get(id).map_or(0, |d| d.name.len());
            let Some(&kept) = group.iter().min_by_key(|id| (name(id), **id)) else {
                continue;
            };
            round.extend(group.iter().filter(|id| **id != kept).map(|id| (*id, kept)));
        }
        if round.is_empty() {
            break;
        }
        for gone in round.keys() {
            types.types.remove(gone);
        }
        // Earlier merges that pointed at a type merged now follow it.
        for kept in merged.0.values_mut() {
            if let Some(next) = round.get(kept) {
                *kept = *next;
            }
        }
        merged.0.extend(round);
    }
    for def in types.types.values_mut() {
        merged.apply_kind(&mut def.kind);
    }
    merged
}

/// The largest a named type may be held inline, in estimated bytes (see
/// [`TypeSpace::estimated_size`]).
const MAX_INLINE_TYPE: usize = 16 * 1024;

/// Keeps every type small enough to decode on a thread's stack: where a struct's fields
/// (or a union's largest alternative) would make it larger than [`MAX_INLINE_TYPE`], its
/// largest named fields are boxed until it is not. Without it, a few hundred bytes of
/// schema in which each type holds the one below twice make a type of 2^depth bytes,
/// whose decoding overflows any stack on the first delivery. Decided bottom-up (each
/// type after the types it holds), without recursion, in time linear in the table.
fn box_large(types: &mut TypeSpace) {
    const WORD: usize = 8;
    let mut size: BTreeMap<TypeId, usize> = BTreeMap::new();
    let mut boxed: Vec<(TypeId, usize)> = Vec::new();
    let members = |def: &crate::ir::TypeDef| -> Vec<Ty> {
        match &def.kind {
            TypeKind::Struct { fields, .. } => fields.iter().map(|f| f.ty.clone()).collect(),
            TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. } => {
                variants.iter().map(|v| v.ty.clone()).collect()
            }
            TypeKind::Alias(ty) => vec![ty.clone()],
            TypeKind::StringEnum { .. } => Vec::new(),
        }
    };
    let ids: Vec<TypeId> = types.types.keys().copied().collect();
    for root in ids {
        // Post-order without recursion: a type is settled once every named type it holds
        // inline is (a cycle, already boxed by `box_cycles`, would count as a pointer).
        let mut stack = vec![(root, false)];
        while let Some((id, children_done)) = stack.pop() {
            if size.contains_key(&id) && !children_done {
                continue;
            }
            let Some(def) = types.get(id) else {
                size.insert(id, 3 * WORD);
                continue;
            };
            let held = members(def);
            if !children_done {
                size.insert(id, WORD);
                stack.push((id, true));
                for ty in &held {
                    if let Ty::Named(child) = ty {
                        if !size.contains_key(child) {
                            stack.push((*child, false));
                        }
                    }
                }
                continue;
            }
            let mut sizes: Vec<usize> = held
                .iter()
                .map(|ty| match ty {
                    Ty::Named(child) => size.get(child).copied().unwrap_or(WORD),
                    other => types.estimated_size(other, &mut Default::default()),
                })
                .collect();
            let total = |sizes: &[usize]| match &def.kind {
                TypeKind::Struct { additional, .. } => sizes
                    .iter()
                    .fold(additional.as_ref().map_or(0, |_| 3 * WORD), |a, b| {
                        a.saturating_add(*b)
                    }),
                TypeKind::Alias(_) => sizes.first().copied().unwrap_or_default(),
                _ => sizes
                    .iter()
                    .copied()
                    .max()
                    .unwrap_or_default()
                    .saturating_add(WORD),
            };
            let boxable = !matches!(def.kind, TypeKind::Alias(_));
            while boxable && total(&sizes) > MAX_INLINE_TYPE {
                let largest = (0..held.len())
                    .filter(|i| matches!(held[*i], Ty::Named(_)) && sizes[*i] > WORD)
                    .max_by_key(|i| (sizes[*i], std::cmp::Reverse(*i)));
                let Some(i) = largest else { break };
                sizes[i] = WORD;
                boxed.push((id, i));
            }
            size.insert(id, total(&sizes));
        }
    }
    for (id, i) in boxed {
        let Some(def) = types.types.get_mut(&id) else {
            continue;
        };
        let ty = match &mut def.kind {
            TypeKind::Struct { fields, .. } => fields.get_mut(i).map(|f| &mut f.ty),
            TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. } => {
                variants.get_mut(i).map(|v| &mut v.ty)
            }
            _ => None,
        };
        if let Some(ty) = ty {
            *ty = Ty::Boxed(Box::new(ty.clone()));
        }
    }
}

/// Makes recursive types finite: a struct field or union alternative whose named type
/// leads back to its owner (same strongly connected component, not through a `Vec` or
/// map) is wrapped in `Box`; an alias that leads back to itself (which Rust cannot
/// express) becomes `serde_json::Value`. Linear in the number of types.
fn box_cycles(types: &mut TypeSpace) {
    let ids: Vec<TypeId> = types.types.keys().copied().collect();
    let direct = |ty: &Ty| match ty {
        Ty::Named(id) => Some(*id),
        _ => None,
    };
    let edges: BTreeMap<TypeId, Vec<TypeId>> = types
        .types
        .iter()
        .map(|(id, def)| {
            let targets = match &def.kind {
                TypeKind::Struct { fields, .. } => {
                    fields.iter().filter_map(|f| direct(&f.ty)).collect()
                }
                TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. } => {
                    variants.iter().filter_map(|v| direct(&v.ty)).collect()
                }
                TypeKind::Alias(ty) => direct(ty).into_iter().collect(),
                TypeKind::StringEnum { .. } => Vec::new(),
            };
            (*id, targets)
        })
        .collect();
    let component = strongly_connected(&ids, &edges);
    for id in &ids {
        let Some(def) = types.types.get_mut(id) else {
            continue;
        };
        let tys: Vec<&mut Ty> = match &mut def.kind {
            TypeKind::Struct { fields, .. } => fields.iter_mut().map(|f| &mut f.ty).collect(),
            TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. } => {
                variants.iter_mut().map(|v| &mut v.ty).collect()
            }
            _ => Vec::new(),
        };
        for ty in tys {
            if direct(ty).is_some_and(|target| component.get(&target) == component.get(id)) {
                *ty = Ty::Boxed(Box::new(ty.clone()));
            }
        }
    }

    // Aliases: any named type inside (even in a Vec) counts, as a type alias cannot recurse.
    fn named_in(ty: &Ty, out: &mut Vec<TypeId>) {
        match ty {
            Ty::Named(id) => out.push(*id),
            Ty::Array(inner) | Ty::Map(inner) | Ty::Boxed(inner) => named_in(inner, out),
            _ => {}
        }
    }
    let alias_edges: BTreeMap<TypeId, Vec<TypeId>> = types
        .types
        .iter()
        .filter_map(|(id, def)| match &def.kind {
            TypeKind::Alias(ty) => {
                let mut out = Vec::new();
                named_in(ty, &mut out);
                out.retain(|t| matches!(types.get(*t).map(|d| &d.kind), Some(TypeKind::Alias(_))));
                Some((*id, out))
            }
            _ => None,
        })
        .collect();
    let aliases: Vec<TypeId> = alias_edges.keys().copied().collect();
    let alias_component = strongly_connected(&aliases, &alias_edges);
    for id in &aliases {
        let cyclic = alias_edges[id]
            .iter()
            .any(|t| alias_component.get(t) == alias_component.get(id));
        if let (true, Some(def)) = (cyclic, types.types.get_mut(id)) {
            def.kind = TypeKind::Alias(Ty::Json);
            def.doc
                .push("Not typed: the schema only refers to itself.".to_owned());
        }
    }
}

/// The strongly connected component of every node (Kosaraju, iterative).
fn strongly_connected(
    nodes: &[TypeId],
    edges: &BTreeMap<TypeId, Vec<TypeId>>,
) -> BTreeMap<TypeId, usize> {
    let none: Vec<TypeId> = Vec::new();
    let out = |id: &TypeId| edges.get(id).unwrap_or(&none);
    // 1. Finish order of a depth-first search.
    let mut order = Vec::with_capacity(nodes.len());
    let mut seen = std::collections::BTreeSet::new();
    for &start in nodes {
        if !seen.insert(start) {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        while let Some((node, next)) = stack.pop() {
            match out(&node).get(next) {
                Some(&child) => {
                    stack.push((node, next + 1));
                    if edges.contains_key(&child) && seen.insert(child) {
                        stack.push((child, 0));
                    }
                }
                None => order.push(node),
            }
        }
    }
    // 2. Components on the reversed graph, in reverse finish order.
    let mut reversed: BTreeMap<TypeId, Vec<TypeId>> = BTreeMap::new();
    for (from, targets) in edges {
        for to in targets {
            reversed.entry(*to).or_default().push(*from);
        }
    }
    let mut component = BTreeMap::new();
    for (n, &start) in order.iter().rev().enumerate() {
        if component.contains_key(&start) {
            continue;
        }
        component.insert(start, n);
        let mut stack = vec![start];
        while let Some(node) = stack.pop() {
            for &prev in reversed.get(&node).unwrap_or(&none) {
                if edges.contains_key(&prev) && !component.contains_key(&prev) {
                    component.insert(prev, n);
                    stack.push(prev);
                }
            }
        }
    }
    component
}
