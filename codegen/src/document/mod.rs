//! The typed document model: what an AsyncAPI 2.x or 3.x document says, in one shape,
//! read once after loading. `check`, `validate` and `lower` read this model, never the
//! raw JSON, except for schemas: a schema is JSON Schema, kept as a pointer into
//! [`Document::root`] and lowered by `schema.rs`.
//!
//! The shape is AsyncAPI 3's: channels with an address and their messages, operations
//! apart with an action seen from the application. A 2.x document is read into it as
//! the 3.0 converter would write it: a channel keyed by address, `publish` becomes
//! `receive` (others publish to the application, which receives) and `subscribe`
//! becomes `send`. Every node keeps the JSON pointer where it was found, so diagnostics
//! point into the file the user wrote.

mod config;
mod openapi;
mod structure;
mod v2;
mod v3;

use serde_json::Value;

pub use config::{
    Algorithm, Config, DeliveryConfig, Encoding, Preset, SecretFormat, SignatureConfig,
    SignatureSettings, Signed, SignedPart,
};

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::resolve::{Resolver, check_refs};

/// The AsyncAPI versions the generator reads.
pub const SUPPORTED_VERSIONS: &[&str] = &[
    "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0", "3.1.0",
];

/// The OpenAPI versions the generator reads (their top-level `webhooks`).
pub const SUPPORTED_OPENAPI_VERSIONS: &[&str] = &["3.1.0", "3.1.1", "3.1.2"];

pub use openapi::DEFAULT_ADDRESS as OPENAPI_DEFAULT_ADDRESS;

/// Which language a document is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// AsyncAPI 2.x.
    AsyncApi2,
    /// AsyncAPI 3.x.
    AsyncApi3,
    /// OpenAPI 3.1: its `webhooks`, read into the 3.x shape.
    OpenApi31,
}

/// A document, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The JSON document (bundled, traits applied), where schemas are read.
    pub root: Value,
    /// The file name used in diagnostics.
    pub file: String,
    /// The language the document is written in.
    pub format: Format,
    /// `info`.
    pub info: Info,
    /// `defaultContentType`, or empty.
    pub default_content_type: String,
    /// The servers, in document order.
    pub servers: Vec<Server>,
    /// The channels, in document order.
    pub channels: Vec<Channel>,
    /// The operations, in document order (2.x: per channel, `publish` first).
    pub operations: Vec<Operation>,
    /// Every message once (by where it is defined): those of channels in channel order,
    /// then the other component messages.
    pub messages: Vec<Message>,
    /// `components.schemas`: name and pointer.
    pub component_schemas: Vec<(String, String)>,
    /// The security schemes.
    pub security_schemes: Vec<SecurityScheme>,
    /// `x-hookgen`.
    pub config: Config,
    /// The files it was read from: the spec, its overlay, the files its `$ref`s name.
    pub inputs: Vec<std::path::PathBuf>,
}

impl Document {
    /// A resolver over the document's JSON, for schemas.
    pub fn resolver(&self) -> Resolver<'_> {
        Resolver::new(&self.root, &self.file)
    }

    /// Which required properties received payloads may lack (`x-hookgen.receive`).
    pub fn leniency(&self) -> crate::leniency::Leniency {
        match &self.config.receive {
            Some(receive) => {
                crate::leniency::Leniency::new(receive.trust_required, receive.optional.clone())
            }
            None => crate::leniency::Leniency::default(),
        }
    }
}

/// `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    /// `title`.
    pub title: String,
    /// `version`.
    pub version: String,
    /// `description`, or empty.
    pub description: String,
}

/// A server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its key.
    pub name: String,
    /// The host (with port, and scheme-less), as 3.x writes it.
    pub host: String,
    /// The path on the host, or empty.
    pub pathname: String,
    /// `protocol`.
    pub protocol: String,
    /// `description`, or empty.
    pub description: String,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Where it is.
    pub at: String,
    /// Its key: the address in 2.x, the channel id in 3.x.
    pub key: String,
    /// The address template; `None` for a dynamic channel (a reply address known only
    /// at run time).
    pub address: Option<String>,
    /// `description`, or empty.
    pub description: String,
    /// The declared parameters, in declaration order.
    pub parameters: Vec<Parameter>,
    /// Indices into [`Document::messages`], in order.
    pub messages: Vec<usize>,
    /// `x-hookgen-discriminator`.
    pub discriminator: Option<String>,
    /// The request header that names each delivery's event (`x-hookgen.event-header`,
    /// OpenAPI documents only); its messages' [`Message::event`] are its values.
    pub event_header: Option<String>,
    /// `bindings`, references followed.
    pub bindings: Option<Value>,
}

