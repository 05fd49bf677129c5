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

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::document::{self, Document};
use crate::ir::{
    self, Channel, Delivery, Example, Message, Operation, Parameter, Reply, Signature, Ty,
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

/// Lowers a read and checked document into the module `module`; `sources` name the files.
pub fn lower(
    document: &Document,
    module: &str,
    sources: Vec<String>,
) -> Result<ir::Spec, Diagnostics> {
    Lowering::new(document).run(module, sources)
}

struct Lowering<'a> {
    document: &'a Document,
    resolver: Resolver<'a>,
    schemas: SchemaLowering<'a>,
    diagnostics: Diagnostics,
    messages: Vec<Message>,
    variants: NameScope,
}

impl<'a> Lowering<'a> {
    fn new(document: &'a Document) -> Self {
        let resolver = document.resolver();
        Self {
            document,
            resolver,
            schemas: SchemaLowering::new(resolver, RESERVED_TYPE_NAMES)
                .leniency(document.leniency()),
            diagnostics: Diagnostics::default(),
            messages: Vec::new(),
            variants: NameScope::default(),
        }
    }

    fn error(&mut self, pointer: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.resolver.file(), pointer, message));
    }

    fn run(mut self, module: &str, sources: Vec<String>) -> Result<ir::Spec, Diagnostics> {
        let document = self.document;
        let root = self.resolver.root();
        // Component schemas first, so they keep their own names.
        for (name, at) in &document.component_schemas {
            if let Some(schema) = root.pointer(at) {
                self.schemas.lower_named(schema, at, name);
            }
        }
        for message in &document.messages {
            let lowered = self.message(message);
            self.messages.push(lowered);
        }
        let mut channels: Vec<Channel> = document
            .channels
            .iter()
            .enumerate()
            .map(|(index, channel)| self.channel(index, channel))
            .collect();
        for channel in &mut channels {
            channel.decode = match channel.event_header.clone() {
                None => {
                    let members = channel.messages.clone();
                    channel.discriminator =
                        self.discriminate(&members, channel.discriminator.take(), channel);
                    decode_plan(channel.discriminator.as_deref(), &members, &self.messages)
                }
                Some(header) => self.by_event(channel, header),
            };
        }
        let signature = self.signature();
        let delivery = document.config.delivery.as_ref().map(delivery);
        let unknown_variant = self.variants.claim("Unknown".to_owned());
        let (types, schema_diagnostics, merged) = self.schemas.finish();
        for message in &mut self.messages {
            merged.apply(&mut message.payload);
            if let Some((headers, _)) = &mut message.headers {
                merged.apply(headers);
            }
        }
        self.diagnostics.0.extend(schema_diagnostics.0);
        let spec = ir::Spec {
            module: module.to_owned(),
            sources,
            title: document.info.title.clone(),
            version: document.info.version.clone(),
            description: document.info.description.clone(),
            application: document.config.application().to_owned(),
            peer: document.config.peer().to_owned(),
            types,
            messages: self.messages,
            channels,
            servers: document
                .servers
                .iter()
                .map(|s| ir::Server {
                    name: s.name.clone(),
                    host: s.host.clone(),
                    pathname: s.pathname.clone(),
                    protocol: s.protocol.clone(),
                    description: s.description.clone(),
                })
                .collect(),
            signature,
            delivery,
            unknown_variant,
            warnings: Vec::new(),
        };
        self.diagnostics.into_result(spec)
    }

    fn channel(&mut self, index: usize, channel: &document::Channel) -> Channel {
        let document = self.document;
        // Parameters in template order; a dynamic channel has none to fill.
        let names = channel
            .address
            .as_deref()
            .map(crate::check::template_parameters)
            .unwrap_or_default();
        let parameters = names
            .into_iter()
            .map(|name| {
                let declared = channel.parameters.iter().find(|p| p.name == name);
                let example = declared
                    .and_then(|d| {
                        d.examples
                            .first()
                            .or(d.default.as_ref())
                            .or(d.allowed.first())
                    })
                    .cloned()
                    .unwrap_or_else(|| format!("example-{name}"));
                Parameter {
                    name: name.to_owned(),
                    description: declared.map(|d| d.description.clone()).unwrap_or_default(),
                    example,
                    allowed: declared.map(|d| d.allowed.clone()).unwrap_or_default(),
                    default: declared.and_then(|d| d.default.clone()),
                    location: declared.and_then(|d| d.location.clone()),
                }
            })
            .collect();
        let (application, peer) = (document.config.application(), document.config.peer());
        let operations = document
            .operations
            .iter()
            .filter(|o| o.channel == index)
            .map(|o| {
                let (sender, receiver) = match o.action {
                    document::Action::Receive => (peer, application),
                    document::Action::Send => (application, peer),
                };
                Operation {
                    id: o.id.clone(),
                    action: o.action,
                    sender: sender.to_owned(),
                    receiver: receiver.to_owned(),
                    summary: o.summary.clone(),
                    messages: o.messages.clone(),
                    bindings: json_text(o.bindings.as_ref()),
                    reply: o.reply.as_ref().map(|r| Reply {
                        channel: r.channel,
                        location: r.location.clone(),
                        messages: r.messages.clone(),
                    }),
                }
            })
            .collect();
        Channel {
            address: channel.address.clone(),
            description: channel.description.clone(),
            parameters,
            operations,
            event_header: channel.event_header.clone(),
            discriminator: channel.discriminator.clone(),
            messages: channel.messages.clone(),
            bindings: json_text(channel.bindings.as_ref()),
            decode: ir::DecodePlan::KeepUnknown,
        }
    }

    /// Lowers one message of the document: its payload and header types and its facts.
    fn message(&mut self, message: &document::Message) -> Message {
        let root = self.resolver.root();
        let variant = self.variants.claim(type_name(&message.key, "Message"));
        let mut notes = Vec::new();
        let mut payload_schema = None;
        let payload = match &message.payload {
            Some(schema) if schema.is_json_schema() => match root.pointer(&schema.at) {
                Some(value) => {
                    payload_schema = Some(schema.at.clone());
                    self.schemas
                        .lower(value, &schema.at, &format!("{variant}Payload"))
                        .ty
                }
                None => Ty::Json,
            },
            Some(schema) => {
                notes.push(format!(
                    "The payload schema is {}, not JSON Schema: the payload is kept as raw JSON.",
                    crate::escape::code(schema.format.as_deref().unwrap_or(""))
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
        let examples = message
            .examples
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                Some(Example {
                    name: e
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("example {}", i + 1)),
                    payload: e.payload.clone()?,
                    headers: e.headers.clone(),
                })
            })
            .collect();
        let values = message.discriminator_values.clone().unwrap_or_default();
        Message {
            key: message.key.clone(),
            variant,
            title: message.title.clone(),
            summary: message.summary.clone(),
            description: message.description.clone(),
            content_type: message
                .content_type
                .clone()
                .unwrap_or_else(|| self.document.default_content_type.clone()),
            payload,
            explicit_values: !values.is_empty(),
            discriminator_values: values,
            event: message.event.clone(),
            headers: self.header_type(message),
            examples,
            notes,
            correlation_id: message.correlation_id.clone().unwrap_or_default(),
            bindings: json_text(message.bindings.as_ref()),
            origin: message.at.clone(),
            payload_schema,
        }
    }

    /// The plan of a channel whose `header` names the event: its messages grouped by
    /// event (in order of first appearance), each group told apart as a channel's
    /// messages are. The channel's discriminator becomes the field the groups that need
    /// one agree on (GitHub's `action`), if they agree.
    fn by_event(&mut self, channel: &mut Channel, header: String) -> ir::DecodePlan {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for &index in &channel.messages {
            let Some(event) = self.messages[index].event.clone() else {
                let origin = self.messages[index].origin.clone();
                self.error(&origin, format!("no `{header}` event names this message"));
                continue;
            };
            match groups.iter_mut().find(|(e, _)| *e == event) {
                Some((_, members)) => members.push(index),
                None => groups.push((event, vec![index])),
            }
        }
        let stated = channel.discriminator.take();
        // The field the events of several messages are told apart by (GitHub's `action`)
        // is preferred for every event whose messages all fix it, even an event of one
        // message that also fixes another (`secret_scanning_scan`'s `type`).
        let common = stated.clone().or_else(|| {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for (_, members) in groups.iter().filter(|(_, m)| m.len() > 1) {
                if let Some(field) = self.infer_discriminator(members, false) {
                    *counts.entry(field).or_default() += 1;
                }
            }
            let most = counts.values().copied().max()?;
            counts.into_iter().find(|(_, n)| *n == most).map(|(f, _)| f)
        });
        let mut fields = BTreeSet::new();
        let events = groups
            .into_iter()
            .map(|(event, members)| {
                let fixes_common = common.as_ref().filter(|field| {
                    members
                        .iter()
                        .all(|&m| !self.payload_values(&self.messages[m], field).is_empty())
                });
                let field = self.discriminate(
                    &members,
                    stated.clone().or_else(|| fixes_common.cloned()),
                    channel,
                );
                fields.extend(field.clone());
                let plan = decode_plan(field.as_deref(), &members, &self.messages);
                (event, plan)
            })
            .collect();
        channel.discriminator = match fields.len() {
            1 => fields.pop_first(),
            _ => stated,
        };
        ir::DecodePlan::ByEvent { header, events }
    }

    /// The struct of a message's declared request headers: every header a string field
    /// named after it (header values are text; the schema's type is not read), optional
    /// unless `required`, in the order of their names (ignoring ASCII case). Named
    /// `WebhookHeaders` (with a number where webhooks declare different sets), so the many
    /// webhooks declaring the same headers, in whatever order, share one type.
    fn header_type(&mut self, message: &document::Message) -> Option<(Ty, Vec<String>)> {
        if message.header_parameters.is_empty() {
            return None;
        }
        let mut declared: Vec<&document::HeaderParameter> =
            message.header_parameters.iter().collect();
        declared.sort_by_key(|h| h.name.to_ascii_lowercase());
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        for header in &declared {
            let mut property = serde_json::Map::new();
            property.insert("type".into(), "string".into());
            if !header.description.is_empty() {
                property.insert("description".into(), header.description.clone().into());
            }
            properties.insert(header.name.clone(), Value::Object(property));
            if header.required {
                required.push(Value::from(header.name.clone()));
            }
        }
        // Headers are held to what they declare: the receive leniency is for payloads.
        let schema = serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            crate::schema::AS_WRITTEN: true,
        });
        let at = crate::diagnostics::child(&message.at, "parameters");
        let ty = self.schemas.lower(&schema, &at, "WebhookHeaders").ty;
        let names = declared.iter().map(|h| h.name.clone()).collect();
        Some((ty, names))
    }

    /// Chooses the field that tells `members` (messages of `channel`) apart, `stated`
    /// if given, and fills in each message's values.
    ///
    /// Messages that share a value, or have none, are told apart by shape when decoding
    /// (exactly one must fit), so only a contradiction the spec states outright is an
    /// error: two messages given the same `x-hookgen-discriminator-value`.
    fn discriminate(
        &mut self,
        members: &[usize],
        stated: Option<String>,
        channel: &Channel,
    ) -> Option<String> {
        let single = members.len() <= 1;
        let field = stated.or_else(|| self.infer_discriminator(members, single))?;
        let mut claimed: BTreeMap<String, String> = BTreeMap::new();
        for &index in members {
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
                        message.key, channel.address.as_deref().unwrap_or("(dynamic)")
                    ));
                }
            }
        }
        Some(field)
    }

    /// The `const`/`enum` values of a message payload's top-level field; of a `oneOf` or
    /// `anyOf` payload, those of every alternative (none if one has none: GitHub's
    /// `pull_request` `review_requested` payload is two objects, each `action:
    /// review_requested`).
    fn payload_values(&self, message: &Message, field: &str) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for alternative in self.payload_alternatives(message) {
            let found = top_level_property(self.resolver, alternative, field)
                .map(string_values)
                .unwrap_or_default();
            if found.is_empty() {
                return Vec::new();
            }
            for value in found {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
        }
        values
    }

    /// The message's payload schema, or each alternative of a `oneOf`/`anyOf` payload
    /// (references followed); none without a payload schema.
    fn payload_alternatives(&self, message: &Message) -> Vec<&'a Value> {
        let Some(payload) = self.payload_schema(message) else {
            return Vec::new();
        };
        let listed = ["oneOf", "anyOf"]
            .iter()
            .find_map(|k| payload.get(*k).and_then(Value::as_array));
        match listed {
            Some(alternatives) => alternatives
                .iter()
                .filter_map(|a| self.resolver.follow(a, "").ok().map(|(_, v)| v))
                .collect(),
            None => vec![payload],
        }
    }

    /// The message's payload schema, references followed.
    fn payload_schema(&self, message: &Message) -> Option<&'a Value> {
        let at = message.payload_schema.as_deref()?;
        let payload = self.resolver.root().pointer(at)?;
        self.resolver.follow(payload, at).ok().map(|(_, v)| v)
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

    /// The top-level fields of a message's payload (of every alternative of a `oneOf` or
    /// `anyOf` payload).
    fn payload_fields(&self, message: &Message) -> Vec<String> {
        let mut common: Option<Vec<String>> = None;
        for alternative in self.payload_alternatives(message) {
            let fields: Vec<String> = object_properties(self.resolver, alternative)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            common = Some(match common {
                None => fields,
                Some(common) => common.into_iter().filter(|f| fields.contains(f)).collect(),
            });
        }
        common.unwrap_or_default()
    }

    /// The signature scheme from `x-hookgen.signature`: its settings (preset and
    /// defaults applied), the header defaulting to the spec's `httpApiKey` header scheme.
    fn signature(&mut self) -> Option<Signature> {
        let settings = self.document.config.signature.as_ref()?.settings();
        let header = settings.header.clone().or_else(|| {
            self.document
                .security_schemes
                .iter()
                .find(|s| s.kind == "httpApiKey" && s.location == "header" && !s.name.is_empty())
                .map(|s| s.name.clone())
        });
        let Some(header) = header else {
            self.error("/x-hookgen/signature", "no signature header: set `header`, or declare an `httpApiKey` security scheme `in: header`");
            return None;
        };
        Some(Signature {
            header,
            algorithm: settings.algorithm,
            encoding: settings.encoding,
            prefix: settings.prefix,
            secret: settings.secret,
            signed: settings.signed.0,
            id_header: settings.id_header,
            timestamp_header: settings.timestamp_header,
            timestamp_entry: settings.timestamp_entry,
            separator: settings.separator,
            tolerance_seconds: settings.tolerance_seconds,
        })
    }
}

