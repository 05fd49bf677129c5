//! Convert: the AsyncAPI 3.0 form of a 2.x document, as the AsyncAPI converter writes it
//! for JavaScript users, so a project can move to 3.0 and keep its generated crate.
//!
//! The document is read first (overlay applied, other files bundled in, traits merged
//! with 2.x semantics), so the output stands alone and says what the input meant.
//! Channels get ids from their addresses; `publish` becomes a `receive` operation and
//! `subscribe` a `send` one, named by `operationId` (or `<channel id>.publish`); each
//! operation's messages move to its channel's `messages` and the operation refers to
//! them; `schemaFormat` + `payload` become a Multi Format Schema Object; parameter
//! schemas give their `enum`, `default` and `examples`; server `url`s become `host` and
//! `pathname`; `x-` extensions and overlay keys are carried over. The crate generated
//! from the output is the crate generated from the input (tested over `specs/` and the
//! corpus).

use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Diagnostics, child, escape_token};
use crate::document::{Document, ParameterValues, channel_ids, operation_id, split_url};
use crate::load::SpecFile;
use crate::resolve::Resolver;

/// The 3.0 form of the 2.x document `file`, or why it cannot be converted.
pub fn to_v3(file: &SpecFile) -> Result<Value, Diagnostics> {
    let document = crate::read_checked(file)?;
    let (pointer, refusal) = match document.format {
        crate::document::Format::AsyncApi2 => return Ok(Converter::new(&document).run()),
        crate::document::Format::AsyncApi3 => (
            "/asyncapi",
            "the document is already AsyncAPI 3; only 2.x documents are converted",
        ),
        crate::document::Format::OpenApi31 => (
            "/openapi",
            "an OpenAPI document; only AsyncAPI 2.x documents are converted",
        ),
    };
    Err(Diagnostic::at(&file.display, pointer, refusal).into())
}

/// What a value converted where it lives is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Message,
    Server,
    Parameter,
}

struct Converter<'a> {
    document: &'a Document,
    resolver: Resolver<'a>,
    out: Map<String, Value>,
}

impl<'a> Converter<'a> {
    fn new(document: &'a Document) -> Self {
        Self {
            document,
            resolver: document.resolver(),
            out: Map::new(),
        }
    }