/// A channel parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub at: String,
    /// `description`, or empty.
    pub description: String,
    /// The values allowed (empty: any).
    pub allowed: Vec<String>,
    /// `default`.
    pub default: Option<String>,
    /// `examples`.
    pub examples: Vec<String>,
    /// `location`: a runtime expression.
    pub location: Option<String>,
}

/// Who sends, seen from the application the document describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The application sends (3.x `send`, 2.x `subscribe`).
    Send,
    /// The application receives (3.x `receive`, 2.x `publish`).
    Receive,
}

/// An operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Where it is.
    pub at: String,
    /// Its id: the 3.x key, the 2.x `operationId`, or for a 2.x operation without one,
    /// the id the 3.0 conversion gives it.
    pub id: String,
    /// Send or receive.
    pub action: Action,
    /// Index into [`Document::channels`].
    pub channel: usize,
    /// `summary`, or empty.
    pub summary: String,
    /// Indices into [`Document::messages`]: a subset of the channel's.
    pub messages: Vec<usize>,
    /// `bindings`, references followed.
    pub bindings: Option<Value>,
    /// `reply` (3.x).
    pub reply: Option<Reply>,
}

/// What answers an operation (3.x `reply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply channel: an index into [`Document::channels`].
    pub channel: Option<usize>,
    /// Where the reply address is found at run time (a runtime expression such as
    /// `$message.header#/replyTo`).
    pub location: Option<String>,
    /// Indices into [`Document::messages`].
    pub messages: Vec<usize>,
}

/// A message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Where it is defined (references followed).
    pub at: String,
    /// Its key: the component key, else `name`, else where it sits (the 3.x channel's
    /// message key, or the 2.x operation id).
    pub key: String,
    /// `title`, or empty.
    pub title: String,
    /// `summary`, or empty.
    pub summary: String,
    /// `description`, or empty.
    pub description: String,
    /// `contentType`.
    pub content_type: Option<String>,
    /// The payload schema.
    pub payload: Option<Schema>,
    /// The headers schema.
    pub headers: Option<Schema>,
    /// `correlationId.location`.
    pub correlation_id: Option<String>,
    /// The examples.
    pub examples: Vec<Example>,
    /// `x-hookgen-discriminator-value`.
    pub discriminator_values: Option<Vec<String>>,
    /// The value of its channel's event header that names it (see
    /// [`Channel::event_header`]).
    pub event: Option<String>,
    /// The request headers an OpenAPI webhook declares (`parameters` with `in: header`).
    pub header_parameters: Vec<HeaderParameter>,
    /// `bindings`, references followed.
    pub bindings: Option<Value>,
}

/// A request header an OpenAPI webhook declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderParameter {
    /// Its name, as declared (headers match it ignoring ASCII case).
    pub name: String,
    /// `description`, or empty.
    pub description: String,
    /// `required`.
    pub required: bool,
}

/// A schema: where it is and in which language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Where the schema itself is (for a 3.x Multi Format Schema Object: its `schema`).
    pub at: String,
    /// `schemaFormat`, when one is given.
    pub format: Option<String>,
}

impl Schema {
    /// JSON Schema (or an AsyncAPI or OpenAPI schema, which are JSON Schema with extras
    /// Hookgen reads), not Avro, RAML or Protobuf.
    pub fn is_json_schema(&self) -> bool {
        is_json_schema_format(self.format.as_deref())
    }
}

/// True for no `schemaFormat`, and for the formats that are JSON Schema as Hookgen reads
/// it: AsyncAPI schemas, JSON Schema, OpenAPI schemas (JSON Schema plus `nullable`).
pub fn is_json_schema_format(format: Option<&str>) -> bool {
    format.is_none_or(|format| {
        format.starts_with("application/vnd.aai.asyncapi")
            || format.starts_with("application/schema+json")
            || format.starts_with("application/schema+yaml")
            || format.starts_with("application/vnd.oai.openapi")
    })
}

/// A message example.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Where it is.
    pub at: String,
    /// `name`, if given.
    pub name: Option<String>,
    /// `payload`, if given.
    pub payload: Option<Value>,
    /// `headers`, if given.
    pub headers: Option<Value>,
}

/// A security scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityScheme {
    /// `type`.
    pub kind: String,
    /// `in`.
    pub location: String,
    /// `name`.
    pub name: String,
}