/// How bodies of `members` (messages told apart by `field`, their values chosen) become
/// messages.
fn decode_plan(field: Option<&str>, members: &[usize], messages: &[Message]) -> ir::DecodePlan {
    let Some(field) = field else {
        return match members {
            [] => ir::DecodePlan::KeepUnknown,
            all => ir::DecodePlan::Fit(all.to_vec()),
        };
    };
    let single = members.len() == 1;
    let mut values: Vec<(String, Vec<usize>)> = Vec::new();
    let mut untagged = Vec::new();
    for &index in members {
        let claimed = &messages[index].discriminator_values;
        if claimed.is_empty() {
            untagged.push(index);
        }
        for value in claimed {
            match values.iter_mut().find(|(v, _)| v == value) {
                Some((_, claimants)) => claimants.push(index),
                None => values.push((value.clone(), vec![index])),
            }
        }
    }
    if single && values.is_empty() {
        return ir::DecodePlan::Fit(members.to_vec());
    }
    ir::DecodePlan::ByField {
        field: field.to_owned(),
        values,
        absent: if single {
            members.to_vec()
        } else {
            untagged.clone()
        },
        unlisted: untagged,
    }
}

/// JSON as text (empty when absent).
fn json_text(value: Option<&Value>) -> String {
    value.map(Value::to_string).unwrap_or_default()
}

fn delivery(config: &document::DeliveryConfig) -> Delivery {
    let millis = |s: f64| (s * 1000.0).round() as u64;
    Delivery {
        attempts: config.attempts(),
        backoff_ms: config.backoff_seconds.iter().copied().map(millis).collect(),
        timeout_ms: config.timeout_seconds.map_or(0, millis),
        success: config.success.clone().unwrap_or_default(),
        retry_on: config.retry_on.clone().unwrap_or_default(),
        notes: config.notes.clone().unwrap_or_default(),
    }
}
