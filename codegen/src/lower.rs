//! Lower: a checked document becomes an [`ir::Spec`]: messages with their payload types
//! and discriminator values, channels with operations and directions, the signature
//! scheme and the delivery rules.
//!
//! Discriminators: the field whose value names a channel's message is the channel's
//! `x-hookgen-discriminator`, else a field (by preference `type`, `event`, `event_type`,
//! `action`, `kind`, then alphabetical) for which every message's payload has a `const`
//! or single-value `enum`. A message's values are its `x-hookgen-discriminator-value` (a
//! string or a list), else that `const`/`enum`. Messages no value singles out are told
//! apart by shape at decode time: exactly one must fit, or decoding reports it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::ir::{
    self, Action, Channel, Delivery, Example, Message, Operation, Parameter, Signature,
    SignatureAlgorithm, SignatureEncoding, Ty,
};
use crate::naming::{NameScope, type_name};
use crate::resolve::Resolver;
use crate::schema::{
    PREFERRED_TAGS, SchemaLowering, object_properties, string_values, top_level_property,
};

/// Every type-namespace item `emit::rust` adds to a spec module (with every feature
/// on), never given to a spec's type. Its other items (`sign`, `verify`, `route`,
/// `decode`, `router`, `sender`, `SIGNATURE`, `CHANNELS`, …) are snake or screaming
/// case, which a type name never is.
const RESERVED_TYPE_NAMES: &[&str] = &["Message", "Handler", "Dispatcher"];

/// Lowers a checked document into the module `module`; `sources` name the files.
pub fn lower(
    resolver: Resolver<'_>,
    module: &str,
    sources: Vec<String>,
) -> Result<ir::Spec, Diagnostics> {
    Lowering::new(resolver).run(module, sources)
}

struct Lowering<'a> {
    resolver: Resolver<'a>,
    schemas: SchemaLowering<'a>,
    diagnostics: Diagnostics,
    messages: Vec<Message>,
    message_by_pointer: BTreeMap<String, usize>,
    variants: NameScope,
}

