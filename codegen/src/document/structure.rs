//! The structure of AsyncAPI 2.0–2.6 and 3.0–3.1 documents: every object kind with its
//! fields, the kind of each field and what is required, as data. [`check`] walks a
//! document against the structure of its major version and reports every unknown field,
//! wrong type and missing field at once.
//!
//! Fields of every minor version are accepted (a 2.0 document using a 2.4 field passes);
//! `x-` extensions are allowed everywhere; schemas are checked only for being schemas
//! (objects or booleans), their vocabulary is the generator's business.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};

/// An object kind of the AsyncAPI 2.x and 3.x documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The root document.
    Document,
    /// `info`.
    Info,
    /// `info.contact`.
    Contact,
    /// `info.license`.
    License,
    /// A server.
    Server,
    /// A server variable.
    ServerVariable,
    /// A channel item.
    ChannelItem,
    /// A publish or subscribe operation.
    Operation,
    /// An operation trait.
    OperationTrait,
    /// A message.
    Message,
    /// A message trait.
    MessageTrait,
    /// A message example.
    MessageExample,
    /// A channel parameter.
    Parameter,
    /// A correlation id.
    CorrelationId,
    /// `components`.
    Components,
    /// A security scheme.
    SecurityScheme,
    /// A tag.
    Tag,
    /// External documentation.
    ExternalDocs,
    /// A 3.x operation reply.
    Reply,
    /// A 3.x reply address.
    ReplyAddress,
}

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub enum Field {
    /// A string.
    Str,
    /// Any JSON value.
    Any,
    /// Any JSON object (bindings, example headers).
    AnyObject,
    /// An object of a kind.
    Obj(Kind),
    /// An object of a kind, or a Reference Object.
    RefOr(Kind),
    /// A schema or a Reference Object.
    RefOrSchema,
    /// A list of strings.
    Strings,
    /// A list of objects of a kind (or references, when `bool` is true).
    List(Kind, bool),
    /// A map from names to objects of a kind (or references, when `bool` is true).
    Map(Kind, bool),
    /// A map from names to schemas (or references).
    SchemaMap,
    /// A map from names to any objects (bindings by protocol).
    AnyMap,
    /// Security requirements: a list of maps from scheme names to lists of strings.
    Security,
    /// An operation's `message`: a message, a reference, or `{oneOf: [...]}`.
    OperationMessage,
    /// A Reference Object.
    Reference,
    /// A list of Reference Objects.
    References,
    /// A string or `null`.
    NullableStr,
    /// A list of security schemes or references (3.x).
    SecuritySchemes,
}