/// Reads a loaded document: its version, its structure against the model of that
/// version, its `$ref`s, traits, and `x-hookgen`. Returns the model (when the version is
/// one Hookgen reads) and every problem found, errors and warnings.
pub fn read(mut root: Value, file: &str) -> (Option<Document>, Diagnostics) {
    let format = match version(&root, file) {
        Ok(format) => format,
        Err(d) => return (None, d.into()),
    };
    let major = if format == Format::AsyncApi2 { 2 } else { 3 };
    // An OpenAPI document's structure is checked where it is read (its webhooks only).
    let mut diagnostics = if format == Format::OpenApi31 {
        Diagnostics::default()
    } else {
        structure::check(&root, major, file)
    };
    let refs = check_refs(&Resolver::new(&root, file));
    let refs_ok = !refs.has_errors();
    diagnostics.0.extend(refs.0);
    if refs_ok && format != Format::OpenApi31 {
        diagnostics
            .0
            .extend(crate::traits::apply_traits(&mut root, file, major).0);
    }
    let config = match Config::read(root.get("x-hookgen"), file) {
        Ok(config) => config,
        Err(d) => {
            diagnostics.push(d);
            Config::default()
        }
    };
    let mut document = Document {
        file: file.to_owned(),
        format,
        info: Info::default(),
        default_content_type: String::new(),
        servers: Vec::new(),
        channels: Vec::new(),
        operations: Vec::new(),
        messages: Vec::new(),
        component_schemas: Vec::new(),
        security_schemes: Vec::new(),
        config,
        root: Value::Null,
        inputs: Vec::new(),
    };
    {
        let mut reader = Reader::new(Resolver::new(&root, file));
        match format {
            Format::AsyncApi2 => v2::read(&mut reader, &mut document),
            Format::AsyncApi3 => v3::read(&mut reader, &mut document),
            Format::OpenApi31 => openapi::read(&mut reader, &mut document),
        }
        reader.common(&mut document);
        if format != Format::OpenApi31 && document.config.event_header.is_some() {
            reader.error(
                "/x-hookgen/event-header",
                "`event-header` is read from OpenAPI documents only: an AsyncAPI channel tells its messages apart by a payload field (`x-hookgen-discriminator`)",
            );
        }
        if format == Format::OpenApi31 {
            // Only the schemas the webhooks reach are lowered (OpenAI's document also
            // describes its whole API), and its security schemes are the API's.
            document.component_schemas.clear();
            document.security_schemes.clear();
        }
        diagnostics.0.extend(reader.diagnostics.0);
    }
    document.root = root;
    (Some(document), diagnostics)
}

/// The document's language and version, or the one error that says why it cannot be read.
fn version(root: &Value, file: &str) -> Result<Format, Diagnostic> {
    if !root.is_object() {
        return Err(Diagnostic::at(
            file,
            "",
            "an AsyncAPI document must be a mapping",
        ));
    }
    if let Some(openapi) = root
        .get("openapi")
        .filter(|_| root.get("asyncapi").is_none())
    {
        return match openapi {
            Value::String(v) if SUPPORTED_OPENAPI_VERSIONS.contains(&v.as_str()) => {
                Ok(Format::OpenApi31)
            }
            Value::String(v) => Err(Diagnostic::at(
                file,
                "/openapi",
                format!(
                    "unsupported OpenAPI version `{v}`: Hookgen reads the `webhooks` of OpenAPI {}",
                    SUPPORTED_OPENAPI_VERSIONS.join(", ")
                ),
            )),
            _ => Err(Diagnostic::at(
                file,
                "/openapi",
                "`openapi` must be a version string such as \"3.1.0\"",
            )),
        };
    }
    match root.get("asyncapi") {
        Some(Value::String(v)) if SUPPORTED_VERSIONS.contains(&v.as_str()) => {
            Ok(if v.starts_with("2.") {
                Format::AsyncApi2
            } else {
                Format::AsyncApi3
            })
        }
        Some(Value::String(v)) => Err(Diagnostic::at(
            file,
            "/asyncapi",
            format!(
                "unsupported AsyncAPI version `{v}`; supported: {}",
                SUPPORTED_VERSIONS.join(", ")
            ),
        )),
        Some(_) => Err(Diagnostic::at(
            file,
            "/asyncapi",
            "`asyncapi` must be a version string such as \"3.0.0\"",
        )),
        None => Err(Diagnostic::at(
            file,
            "",
            "missing `asyncapi` version field; is this an AsyncAPI document?",
        )),
    }
}