impl<'a> Lowering<'a> {
    fn new(resolver: Resolver<'a>) -> Self {
        Self {
            resolver,
            schemas: SchemaLowering::new(resolver, RESERVED_TYPE_NAMES),
            diagnostics: Diagnostics::default(),
            messages: Vec::new(),
            message_by_pointer: BTreeMap::new(),
            variants: NameScope::default(),
        }
    }

    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.resolver.file(), pointer, message));
    }

    fn run(mut self, module: &str, sources: Vec<String>) -> Result<ir::Spec, Diagnostics> {
        let doc = self.resolver.root();
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").trim().to_owned();
        let info = doc.get("info");
        let ext = doc.get("x-hookgen");
        let application = ext
            .and_then(|e| e.get("application"))
            .and_then(Value::as_str)
            .unwrap_or("the application")
            .to_owned();
        let peer = ext
            .and_then(|e| e.get("peer"))
            .and_then(Value::as_str)
            .unwrap_or("other parties")
            .to_owned();
        let default_content_type = text(doc.get("defaultContentType"));

        // Component schemas first, so they keep their own names.
        if let Some(schemas) = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in schemas {
                let at = child("/components/schemas", name);
                self.schemas.lower_named(schema, &at, name);
            }
        }

        let mut channels = Vec::new();
        if let Some(items) = doc.get("channels").and_then(Value::as_object) {
            for (address, item) in items {
                let at = child("/channels", address);
                let Ok((_, item)) = self.resolver.follow(item, &at) else {
                    continue;
                };
                channels.push(self.channel(
                    address,
                    item,
                    &at,
                    &application,
                    &peer,
                    &default_content_type,
                ));
            }
        }
        // Messages no channel uses still get their types.
        if let Some(messages) = doc
            .pointer("/components/messages")
            .and_then(Value::as_object)
        {
            for (key, message) in messages {
                let at = child("/components/messages", key);
                self.message(message, &at, key, &default_content_type);
            }
        }
        for channel in &mut channels {
            self.discriminate(channel);
        }

        let signature = self.signature(doc);
        let delivery = ext.and_then(|e| e.get("delivery")).map(delivery);
        let unknown_variant = self.variants.claim("Unknown".to_owned());
        let (types, schema_diagnostics) = self.schemas.finish();
        self.diagnostics.0.extend(schema_diagnostics.0);
        let spec = ir::Spec {
            module: module.to_owned(),
            sources,
            title: text(info.and_then(|i| i.get("title"))),
            version: text(info.and_then(|i| i.get("version"))),
            description: text(info.and_then(|i| i.get("description"))),
            application,
            peer,
            types,
            messages: self.messages,
            channels,
            signature,
            delivery,
            unknown_variant,
            warnings: Vec::new(),
        };
        self.diagnostics.into_result(spec)
    }

    fn channel(
        &mut self,
        address: &str,
        item: &Value,
        at: &str,
        application: &str,
        peer: &str,
        default_content_type: &str,
    ) -> Channel {
        let parameters = crate::check::template_parameters(address)
            .into_iter()
            .map(|name| {
                let p_at = child(&child(at, "parameters"), name);
                let declared = item.get("parameters").and_then(|p| p.get(name));
                let declared = declared
                    .and_then(|d| self.resolver.follow(d, &p_at).ok())
                    .map(|(_, v)| v);
                let description = declared
                    .and_then(|d| d.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                let schema = declared.and_then(|d| d.get("schema"));
                let schema = schema
                    .and_then(|s| self.resolver.follow(s, &p_at).ok())
                    .map(|(_, v)| v);
                let example = schema
                    .and_then(|s| {
                        s.get("examples")
                            .and_then(|e| e.get(0))
                            .or_else(|| s.get("default"))
                            .or_else(|| s.get("enum").and_then(|e| e.get(0)))
                    })
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .unwrap_or_else(|| format!("example-{name}"));
                Parameter {
                    name: name.to_owned(),
                    description,
                    example,
                }
            })
            .collect();
        let mut operations = Vec::new();
        let mut messages = Vec::new();
        for (keyword, action) in [
            ("publish", Action::Publish),
            ("subscribe", Action::Subscribe),
        ] {
            let Some(op) = item.get(keyword) else {
                continue;
            };
            let op_at = child(at, keyword);
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let summary = op
                .get("summary")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned();
            let mut op_messages = Vec::new();
            if let Some(message) = op.get("message") {
                let msg_at = child(&op_at, "message");
                let fallback = if id.is_empty() {
                    format!("{address} {keyword}")
                } else {
                    id.clone()
                };
                match message.get("oneOf").and_then(Value::as_array) {
                    Some(list) => {
                        for (i, m) in list.iter().enumerate() {
                            let m_at = child(&child(&msg_at, "oneOf"), &i.to_string());
                            if let Some(index) = self.message(
                                m,
                                &m_at,
                                &format!("{fallback} {i}"),
                                default_content_type,
                            ) {
                                op_messages.push(index);
                            }
                        }
                    }
                    None => op_messages.extend(self.message(
                        message,
                        &msg_at,
                        &fallback,
                        default_content_type,
                    )),
                }
            }
            for index in &op_messages {
                if !messages.contains(index) {
                    messages.push(*index);
                }
            }
            let (sender, receiver) = match action {
                Action::Publish => (peer, application),
                Action::Subscribe => (application, peer),
            };
            operations.push(Operation {
                id,
                action,
                sender: sender.to_owned(),
                receiver: receiver.to_owned(),
                summary,
                messages: op_messages,
                bindings: self.bindings(op.get("bindings"), &op_at),
            });
        }
        Channel {
            address: address.to_owned(),
            description: item
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned(),
            parameters,
            operations,
            discriminator: item
                .get("x-hookgen-discriminator")
                .and_then(Value::as_str)
                .map(str::to_owned),
            messages,
            bindings: self.bindings(item.get("bindings"), at),
        }
    }

    /// Bindings as JSON text, references resolved (empty when there are none).
    fn bindings(&self, bindings: Option<&Value>, at: &str) -> String {
        bindings
            .map(|b| self.resolver.follow(b, at).map_or(b, |(_, v)| v))
            .map(Value::to_string)
            .unwrap_or_default()
    }

    /// Lowers the message at `at` once (by its resolved pointer) and returns its index.
    fn message(
        &mut self,
        message: &Value,
        at: &str,
        fallback_key: &str,
        default_content_type: &str,
    ) -> Option<usize> {
        let (pointer, message) = match self.resolver.follow(message, at) {
            Ok(found) => found,
            Err(d) => {
                self.diagnostics.push(d);
                return None;
            }
        };
        if let Some(index) = self.message_by_pointer.get(&pointer) {
            return Some(*index);
        }
        let Some(map) = message.as_object() else {
            self.error(&pointer, "a message must be a mapping");
            return None;
        };
        let text = |key: &str| {
            map.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        let key = pointer
            .strip_prefix("/components/messages/")
            .filter(|k| !k.contains('/'))
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .or_else(|| map.get("name").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| fallback_key.to_owned());
        let variant = self.variants.claim(type_name(&key, "Message"));
        let mut notes = Vec::new();
        let payload = match map.get("payload") {
            Some(payload) if is_json_schema_format(map) => {
                self.schemas
                    .lower(
                        payload,
                        &child(&pointer, "payload"),
                        &format!("{variant}Payload"),
                    )
                    .ty
            }
            Some(_) => {
                let format = map
                    .get("schemaFormat")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                notes.push(format!(
                    "The payload schema is {}, not JSON Schema: the payload is kept as raw JSON.",
                    crate::escape::code(format)
                ));
                Ty::Json
            }
            None => {
                notes.push(
                    "The spec gives no payload schema: the payload is kept as raw JSON.".to_owned(),
                );
                Ty::Json
            }
        };
        let headers = map.get("headers").map(|h| {
            self.schemas
                .lower(h, &child(&pointer, "headers"), &format!("{variant}Headers"))
                .ty
        });
        let content_type = Some(text("contentType"))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| default_content_type.to_owned());
        let values = match map.get("x-hookgen-discriminator-value") {
            None => Vec::new(),
            Some(Value::String(v)) => vec![v.clone()],
            Some(Value::Array(vs)) if vs.iter().all(Value::is_string) => vs
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(_) => {
                self.error(
                    &child(&pointer, "x-hookgen-discriminator-value"),
                    "must be a string or a list of strings",
                );
                Vec::new()
            }
        };
        let examples = map
            .get("examples")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .enumerate()
                    .filter_map(|(i, e)| {
                        Some(Example {
                            name: e
                                .get("name")
                                .and_then(Value::as_str)
                                .map_or_else(|| format!("example {}", i + 1), str::to_owned),
                            payload: e.get("payload")?.clone(),
                            headers: e.get("headers").cloned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.messages.push(Message {
            key,
            variant,
            title: text("title"),
            summary: text("summary"),
            description: text("description"),
            content_type,
            payload,
            headers,
            explicit_values: !values.is_empty(),
            discriminator_values: values,
            examples,
            notes,
            correlation_id: map
                .get("correlationId")
                .and_then(|c| self.resolver.follow(c, &pointer).ok())
                .and_then(|(_, c)| c.get("location"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            bindings: self.bindings(map.get("bindings"), &pointer),
            origin: pointer.clone(),
        });
        let index = self.messages.len() - 1;
        self.message_by_pointer.insert(pointer, index);
        Some(index)
    }

    /// Chooses the channel's discriminator and each message's values.
    ///
    /// Messages that share a value, or have none, are told apart by shape when decoding
    /// (exactly one must fit), so only a contradiction the spec states outright is an
    /// error: two messages given the same `x-hookgen-discriminator-value`.
    fn discriminate(&mut self, channel: &mut Channel) {
        let single = channel.messages.len() <= 1;
        if channel.discriminator.is_none() {
            channel.discriminator = self.infer_discriminator(&channel.messages, single);
        }
        let Some(field) = channel.discriminator.clone() else {
            return;
        };
        let mut claimed: BTreeMap<String, String> = BTreeMap::new();
        for index in channel.messages.clone() {
            if self.messages[index].discriminator_values.is_empty() {
                self.messages[index].discriminator_values =
                    self.payload_values(&self.messages[index].clone(), &field);
            }
            let message = self.messages[index].clone();
            if !message.explicit_values {
                continue;
            }
            for value in &message.discriminator_values {
                if let Some(other) = claimed.insert(value.clone(), message.key.clone()) {
                    self.error(&message.origin, format!(
                        "messages `{other}` and `{}` on channel `{}` are both given `x-hookgen-discriminator-value: {value}`",
                        message.key, channel.address
                    ));
                }
            }
        }
    }

    /// The `const`/`enum` values of a message payload's top-level field.
    fn payload_values(&self, message: &Message, field: &str) -> Vec<String> {
        self.payload_schema(message)
            .and_then(|payload| top_level_property(self.resolver, payload, field))
            .map(string_values)
            .unwrap_or_default()
    }

    /// The message's payload schema, references followed.
    fn payload_schema(&self, message: &Message) -> Option<&'a Value> {
        let payload = self
            .resolver
            .root()
            .pointer(&child(&message.origin, "payload"))?;
        self.resolver
            .follow(payload, &message.origin)
            .ok()
            .map(|(_, v)| v)
    }

    fn infer_discriminator(&self, messages: &[usize], single: bool) -> Option<String> {
        let mut candidates: BTreeSet<String> = BTreeSet::new();
        for (n, index) in messages.iter().enumerate() {
            let message = &self.messages[*index];
            let fields: BTreeSet<String> = self
                .payload_fields(message)
                .into_iter()
                .filter(|f| {
                    let values = self.payload_values(message, f);
                    !values.is_empty() && (single || values.len() == 1)
                })
                .collect();
            candidates = if n == 0 {
                fields
            } else {
                candidates.intersection(&fields).cloned().collect()
            };
        }
        if single {
            return PREFERRED_TAGS
                .iter()
                .find(|f| candidates.contains(**f))
                .map(|f| (*f).to_owned());
        }
        PREFERRED_TAGS
            .iter()
            .map(|f| (*f).to_owned())
            .find(|f| candidates.contains(f))
            .or_else(|| candidates.into_iter().next())
    }

    fn payload_fields(&self, message: &Message) -> Vec<String> {
        self.payload_schema(message)
            .map(|payload| {
                object_properties(self.resolver, payload)
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The signature scheme from `x-hookgen.signature`: `scheme: standard-webhooks`, or
    /// the keys one by one (the header defaults to the spec's `httpApiKey` header scheme).
    fn signature(&mut self, doc: &Value) -> Option<Signature> {
        let ext = doc.pointer("/x-hookgen/signature")?;
        let header = signature_setting(ext, "header").or_else(|| {
            doc.pointer("/components/securitySchemes")
                .and_then(Value::as_object)?
                .values()
                .filter_map(|s| {
                    self.resolver
                        .follow(s, "/components/securitySchemes")
                        .ok()
                        .map(|(_, v)| v)
                })
                .find(|s| {
                    s.get("type").and_then(Value::as_str) == Some("httpApiKey")
                        && s.get("in").and_then(Value::as_str) == Some("header")
                })
                .and_then(|s| s.get("name").and_then(Value::as_str))
                .map(str::to_owned)
        });
        let Some(header) = header else {
            self.error("/x-hookgen/signature", "no signature header: set `header`, or declare an `httpApiKey` security scheme `in: header`");
            return None;
        };
        let or = |key: &str| signature_setting(ext, key).unwrap_or_default();
        Some(Signature {
            header,
            algorithm: SignatureAlgorithm::HmacSha256,
            encoding: if or("encoding") == "base64" {
                SignatureEncoding::Base64
            } else {
                SignatureEncoding::Hex
            },
            prefix: or("prefix"),
            whsec_secret: or("secret") == "whsec-base64",
            signs_id_and_timestamp: or("signed") == "id.timestamp.body",
            id_header: or("id-header"),
            timestamp_header: or("timestamp-header"),
            separator: or("separator").chars().next(),
            tolerance_seconds: signature_setting(ext, "tolerance-seconds")
                .and_then(|t| t.parse().ok()),
        })
    }
}

/// What `scheme: standard-webhooks` sets, unless the spec sets a key itself.
const STANDARD_WEBHOOKS_PRESET: &[(&str, &str)] = &[
    ("header", "webhook-signature"),
    ("encoding", "base64"),
    ("prefix", "v1,"),
    ("secret", "whsec-base64"),
    ("signed", "id.timestamp.body"),
    ("id-header", "webhook-id"),
    ("timestamp-header", "webhook-timestamp"),
    ("separator", " "),
    ("tolerance-seconds", "300"),
];

/// What a key of `x-hookgen.signature` is without a preset or a value in the spec.
const SIGNATURE_DEFAULTS: &[(&str, &str)] =
    &[("encoding", "hex"), ("secret", "bytes"), ("signed", "body")];

/// The value of `key` in an `x-hookgen.signature` mapping: as the spec writes it, else
/// from its preset, else the default; `None` when none applies (numbers as text). The
/// one place presets and defaults are applied, for lowering and for checking.
pub(crate) fn signature_setting(ext: &Value, key: &str) -> Option<String> {
    if let Some(value) = ext.get(key) {
        return match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
    }
    let standard = ext.get("scheme").and_then(Value::as_str) == Some("standard-webhooks");
    let preset = if standard {
        STANDARD_WEBHOOKS_PRESET
    } else {
        &[]
    };
    preset
        .iter()
        .chain(SIGNATURE_DEFAULTS)
        .find(|(k, _)| *k == key)
        .map(|(_, v)| (*v).to_owned())
}

/// True unless the message declares a non-JSON-Schema `schemaFormat` (Avro, RAML, …).
pub fn is_json_schema_format(message: &serde_json::Map<String, Value>) -> bool {
    match message.get("schemaFormat").and_then(Value::as_str) {
        None => true,
        Some(format) => {
            format.starts_with("application/vnd.aai.asyncapi")
                || format.starts_with("application/schema+json")
                // OpenAPI 3.0 schemas are JSON Schema plus `nullable`, which we honour.
                || format.starts_with("application/vnd.oai.openapi")
        }
    }
}

fn delivery(value: &Value) -> Delivery {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let millis = |v: &Value| v.as_f64().map_or(0, |s| (s * 1000.0).round() as u64);
    Delivery {
        attempts: value
            .get("attempts")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1),
        backoff_ms: value
            .get("backoff-seconds")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(millis).collect())
            .unwrap_or_default(),
        timeout_ms: value.get("timeout-seconds").map_or(0, millis),
        success: text("success"),
        retry_on: text("retry-on"),
        notes: text("notes"),
    }
}