impl Kind {
    /// The fixed fields of this kind in AsyncAPI `major` (2 or 3).
    pub fn fields(self, major: u8) -> &'static [(&'static str, Field)] {
        use Field::*;
        if major >= 3 {
            if let Some(fields) = self.fields_v3() {
                return fields;
            }
        }
        match self {
            Kind::Document => &[
                ("asyncapi", Str),
                ("id", Str),
                ("info", Obj(Kind::Info)),
                ("servers", Map(Kind::Server, true)),
                ("defaultContentType", Str),
                ("channels", Map(Kind::ChannelItem, false)),
                ("components", Obj(Kind::Components)),
                ("tags", List(Kind::Tag, false)),
                ("externalDocs", Obj(Kind::ExternalDocs)),
            ],
            Kind::Info => &[
                // Checked by `check`, which generation runs too.
                ("title", Any),
                ("version", Any),
                ("description", Str),
                ("termsOfService", Str),
                ("contact", Obj(Kind::Contact)),
                ("license", Obj(Kind::License)),
            ],
            Kind::Contact => &[("name", Str), ("url", Str), ("email", Str)],
            Kind::License => &[("name", Str), ("url", Str)],
            Kind::Server => &[
                ("url", Str),
                ("protocol", Str),
                ("protocolVersion", Str),
                ("description", Str),
                ("variables", Map(Kind::ServerVariable, true)),
                ("security", Security),
                ("bindings", AnyMap),
                ("tags", List(Kind::Tag, false)),
            ],
            Kind::ServerVariable => &[
                ("enum", Strings),
                ("default", Str),
                ("description", Str),
                ("examples", Strings),
            ],
            Kind::ChannelItem => &[
                ("$ref", Str),
                ("description", Str),
                ("servers", Strings),
                ("subscribe", Obj(Kind::Operation)),
                ("publish", Obj(Kind::Operation)),
                ("parameters", Map(Kind::Parameter, true)),
                ("bindings", AnyMap),
            ],
            Kind::Operation => &[
                ("operationId", Str),
                ("summary", Str),
                ("description", Str),
                ("security", Security),
                ("tags", List(Kind::Tag, false)),
                ("externalDocs", Obj(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("traits", List(Kind::OperationTrait, true)),
                ("message", OperationMessage),
            ],
            Kind::OperationTrait => &[
                ("operationId", Str),
                ("summary", Str),
                ("description", Str),
                ("security", Security),
                ("tags", List(Kind::Tag, false)),
                ("externalDocs", Obj(Kind::ExternalDocs)),
                ("bindings", AnyMap),
            ],
            Kind::Message => &[
                ("messageId", Str),
                ("headers", RefOrSchema),
                ("payload", Any),
                ("correlationId", RefOr(Kind::CorrelationId)),
                ("schemaFormat", Str),
                ("contentType", Str),
                ("name", Str),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("tags", List(Kind::Tag, false)),
                ("externalDocs", Obj(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("examples", List(Kind::MessageExample, false)),
                ("traits", List(Kind::MessageTrait, true)),
            ],
            Kind::MessageTrait => &[
                ("messageId", Str),
                ("headers", RefOrSchema),
                ("correlationId", RefOr(Kind::CorrelationId)),
                ("schemaFormat", Str),
                ("contentType", Str),
                ("name", Str),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("tags", List(Kind::Tag, false)),
                ("externalDocs", Obj(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("examples", List(Kind::MessageExample, false)),
            ],
            Kind::MessageExample => &[
                ("headers", AnyObject),
                ("payload", Any),
                ("name", Str),
                ("summary", Str),
            ],
            Kind::Parameter => &[
                ("description", Str),
                ("schema", RefOrSchema),
                ("location", Str),
            ],
            Kind::CorrelationId => &[("description", Str), ("location", Str)],
            Kind::Components => &[
                ("schemas", SchemaMap),
                ("servers", Map(Kind::Server, true)),
                ("serverVariables", Map(Kind::ServerVariable, true)),
                ("channels", Map(Kind::ChannelItem, false)),
                ("messages", Map(Kind::Message, true)),
                ("securitySchemes", Map(Kind::SecurityScheme, true)),
                ("parameters", Map(Kind::Parameter, true)),
                ("correlationIds", Map(Kind::CorrelationId, true)),
                ("operationTraits", Map(Kind::OperationTrait, true)),
                ("messageTraits", Map(Kind::MessageTrait, true)),
                ("serverBindings", AnyMap),
                ("channelBindings", AnyMap),
                ("operationBindings", AnyMap),
                ("messageBindings", AnyMap),
            ],
            Kind::SecurityScheme => &[
                ("type", Str),
                ("description", Str),
                ("name", Str),
                ("in", Str),
                ("scheme", Str),
                ("bearerFormat", Str),
                ("flows", AnyObject),
                ("openIdConnectUrl", Str),
                ("scopes", Strings),
            ],
            Kind::Tag => &[
                ("name", Str),
                ("description", Str),
                ("externalDocs", Obj(Kind::ExternalDocs)),
            ],
            Kind::ExternalDocs => &[("description", Str), ("url", Str)],
            Kind::Reply | Kind::ReplyAddress => &[],
        }
    }

    /// The fields of the kinds 3.x changed; `None` for those it kept.
    fn fields_v3(self) -> Option<&'static [(&'static str, Field)]> {
        use Field::*;
        Some(match self {
            Kind::Document => &[
                ("asyncapi", Str),
                ("id", Str),
                ("info", Obj(Kind::Info)),
                ("servers", Map(Kind::Server, true)),
                ("defaultContentType", Str),
                ("channels", Map(Kind::ChannelItem, true)),
                ("operations", Map(Kind::Operation, true)),
                ("components", Obj(Kind::Components)),
            ],
            Kind::Info => &[
                ("title", Any),
                ("version", Any),
                ("description", Str),
                ("termsOfService", Str),
                ("contact", Obj(Kind::Contact)),
                ("license", Obj(Kind::License)),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
            ],
            Kind::Server => &[
                ("host", Str),
                ("protocol", Str),
                ("protocolVersion", Str),
                ("pathname", Str),
                ("description", Str),
                ("title", Str),
                ("summary", Str),
                ("variables", Map(Kind::ServerVariable, true)),
                ("security", SecuritySchemes),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
            ],
            Kind::ChannelItem => &[
                ("address", NullableStr),
                ("messages", Map(Kind::Message, true)),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("servers", References),
                ("parameters", Map(Kind::Parameter, true)),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
            ],
            Kind::Operation => &[
                ("action", Str),
                ("channel", Reference),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("security", SecuritySchemes),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("traits", List(Kind::OperationTrait, true)),
                ("messages", References),
                ("reply", RefOr(Kind::Reply)),
            ],
            Kind::OperationTrait => &[
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("security", SecuritySchemes),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
            ],
            Kind::Reply => &[
                ("address", RefOr(Kind::ReplyAddress)),
                ("channel", Reference),
                ("messages", References),
            ],
            Kind::ReplyAddress => &[("description", Str), ("location", Str)],
            Kind::Message => &[
                ("headers", Any),
                ("payload", Any),
                ("correlationId", RefOr(Kind::CorrelationId)),
                ("contentType", Str),
                ("name", Str),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("examples", List(Kind::MessageExample, false)),
                ("traits", List(Kind::MessageTrait, true)),
            ],
            Kind::MessageTrait => &[
                ("headers", Any),
                ("correlationId", RefOr(Kind::CorrelationId)),
                ("contentType", Str),
                ("name", Str),
                ("title", Str),
                ("summary", Str),
                ("description", Str),
                ("tags", List(Kind::Tag, true)),
                ("externalDocs", RefOr(Kind::ExternalDocs)),
                ("bindings", AnyMap),
                ("examples", List(Kind::MessageExample, false)),
            ],
            Kind::Parameter => &[
                ("enum", Strings),
                ("default", Str),
                ("description", Str),
                ("examples", Strings),
                ("location", Str),
            ],
            Kind::Components => &[
                ("schemas", SchemaMap),
                ("servers", Map(Kind::Server, true)),
                ("channels", Map(Kind::ChannelItem, true)),
                ("operations", Map(Kind::Operation, true)),
                ("messages", Map(Kind::Message, true)),
                ("securitySchemes", Map(Kind::SecurityScheme, true)),
                ("serverVariables", Map(Kind::ServerVariable, true)),
                ("parameters", Map(Kind::Parameter, true)),
                ("correlationIds", Map(Kind::CorrelationId, true)),
                ("replies", Map(Kind::Reply, true)),
                ("replyAddresses", Map(Kind::ReplyAddress, true)),
                ("externalDocs", Map(Kind::ExternalDocs, true)),
                ("tags", Map(Kind::Tag, true)),
                ("operationTraits", Map(Kind::OperationTrait, true)),
                ("messageTraits", Map(Kind::MessageTrait, true)),
                ("serverBindings", AnyMap),
                ("channelBindings", AnyMap),
                ("operationBindings", AnyMap),
                ("messageBindings", AnyMap),
            ],
            // Unchanged in 3.x: Contact, License, ServerVariable, SecurityScheme, Tag,
            // ExternalDocs, CorrelationId, MessageExample.
            _ => return None,
        })
    }

    /// The fields this kind requires in AsyncAPI `major`.
    pub fn required(self, major: u8) -> &'static [&'static str] {
        match self {
            Kind::Document if major >= 3 => &[],
            Kind::Server if major >= 3 => &["host", "protocol"],
            Kind::Operation if major >= 3 => &["action", "channel"],
            Kind::ReplyAddress => &["location"],
            // `asyncapi`, `info`, `info.title` and `info.version` are required too; the
            // document rules of `check` report them, for generation as well.
            Kind::Document => &["channels"],
            Kind::License => &["name"],
            Kind::Server => &["url", "protocol"],
            Kind::CorrelationId => &["location"],
            Kind::SecurityScheme => &["type"],
            Kind::Tag => &["name"],
            Kind::ExternalDocs => &["url"],
            _ => &[],
        }
    }

    /// The name used in messages ("a Server Object"), as AsyncAPI `major` calls it.
    pub fn name_in(self, major: u8) -> &'static str {
        match self {
            Kind::ChannelItem if major >= 3 => "Channel Object",
            _ => self.name(),
        }
    }

    /// The name used in messages ("a Server Object").
    pub fn name(self) -> &'static str {
        match self {
            Kind::Document => "AsyncAPI document",
            Kind::Info => "Info Object",
            Kind::Contact => "Contact Object",
            Kind::License => "License Object",
            Kind::Server => "Server Object",
            Kind::ServerVariable => "Server Variable Object",
            Kind::ChannelItem => "Channel Item Object",
            Kind::Operation => "Operation Object",
            Kind::OperationTrait => "Operation Trait Object",
            Kind::Message => "Message Object",
            Kind::MessageTrait => "Message Trait Object",
            Kind::MessageExample => "Message Example Object",
            Kind::Parameter => "Parameter Object",
            Kind::CorrelationId => "Correlation ID Object",
            Kind::Components => "Components Object",
            Kind::SecurityScheme => "Security Scheme Object",
            Kind::Tag => "Tag Object",
            Kind::ExternalDocs => "External Documentation Object",
            Kind::Reply => "Operation Reply Object",
            Kind::ReplyAddress => "Operation Reply Address Object",
        }
    }
}