/// What both versions' readers share: a resolver, the messages read so far (each once,
/// by where it is defined), and the problems met.
struct Reader<'a> {
    resolver: Resolver<'a>,
    diagnostics: Diagnostics,
    message_at: std::collections::BTreeMap<String, usize>,
}

impl<'a> Reader<'a> {
    fn new(resolver: Resolver<'a>) -> Self {
        Self {
            resolver,
            diagnostics: Diagnostics::default(),
            message_at: std::collections::BTreeMap::new(),
        }
    }

    fn root(&self) -> &'a Value {
        self.resolver.root()
    }

    fn error(&mut self, at: &str, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.resolver.file(), at, message));
    }

    /// `value` (at `at`) with its references followed; a broken one was reported by the
    /// reference check.
    fn follow(&self, value: &'a Value, at: &str) -> Option<(String, &'a Value)> {
        self.resolver.follow(value, at).ok()
    }

    /// What both versions share at the top: `info`, `defaultContentType`, component
    /// schemas, security schemes, and the component messages no channel uses.
    fn common(&mut self, document: &mut Document) {
        let root = self.root();
        let info = root.get("info");
        document.info = Info {
            title: text(info, "title"),
            version: text(info, "version"),
            description: text(info, "description"),
        };
        document.default_content_type = text(Some(root), "defaultContentType");
        if let Some(schemas) = root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            document.component_schemas = schemas
                .keys()
                .map(|name| {
                    (
                        name.clone(),
                        crate::diagnostics::child("/components/schemas", name),
                    )
                })
                .collect();
        }
        if let Some(schemes) = root
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object)
        {
            for (name, scheme) in schemes {
                let at = crate::diagnostics::child("/components/securitySchemes", name);
                if let Some((_, scheme)) = self.follow(scheme, &at) {
                    document.security_schemes.push(SecurityScheme {
                        kind: text(Some(scheme), "type"),
                        location: text(Some(scheme), "in"),
                        name: text(Some(scheme), "name"),
                    });
                }
            }
        }
        if let Some(messages) = root
            .pointer("/components/messages")
            .and_then(Value::as_object)
        {
            for (key, message) in messages {
                let at = crate::diagnostics::child("/components/messages", key);
                self.message(document, message, &at, key);
            }
        }
    }

    /// Reads the message `value` (at `at`) once, by where it is defined; `fallback` is
    /// its key when it is neither a component nor named. Returns its index.
    fn message(
        &mut self,
        document: &mut Document,
        value: &'a Value,
        at: &str,
        fallback: &str,
    ) -> Option<usize> {
        let (at, message) = self.follow(value, at)?;
        if let Some(index) = self.message_at.get(&at) {
            return Some(*index);
        }
        let Some(map) = message.as_object() else {
            // The structure check said what is wrong.
            return None;
        };
        let key = at
            .strip_prefix("/components/messages/")
            .filter(|k| !k.contains('/'))
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .or_else(|| map.get("name").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| fallback.to_owned());
        let schema = |reader: &mut Self, key: &str| -> Option<Schema> {
            let value = map.get(key)?;
            let schema_at = crate::diagnostics::child(&at, key);
            if document.format == Format::AsyncApi2 {
                return Some(Schema {
                    at: schema_at,
                    format: (key == "payload")
                        .then(|| map.get("schemaFormat").and_then(Value::as_str))
                        .flatten()
                        .map(str::to_owned),
                });
            }
            // 3.x: a schema, or a Multi Format Schema Object (`schemaFormat` + `schema`).
            let (resolved_at, resolved) = reader.follow(value, &schema_at)?;
            match (resolved.get("schemaFormat"), resolved.get("schema")) {
                (Some(format), Some(_)) => Some(Schema {
                    at: crate::diagnostics::child(&resolved_at, "schema"),
                    format: format.as_str().map(str::to_owned),
                }),
                _ => Some(Schema {
                    at: schema_at,
                    format: None,
                }),
            }
        };
        let payload = schema(self, "payload");
        let headers = schema(self, "headers");
        let discriminator_values = match map.get("x-hookgen-discriminator-value") {
            None => None,
            Some(Value::String(v)) => Some(vec![v.clone()]),
            Some(Value::Array(vs)) if !vs.is_empty() && vs.iter().all(Value::is_string) => Some(
                vs.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            Some(_) => {
                self.error(
                    &crate::diagnostics::child(&at, "x-hookgen-discriminator-value"),
                    "must be a string or a non-empty list of strings",
                );
                None
            }
        };
        let correlation_id = map
            .get("correlationId")
            .and_then(|c| self.follow(c, &at))
            .and_then(|(_, c)| c.get("location"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let examples = map
            .get("examples")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .enumerate()
                    .map(|(i, e)| Example {
                        at: crate::diagnostics::child(
                            &crate::diagnostics::child(&at, "examples"),
                            &i.to_string(),
                        ),
                        name: e.get("name").and_then(Value::as_str).map(str::to_owned),
                        payload: e.get("payload").cloned(),
                        headers: e.get("headers").cloned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let bindings = self.bindings(map.get("bindings"), &at);
        document.messages.push(Message {
            key,
            title: text(Some(message), "title"),
            summary: text(Some(message), "summary"),
            description: text(Some(message), "description"),
            content_type: map
                .get("contentType")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            payload,
            headers,
            correlation_id,
            examples,
            discriminator_values,
            event: None,
            header_parameters: Vec::new(),
            bindings,
            at: at.clone(),
        });
        let index = document.messages.len() - 1;
        self.message_at.insert(at, index);
        Some(index)
    }

    /// `bindings` with its reference followed.
    fn bindings(&self, bindings: Option<&'a Value>, at: &str) -> Option<Value> {
        let bindings = bindings?;
        Some(
            self.follow(bindings, at)
                .map_or(bindings, |(_, v)| v)
                .clone(),
        )
    }

    /// `x-hookgen-discriminator` of a channel.
    fn discriminator(&mut self, channel: &Value, at: &str) -> Option<String> {
        match channel.get("x-hookgen-discriminator") {
            None => None,
            Some(Value::String(field)) => Some(field.clone()),
            Some(_) => {
                self.error(
                    &crate::diagnostics::child(at, "x-hookgen-discriminator"),
                    "must be the name of a payload field",
                );
                None
            }
        }
    }
}

/// The trimmed string at `key` of `value`, or empty.
fn text(value: Option<&Value>, key: &str) -> String {
    value
        .and_then(|v| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// A JSON value as parameter text: strings as they are, anything else as JSON.
pub(crate) fn value_text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// What a 2.x parameter's schema says that 3.x says on the parameter itself, as text
/// (JSON nulls dropped); `None` where the schema does not say it. The 2.x reader and
/// `convert` both take it from here.
pub(crate) struct ParameterValues {
    pub allowed: Option<Vec<String>>,
    pub default: Option<String>,
    pub examples: Option<Vec<String>>,
}

impl ParameterValues {
    /// The `enum`, `default` and `examples` of a 2.x parameter's `schema`.
    pub(crate) fn of_schema(schema: &Value) -> Self {
        let list = |key: &str| -> Option<Vec<String>> {
            let values = schema.get(key)?.as_array()?;
            Some(
                values
                    .iter()
                    .filter(|v| !v.is_null())
                    .map(value_text)
                    .collect(),
            )
        };
        Self {
            allowed: list("enum"),
            default: schema.get("default").map(value_text),
            examples: list("examples"),
        }
    }
}

/// The 3.x channel id a 2.x channel's address becomes in the 3.0 conversion: letters,
/// digits, `.`, `-` and `_` kept, runs of anything else one `_`, trimmed (`/users/{id}`
/// → `users_id`); `channel` when nothing is left. Uniqueness is the caller's.
pub fn channel_id(address: &str) -> String {
    let mut id = String::new();
    for c in address.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            id.push(c);
        } else if !id.ends_with('_') {
            id.push('_');
        }
    }
    let id = id.trim_matches('_');
    if id.is_empty() {
        "channel".to_owned()
    } else {
        id.to_owned()
    }
}

/// Channel ids for 2.x addresses, in order, made unique with a numeric suffix.
pub fn channel_ids<'s>(addresses: impl IntoIterator<Item = &'s str>) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for address in addresses {
        let base = channel_id(address);
        let mut id = base.clone();
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("{base}_{n}");
            n += 1;
        }
        ids.push(id);
    }
    ids
}

/// The id of a 2.x operation: its `operationId`, else `<channel id>.<keyword>`.
pub fn operation_id(operation_id: Option<&str>, channel_id: &str, keyword: &str) -> String {
    operation_id.map_or_else(|| format!("{channel_id}.{keyword}"), str::to_owned)
}

/// A 2.x server `url` as 3.x `host` and `pathname` (`https://a.io:8/v1` → `a.io:8`, `/v1`).
pub fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(slash) => (rest[..slash].to_owned(), rest[slash..].to_owned()),
        None => (rest.to_owned(), String::new()),
    }
}