    fn root(&self) -> &'a Map<String, Value> {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        self.document.root.as_object().unwrap_or(&EMPTY)
    }

    fn run(mut self) -> Value {
        let root = self.root();
        self.out.insert("asyncapi".into(), json!("3.0.0"));
        if let Some(id) = root.get("id") {
            self.out.insert("id".into(), id.clone());
        }
        let mut info = root.get("info").cloned().unwrap_or_else(|| json!({}));
        if let Value::Object(info) = &mut info {
            for key in ["tags", "externalDocs"] {
                if let Some(value) = root.get(key) {
                    info.insert(key.into(), value.clone());
                }
            }
        }
        self.out.insert("info".into(), info);
        if let Some(servers) = root.get("servers").and_then(Value::as_object) {
            let servers = servers
                .iter()
                .map(|(name, server)| (name.clone(), self.server(server)))
                .collect();
            self.out.insert("servers".into(), Value::Object(servers));
        }
        if let Some(content_type) = root.get("defaultContentType") {
            self.out
                .insert("defaultContentType".into(), content_type.clone());
        }
        self.channels_and_operations();
        if let Some(components) = root.get("components").and_then(Value::as_object) {
            let components = self.components(components);
            self.out.insert("components".into(), components);
        }
        for (key, value) in root.iter().filter(|(k, _)| k.starts_with("x-")) {
            self.out.insert(key.clone(), value.clone());
        }
        // Objects that live in bundled files are converted where they are: the model
        // knows where each message and parameter is defined; servers are followed here.
        let bundled = format!("/{}/", crate::bundle::BUNDLE_KEY);
        let messages = self
            .document
            .messages
            .iter()
            .map(|m| (m.at.clone(), Kind::Message));
        let parameters = self
            .document
            .channels
            .iter()
            .flat_map(|c| &c.parameters)
            .map(|p| (p.at.clone(), Kind::Parameter));
        let servers = root
            .get("servers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| {
                let (at, _) = self.resolver.follow(value, &child("/servers", name)).ok()?;
                Some((at, Kind::Server))
            });
        let mut in_place: Vec<(String, Kind)> = messages
            .chain(parameters)
            .chain(servers)
            .filter(|(at, _)| at.starts_with(&bundled))
            .collect();
        in_place.sort();
        in_place.dedup();
        let mut out = Value::Object(std::mem::take(&mut self.out));
        for (at, kind) in in_place {
            let Some(original) = self.document.root.pointer(&at) else {
                continue;
            };
            let converted = match kind {
                Kind::Message => convert_message(original),
                Kind::Server => self.server(original),
                Kind::Parameter => self.parameter(original),
            };
            if let Some(target) = out.pointer_mut(&at) {
                *target = converted;
            }
        }
        out
    }

    fn server(&self, server: &Value) -> Value {
        let Some(map) = server.as_object() else {
            return server.clone();
        };
        if map.contains_key("$ref") {
            return server.clone();
        }
        let mut out = Map::new();
        for (key, value) in map {
            match key.as_str() {
                "url" => {
                    let (host, pathname) = split_url(value.as_str().unwrap_or(""));
                    out.insert("host".into(), json!(host));
                    if !pathname.is_empty() {
                        out.insert("pathname".into(), json!(pathname));
                    }
                }
                "security" => {
                    out.insert("security".into(), security(value));
                }
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        Value::Object(out)
    }

    fn channels_and_operations(&mut self) {
        let Some(items) = self.root().get("channels").and_then(Value::as_object) else {
            return;
        };
        let ids = channel_ids(items.keys().map(String::as_str));
        let mut channels = Map::new();
        let mut operations = Map::new();
        for ((address, item), id) in items.iter().zip(ids) {
            let at = child("/channels", address);
            let item = self
                .resolver
                .follow(item, &at)
                .map_or(item, |(_, item)| item);
            let Some(item) = item.as_object() else {
                continue;
            };
            let mut channel = Map::new();
            channel.insert("address".into(), json!(address));
            let mut messages = Map::new();
            let mut channel_ops = Vec::new();
            for keyword in ["publish", "subscribe"] {
                let Some(op) = item.get(keyword).and_then(Value::as_object) else {
                    continue;
                };
                let op_id =
                    operation_id(op.get("operationId").and_then(Value::as_str), &id, keyword);
                let mut refs = Vec::new();
                if let Some(message) = op.get("message") {
                    let msg_at = child(&child(&at, keyword), "message");
                    let list: Vec<(String, &Value)> =
                        match message.get("oneOf").and_then(Value::as_array) {
                            Some(list) => list
                                .iter()
                                .enumerate()
                                .map(|(i, m)| (child(&child(&msg_at, "oneOf"), &i.to_string()), m))
                                .collect(),
                            None => vec![(msg_at, message)],
                        };
                    for (m_at, message) in list {
                        let key = self.add_message(&mut messages, message, &m_at);
                        if let Some(key) = key {
                            refs.push(json!({"$ref": format!("#/channels/{}/messages/{}", escape_token(&id), escape_token(&key))}));
                        }
                    }
                }
                let mut operation = Map::new();
                operation.insert(
                    "action".into(),
                    json!(if keyword == "publish" {
                        "receive"
                    } else {
                        "send"
                    }),
                );
                operation.insert(
                    "channel".into(),
                    json!({"$ref": format!("#/channels/{}", escape_token(&id))}),
                );
                for (key, value) in op {
                    match key.as_str() {
                        "operationId" | "message" | "traits" => {}
                        "security" => {
                            operation.insert("security".into(), security(value));
                        }
                        _ => {
                            operation.insert(key.clone(), value.clone());
                        }
                    }
                }
                operation.insert("messages".into(), Value::Array(refs));
                channel_ops.push((op_id, Value::Object(operation)));
            }
            if !messages.is_empty() {
                channel.insert("messages".into(), Value::Object(messages));
            }
            for (key, value) in item {
                match key.as_str() {
                    "publish" | "subscribe" | "$ref" => {}
                    "parameters" => {
                        let parameters = value
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(name, p)| (name.clone(), self.parameter(p)))
                            .collect();
                        channel.insert("parameters".into(), Value::Object(parameters));
                    }
                    "servers" => {
                        let servers: Vec<Value> = value
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(|s| json!({"$ref": format!("#/servers/{}", escape_token(s))}))
                            .collect();
                        channel.insert("servers".into(), Value::Array(servers));
                    }
                    _ => {
                        channel.insert(key.clone(), value.clone());
                    }
                }
            }
            channels.insert(id, Value::Object(channel));
            operations.extend(channel_ops);
        }
        self.out.insert("channels".into(), Value::Object(channels));
        if !operations.is_empty() {
            self.out
                .insert("operations".into(), Value::Object(operations));
        }
    }

    /// Adds a 2.x operation's message to its channel's `messages`, under the key the
    /// document model gives it; returns that key.
    fn add_message(
        &self,
        messages: &mut Map<String, Value>,
        message: &Value,
        at: &str,
    ) -> Option<String> {
        let (target, resolved) = self.resolver.follow(message, at).ok()?;
        let index = self.document.messages.iter().position(|m| m.at == target)?;
        let key = self.document.messages[index].key.clone();
        let value = if message.get("$ref").is_some() {
            json!({"$ref": format!("#{target}")})
        } else {
            convert_message(resolved)
        };
        // The same message twice on one channel (`publish` and `subscribe`) is one entry.
        if let Some((existing, _)) = messages
            .iter()
            .find(|(_, v)| v.get("$ref").and_then(Value::as_str) == Some(&format!("#{target}")))
        {
            return Some(existing.clone());
        }
        let mut entry = key.clone();
        let mut n = 2;
        while messages.contains_key(&entry) {
            entry = format!("{key}_{n}");
            n += 1;
        }
        messages.insert(entry.clone(), value);
        Some(entry)
    }

    /// A 2.x parameter: its schema's `enum`, `default` and `examples` move up.
    fn parameter(&self, parameter: &Value) -> Value {
        let Some(map) = parameter.as_object() else {
            return parameter.clone();
        };
        if map.contains_key("$ref") {
            return parameter.clone();
        }
        let mut out = Map::new();
        for (key, value) in map {
            if key == "schema" {
                let schema = self
                    .resolver
                    .follow(value, "")
                    .map_or(value, |(_, schema)| schema);
                let values = ParameterValues::of_schema(schema);
                if let Some(allowed) = values.allowed {
                    out.insert("enum".into(), json!(allowed));
                }
                if let Some(default) = values.default {
                    out.insert("default".into(), json!(default));
                }
                if let Some(examples) = values.examples {
                    out.insert("examples".into(), json!(examples));
                }
            } else {
                out.insert(key.clone(), value.clone());
            }
        }
        Value::Object(out)
    }

    fn components(&self, components: &Map<String, Value>) -> Value {
        let mut out = Map::new();
        for (key, value) in components {
            let converted = match key.as_str() {
                "messages" => map_values(value, convert_message),
                "parameters" => map_values(value, |p| self.parameter(p)),
                "servers" => map_values(value, |s| self.server(s)),
                "messageTraits" => map_values(value, convert_message),
                "securitySchemes" => map_values(value, security_scheme),
                "operationTraits" => map_values(value, |t| {
                    let mut t = t.clone();
                    if let Value::Object(map) = &mut t {
                        map.remove("operationId");
                    }
                    t
                }),
                // 2.x component channels are keyed by address and hold 2.x operations;
                // nothing refers to them once channels are converted.
                "channels" => continue,
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }
}

/// A 2.x message (or message trait) in 3.0 form.
fn convert_message(message: &Value) -> Value {
    let Some(map) = message.as_object() else {
        return message.clone();
    };
    if map.contains_key("$ref") {
        return message.clone();
    }
    let mut out = Map::new();
    let format = map.get("schemaFormat");
    for (key, value) in map {
        match key.as_str() {
            "messageId" | "schemaFormat" | "traits" => {}
            "payload" => {
                let payload = match format {
                    Some(format) => json!({"schemaFormat": format, "schema": value}),
                    None => value.clone(),
                };
                out.insert("payload".into(), payload);
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

fn map_values(value: &Value, f: impl Fn(&Value) -> Value) -> Value {
    match value.as_object() {
        Some(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), f(v))).collect()),
        None => value.clone(),
    }
}

/// 2.x security requirements (`[{name: [scopes]}]`) as 3.x references to the schemes.
fn security(requirements: &Value) -> Value {
    Value::Array(
        requirements
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .flat_map(|r| r.keys())
            .map(|name| json!({"$ref": format!("#/components/securitySchemes/{}", escape_token(name))}))
            .collect(),
    )
}

/// A 2.x security scheme in 3.0 form: OAuth flows list `availableScopes`, not `scopes`.
fn security_scheme(scheme: &Value) -> Value {
    let mut scheme = scheme.clone();
    if let Some(flows) = scheme.get_mut("flows").and_then(Value::as_object_mut) {
        for flow in flows.values_mut().filter_map(Value::as_object_mut) {
            if let Some(scopes) = flow.remove("scopes") {
                flow.insert("availableScopes".into(), scopes);
            }
        }
    }
    scheme
}