/// Checks `document` against the structure of AsyncAPI `major`, reporting every problem.
pub fn check(document: &Value, major: u8, file: &str) -> Diagnostics {
    let mut walker = Walker {
        file,
        major,
        root: document,
        security_schemes: document
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object),
        diagnostics: Diagnostics::default(),
    };
    walker.object(document, Kind::Document, "");
    walker.diagnostics
}

struct Walker<'f> {
    file: &'f str,
    major: u8,
    /// The whole document, to check what a channel item's `$ref` reaches.
    root: &'f Value,
    /// The document's `components.securitySchemes`, which 2.x requirements name.
    security_schemes: Option<&'f serde_json::Map<String, Value>>,
    diagnostics: Diagnostics,
}

impl Walker<'_> {
    fn error(&mut self, pointer: &str, message: String) {
        self.diagnostics
            .push(Diagnostic::at(self.file, pointer, message));
    }

    fn object(&mut self, value: &Value, kind: Kind, pointer: &str) {
        let Some(map) = value.as_object() else {
            self.error(
                pointer,
                format!(
                    "expected a {}, found {}",
                    kind.name_in(self.major),
                    describe(value)
                ),
            );
            return;
        };
        for required in kind.required(self.major) {
            if !map.contains_key(*required) {
                self.error(
                    pointer,
                    format!(
                        "the {} is missing its required `{required}`",
                        kind.name_in(self.major)
                    ),
                );
            }
        }
        if kind == Kind::ChannelItem {
            self.referenced_channel_item(map, pointer);
        }
        for (key, v) in map {
            let at = child(pointer, key);
            match kind.fields(self.major).iter().find(|(name, _)| name == key) {
                Some((_, field)) => self.field(v, *field, &at),
                None if key.starts_with("x-") => {}
                None => self.error(
                    &at,
                    format!("unknown field `{key}` in a {}", kind.name_in(self.major)),
                ),
            }
        }
    }

    /// A 2.x channel item may be a `$ref`, which the reader follows: what it reaches must
    /// be a Channel Item too (a message there would be read as a channel).
    fn referenced_channel_item(&mut self, map: &serde_json::Map<String, Value>, pointer: &str) {
        let Some(Value::String(reference)) = map.get("$ref") else {
            return;
        };
        let Some(Value::Object(target)) = reference
            .strip_prefix('#')
            .and_then(|p| self.root.pointer(p))
        else {
            return;
        };
        let fields = Kind::ChannelItem.fields(self.major);
        let foreign: Vec<&str> = target
            .keys()
            .map(String::as_str)
            .filter(|k| !k.starts_with("x-") && !fields.iter().any(|(name, _)| name == k))
            .collect();
        if !foreign.is_empty() {
            self.error(
                &child(pointer, "$ref"),
                format!(
                    "`$ref: {reference}` reaches an object that is not a {} (it has `{}`)",
                    Kind::ChannelItem.name_in(self.major),
                    foreign.join("`, `")
                ),
            );
        }
    }

    fn reference_or(&mut self, value: &Value, pointer: &str, or: impl FnOnce(&mut Self)) {
        match value.get("$ref") {
            Some(Value::String(_)) => {}
            Some(other) => self.error(
                &child(pointer, "$ref"),
                format!("`$ref` must be a string, found {}", describe(other)),
            ),
            None => or(self),
        }
    }

    fn field(&mut self, value: &Value, field: Field, pointer: &str) {
        match field {
            Field::Any => {}
            Field::Str if value.is_string() => {}
            Field::AnyObject if value.is_object() => {}
            Field::RefOrSchema if value.is_object() || value.is_boolean() => {
                if let Some(Value::Object(map)) = Some(value) {
                    if let Some(r) = map.get("$ref").filter(|r| !r.is_string()) {
                        self.error(
                            &child(pointer, "$ref"),
                            format!("`$ref` must be a string, found {}", describe(r)),
                        );
                    }
                }
            }
            Field::Obj(kind) => self.object(value, kind, pointer),
            Field::NullableStr if value.is_string() || value.is_null() => {}
            Field::Reference => match value.get("$ref") {
                Some(Value::String(_)) => {}
                _ => self.error(
                    pointer,
                    format!(
                        "expected a Reference Object (`$ref`), found {}",
                        describe(value)
                    ),
                ),
            },
            Field::References => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.field(item, Field::Reference, &child(pointer, &i.to_string()));
                    }
                }
                None => self.error(
                    pointer,
                    format!(
                        "expected a list of Reference Objects, found {}",
                        describe(value)
                    ),
                ),
            },
            Field::SecuritySchemes => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = child(pointer, &i.to_string());
                        self.reference_or(item, &at, |w| w.object(item, Kind::SecurityScheme, &at));
                    }
                }
                None => self.error(
                    pointer,
                    format!(
                        "expected a list of security schemes, found {}",
                        describe(value)
                    ),
                ),
            },
            Field::RefOr(kind) => {
                self.reference_or(value, pointer, |w| w.object(value, kind, pointer))
            }
            Field::Strings => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate().filter(|(_, v)| !v.is_string()) {
                        self.error(
                            &child(pointer, &i.to_string()),
                            format!("expected a string, found {}", describe(item)),
                        );
                    }
                }
                None => self.error(
                    pointer,
                    format!("expected a list of strings, found {}", describe(value)),
                ),
            },
            Field::List(kind, refs) => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = child(pointer, &i.to_string());
                        if refs {
                            self.reference_or(item, &at, |w| w.object(item, kind, &at));
                        } else {
                            self.object(item, kind, &at);
                        }
                    }
                }
                None => self.error(
                    pointer,
                    format!(
                        "expected a list of {}s, found {}",
                        kind.name_in(self.major),
                        describe(value)
                    ),
                ),
            },
            Field::Map(kind, refs) => match value.as_object() {
                Some(map) => {
                    for (name, item) in map {
                        let at = child(pointer, name);
                        if kind == Kind::ChannelItem && self.major < 3 {
                            // A 2.x channel item's own `$ref` field is checked as a field.
                            self.object(item, kind, &at);
                        } else if refs {
                            self.reference_or(item, &at, |w| w.object(item, kind, &at));
                        } else {
                            self.object(item, kind, &at);
                        }
                    }
                }
                None => self.error(
                    pointer,
                    format!(
                        "expected a map of {}s, found {}",
                        kind.name_in(self.major),
                        describe(value)
                    ),
                ),
            },
            Field::SchemaMap => match value.as_object() {
                Some(map) => {
                    for (name, schema) in map {
                        self.field(schema, Field::RefOrSchema, &child(pointer, name));
                    }
                }
                None => self.error(
                    pointer,
                    format!("expected a map of schemas, found {}", describe(value)),
                ),
            },
            Field::AnyMap => match value.as_object() {
                Some(map) => {
                    for (name, v) in map.iter().filter(|(_, v)| !v.is_object()) {
                        self.error(
                            &child(pointer, name),
                            format!("expected an object, found {}", describe(v)),
                        );
                    }
                }
                None => self.error(
                    pointer,
                    format!("expected an object, found {}", describe(value)),
                ),
            },
            Field::Security => match value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = child(pointer, &i.to_string());
                        match item.as_object() {
                            Some(map) => {
                                for (name, scopes) in map {
                                    // A 2.x requirement names a scheme of the components
                                    // (3.x refers to it, and a dangling `$ref` is refused).
                                    if !self.security_schemes.is_some_and(|s| s.contains_key(name))
                                    {
                                        self.error(
                                            &child(&at, name),
                                            format!(
                                                "the security requirement names `{name}`, which `components.securitySchemes` does not declare"
                                            ),
                                        );
                                    }
                                    self.field(scopes, Field::Strings, &child(&at, name));
                                }
                            }
                            None => self.error(
                                &at,
                                format!(
                                    "expected a security requirement (a map), found {}",
                                    describe(item)
                                ),
                            ),
                        }
                    }
                }
                None => self.error(
                    pointer,
                    format!(
                        "expected a list of security requirements, found {}",
                        describe(value)
                    ),
                ),
            },
            Field::OperationMessage => match value.get("oneOf") {
                Some(Value::Array(list)) => {
                    for (i, m) in list.iter().enumerate() {
                        let at = child(&child(pointer, "oneOf"), &i.to_string());
                        self.reference_or(m, &at, |w| w.object(m, Kind::Message, &at));
                    }
                }
                Some(other) => self.error(
                    &child(pointer, "oneOf"),
                    format!("expected a list of messages, found {}", describe(other)),
                ),
                None => {
                    self.reference_or(value, pointer, |w| w.object(value, Kind::Message, pointer))
                }
            },
            Field::Str | Field::NullableStr | Field::AnyObject | Field::RefOrSchema => {
                let wanted = match field {
                    Field::Str => "a string",
                    Field::NullableStr => "a string or null",
                    Field::AnyObject => "an object",
                    _ => "a schema (an object or a boolean)",
                };
                self.error(
                    pointer,
                    format!("expected {wanted}, found {}", describe(value)),
                );
            }
        }
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(doc: Value) -> Vec<(String, String)> {
        check(&doc, 2, "t.yaml")
            .0
            .into_iter()
            .map(|d| (d.pointer, d.message))
            .collect()
    }

    #[test]
    fn a_minimal_document_passes() {
        assert!(
            problems(
                json!({"asyncapi": "2.6.0", "info": {"title": "t", "version": "1"}, "channels": {}})
            )
            .is_empty()
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let found = problems(json!({
            "asyncapi": "2.6.0",
            "info": {"title": "t", "version": "1", "license": {"name": 5}},
            "channels": {"/a": {"publish": {"message": {"payload": {}, "bogus": 1}, "operationId": ["x"]}}},
            "x-ok": true,
            "extra": 1
        }));
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/info/license/name",
                "/channels/~1a/publish/message/bogus",
                "/channels/~1a/publish/operationId",
                "/extra"
            ]
        );
        assert!(found[0].1.contains("expected a string, found a number"));
        assert!(found[3].1.contains("unknown field `extra`"));
        let found = problems(json!({"asyncapi": "2.6.0", "info": {"title": "t", "version": "1"}}));
        assert!(
            found[0].1.contains("missing its required `channels`"),
            "{found:?}"
        );
    }
}
