//! The intermediate representation: what a spec means for Rust, with every name
//! already chosen. Lowering builds it from a document; emitting only reads it.
//!
//! Types live in one table keyed by [`TypeId`] and refer to each other by id, so shared
//! and recursive schemas need no special cases and the emitted order is sorted.

use std::collections::BTreeMap;

use serde_json::Value;

/// One spec, ready to emit as one Rust module.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The Rust module name (`flyio`).
    pub module: String,
    /// The spec file (and overlay) as named in headers.
    pub sources: Vec<String>,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`, or empty.
    pub description: String,
    /// The party the spec describes (receives what it `receive`s, sends what it `send`s).
    pub application: String,
    /// The party on the other side.
    pub peer: String,
    /// Every named type.
    pub types: TypeSpace,
    /// Every message, in document order; `Message` variants follow this order.
    pub messages: Vec<Message>,
    /// Every channel, in document order.
    pub channels: Vec<Channel>,
    /// The servers, in document order.
    pub servers: Vec<Server>,
    /// How deliveries are signed, when the spec says.
    pub signature: Option<Signature>,
    /// The provider's delivery rules, when the spec states them.
    pub delivery: Option<Delivery>,
    /// The name of the fallback variant of `Message`.
    pub unknown_variant: String,
    /// Problems worth reporting that did not stop generation.
    pub warnings: Vec<crate::diagnostics::Diagnostic>,
}

impl Spec {
    /// The header a delivery of message `index` carries for decoding to find it, as
    /// `(name, value)`: its channel's event header and its event, if the channel has one.
    pub fn event_header_of(&self, index: usize) -> Option<(&str, &str)> {
        let header = self
            .channels
            .iter()
            .find(|c| c.event_header.is_some() && c.messages.contains(&index))?
            .event_header
            .as_deref()?;
        Some((header, self.messages.get(index)?.event.as_deref()?))
    }
}

/// Index of a type in its [`TypeSpace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TypeId(pub usize);

/// The table of a spec's named types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeSpace {
    /// Types by id; an id is reserved before its definition is known (for cycles).
    pub types: BTreeMap<TypeId, TypeDef>,
}

impl TypeSpace {
    /// About how many bytes a value of `ty` takes inline (as on 64-bit targets, without
    /// padding), saturating. `memo` caches the size of each named type, so a graph in
    /// which every type holds the one below twice costs its size, not 2^depth; a type
    /// met again while its own size is computed (a cycle, which `Box` breaks) counts as
    /// a pointer.
    pub fn estimated_size(
        &self,
        ty: &Ty,
        memo: &mut std::collections::HashMap<TypeId, usize>,
    ) -> usize {
        const WORD: usize = 8;
        match ty {
            Ty::Null => 0,
            Ty::Bool | Ty::Integer(_) | Ty::Number | Ty::Boxed(_) => WORD,
            Ty::String | Ty::Array(_) | Ty::Map(_) => 3 * WORD,
            Ty::Json | Ty::JsonObject => 10 * WORD,
            Ty::Named(id) => {
                if let Some(size) = memo.get(id) {
                    return *size;
                }
                memo.insert(*id, WORD);
                let size = match self.get(*id).map(|d| &d.kind) {
                    Some(TypeKind::Struct {
                        fields, additional, ..
                    }) => fields
                        .iter()
                        .map(|f| self.estimated_size(&f.ty, memo))
                        .fold(
                            additional.as_ref().map_or(0, |_| 3 * WORD),
                            usize::saturating_add,
                        ),
                    Some(TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. }) => {
                        variants
                            .iter()
                            .map(|v| self.estimated_size(&v.ty, memo))
                            .max()
                            .unwrap_or_default()
                            .saturating_add(WORD)
                    }
                    Some(TypeKind::Alias(inner)) => self.estimated_size(inner, memo),
                    Some(TypeKind::StringEnum { .. }) | None => 3 * WORD,
                };
                memo.insert(*id, size);
                size
            }
        }
    }

    /// Whether a value of `ty` may hold a number Rust cannot keep exactly: an `f64` or a
    /// JSON value among the types it reaches. Each named type is visited once (linear in
    /// the number of types, however often they are reached, cycles included).
    pub fn holds_inexact_numbers(&self, ty: &Ty) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut pending = vec![ty];
        while let Some(ty) = pending.pop() {
            match ty {
                Ty::Number | Ty::Json | Ty::JsonObject => return true,
                Ty::String | Ty::Bool | Ty::Integer(_) | Ty::Null => {}
                Ty::Array(inner) | Ty::Map(inner) | Ty::Boxed(inner) => pending.push(inner),
                Ty::Named(id) if !seen.insert(*id) => {}
                Ty::Named(id) => match self.get(*id).map(|d| &d.kind) {
                    None => return true,
                    Some(TypeKind::Struct {
                        fields, additional, ..
                    }) => {
                        pending.extend(fields.iter().map(|f| &f.ty));
                        pending.extend(additional);
                    }
                    Some(TypeKind::Union { variants } | TypeKind::TaggedUnion { variants, .. }) => {
                        pending.extend(variants.iter().map(|v| &v.ty));
                    }
                    Some(TypeKind::Alias(target)) => pending.push(target),
                    Some(TypeKind::StringEnum { .. }) => {}
                },
            }
        }
        false
    }

    /// The type with id `id`.
    pub fn get(&self, id: TypeId) -> Option<&TypeDef> {
        self.types.get(&id)
    }

    /// The Rust name of type `id` (empty if unknown, which lowering never produces).
    pub fn name(&self, id: TypeId) -> &str {
        self.types.get(&id).map_or("", |t| t.name.as_str())
    }
}

/// A named Rust type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// The Rust name.
    pub name: String,
    /// Documentation lines (title, description, notes).
    pub doc: Vec<String>,
    /// Where its schema is (JSON pointer).
    pub origin: String,
    /// What it is.
    pub kind: TypeKind,
}

/// The shape of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A struct with named fields.
    Struct {
        /// The fields, in schema order.
        fields: Vec<Field>,
        /// Extra properties the schema allows and keeps (`additionalProperties`).
        additional: Option<Ty>,
        /// `additionalProperties: false`: unknown properties are rejected.
        deny_unknown: bool,
    },
    /// A string enum with a fallback variant that keeps unknown values.
    StringEnum {
        /// The listed values.
        variants: Vec<EnumVariant>,
        /// The name of the fallback variant.
        fallback: String,
    },
    /// An untagged union (`oneOf`/`anyOf` without a tag), tried in order.
    Union {
        /// The alternatives.
        variants: Vec<UnionVariant>,
    },
    /// A `oneOf`/`anyOf` whose alternatives a field's value tells apart: decoded by
    /// that value, never by trying alternatives in turn.
    TaggedUnion {
        /// The tag field.
        field: String,
        /// The alternatives, each with its tag values.
        variants: Vec<UnionVariant>,
    },
    /// Another name for a type (`components/schemas/Id: {type: string}`).
    Alias(Ty),
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The JSON property name.
    pub wire: String,
    /// The Rust field name (may be raw: `r#type`).
    pub ident: String,
    /// The value type (without the `Option` for optional or nullable fields).
    pub ty: Ty,
    /// Listed in `required`.
    pub required: bool,
    /// May be `null`.
    pub nullable: bool,
    /// Documentation lines.
    pub doc: Vec<String>,
}

/// A value of a string enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumVariant {
    /// The value on the wire.
    pub wire: String,
    /// The Rust variant name.
    pub ident: String,
}

/// An alternative of a union.
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// The Rust variant name.
    pub ident: String,
    /// Its payload.
    pub ty: Ty,
    /// The tag values that select it (in a [`TypeKind::TaggedUnion`]).
    pub tags: Vec<String>,
}

/// A Rust type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i64` or `i32`.
    Integer(IntWidth),
    /// `f64`.
    Number,
    /// `()`: the schema allows only `null`.
    Null,
    /// Any JSON value.
    Json,
    /// Any JSON object.
    JsonObject,
    /// `Vec<T>`.
    Array(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
    /// A named type.
    Named(TypeId),
    /// `Box<T>`, to break a cycle of named types.
    Boxed(Box<Ty>),
}

/// The width of an integer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntWidth {
    /// `format: int32`.
    I32,
    /// A `minimum` of 0 or more.
    U64,
    /// Everything else.
    I64,
}

/// A message of the spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id: the component key, or its `name`.
    pub key: String,
    /// The `Message` variant name.
    pub variant: String,
    /// `title`, `summary`, `description` (each possibly empty).
    pub title: String,
    /// See `title`.
    pub summary: String,
    /// See `title`.
    pub description: String,
    /// The message's content type, or the spec's default.
    pub content_type: String,
    /// The payload type.
    pub payload: Ty,
    /// The discriminator values that select this message (empty: none needed).
    pub discriminator_values: Vec<String>,
    /// The value of its channel's event header that names it ([`Channel::event_header`]).
    pub event: Option<String>,
    /// The struct of the request headers it declares (OpenAPI header parameters), read
    /// from a request with its generated `from_request`, and the header names in order.
    pub headers: Option<(Ty, Vec<String>)>,
    /// The values were stated by `x-hookgen-discriminator-value`, not read from the schema.
    pub explicit_values: bool,
    /// The spec's examples.
    pub examples: Vec<Example>,
    /// Notes for the docs (such as a payload kept as raw JSON, and why).
    pub notes: Vec<String>,
    /// `correlationId.location`, or empty.
    pub correlation_id: String,
    /// The message's bindings, as JSON text (empty if none).
    pub bindings: String,
    /// Where the message is (JSON pointer).
    pub origin: String,
    /// Where its payload schema is, when the payload is JSON Schema.
    pub payload_schema: Option<String>,
}

/// A message example.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Its name, or its position.
    pub name: String,
    /// The example payload.
    pub payload: Value,
    /// The example headers, if given.
    pub headers: Option<Value>,
}

/// A server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Its key.
    pub name: String,
    /// Host (and port).
    pub host: String,
    /// Path on the host, or empty.
    pub pathname: String,
    /// Protocol.
    pub protocol: String,
    /// Description, or empty.
    pub description: String,
}

/// A channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// The address template; `None` for a dynamic channel (such as a reply address
    /// known only at run time), which no address routes to.
    pub address: Option<String>,
    /// The description, or empty.
    pub description: String,
    /// Parameters in template order: name, description, an example value.
    pub parameters: Vec<Parameter>,
    /// The operations.
    pub operations: Vec<Operation>,
    /// The request header that names each delivery's event, if the channel has one
    /// (GitHub's `X-GitHub-Event`).
    pub event_header: Option<String>,
    /// The field that tells this channel's messages apart, if needed (on a channel with
    /// an event header: the field every event that needs one uses, if they agree).
    pub discriminator: Option<String>,
    /// Indices into [`Spec::messages`] of every message on this channel, in order.
    pub messages: Vec<usize>,
    /// The channel's bindings, as JSON text (empty if none).
    pub bindings: String,
    /// How a body received on it becomes one of its messages.
    pub decode: DecodePlan,
}

/// How a body received on a channel becomes one of its messages. Lowering decides it
/// once; the emitter renders it as the generated `decode`, and `hookgen listen` follows
/// it (`inspect`), so the two identify a body alike.
///
/// "Fit" means: one candidate is decoded as that message; among several, the body must
/// fit exactly one payload (none or several is an error, never a guess).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodePlan {
    /// The channel describes no message: a JSON body is kept as unknown.
    KeepUnknown,
    /// The body is the message it fits among these (indices into [`Spec::messages`]).
    Fit(Vec<usize>),
    /// The value of a top-level string field chooses.
    ByField {
        /// The field.
        field: String,
        /// Each listed value, in order of first appearance, with the messages to fit.
        values: Vec<(String, Vec<usize>)>,
        /// Without the field (or with a value that is not a string): the messages to
        /// fit; empty: the body is refused (`MissingDiscriminator`).
        absent: Vec<usize>,
        /// A value no message lists: the messages to fit, the body kept as unknown when
        /// it fits none; empty: kept as unknown.
        unlisted: Vec<usize>,
    },
    /// A request header names the event; each event's messages are told apart by its
    /// own plan. A request without the header is refused (`MissingEventHeader`); an event
    /// no message has is kept as unknown.
    ByEvent {
        /// The header.
        header: String,
        /// Each event, in order of first appearance, with the plan among its messages.
        events: Vec<(String, DecodePlan)>,
    },
}

impl DecodePlan {
    /// The payload field whose value selects message `index` under this plan, if one does
    /// (on a channel with an event header, the field of that message's event).
    pub fn field_of(&self, index: usize) -> Option<&str> {
        match self {
            DecodePlan::KeepUnknown | DecodePlan::Fit(_) => None,
            DecodePlan::ByField { field, values, .. } => values
                .iter()
                .any(|(_, claimants)| claimants.contains(&index))
                .then_some(field.as_str()),
            DecodePlan::ByEvent { events, .. } => {
                events.iter().find_map(|(_, plan)| plan.field_of(index))
            }
        }
    }
}

impl Channel {
    /// A concrete address for this channel, each parameter filled with its example
    /// value (`None` for a dynamic channel).
    pub fn sample_address(&self) -> Option<String> {
        let address = self.address.clone()?;
        Some(self.parameters.iter().fold(address, |address, p| {
            address.replace(&format!("{{{}}}", p.name), &p.example)
        }))
    }
}

/// A channel parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Its name in the template.
    pub name: String,
    /// Its description, or empty.
    pub description: String,
    /// A value to use in examples and tests.
    pub example: String,
    /// The values allowed (empty: any).
    pub allowed: Vec<String>,
    /// The default value.
    pub default: Option<String>,
    /// Where the value comes from (a runtime expression), when the spec says.
    pub location: Option<String>,
}

/// An operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The operation's id (see `document::Operation::id`).
    pub id: String,
    /// Whether the application sends or receives.
    pub action: Action,
    /// Who sends.
    pub sender: String,
    /// Who receives.
    pub receiver: String,
    /// The summary, or empty.
    pub summary: String,
    /// Indices into [`Spec::messages`].
    pub messages: Vec<usize>,
    /// The operation's bindings, as JSON text (empty if none).
    pub bindings: String,
    /// What answers it.
    pub reply: Option<Reply>,
}

/// The reply to an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Index into [`Spec::channels`] of the reply channel.
    pub channel: Option<usize>,
    /// Where the reply address is found at run time (a runtime expression).
    pub location: Option<String>,
    /// Indices into [`Spec::messages`].
    pub messages: Vec<usize>,
}

pub use crate::document::Action;

/// The signature settings' own types, as `x-hookgen.signature` names them.
pub use crate::document::{
    Algorithm as SignatureAlgorithm, Encoding as SignatureEncoding, SecretFormat, SignedPart,
};

/// How deliveries are signed (see `hookgen_runtime::SignatureScheme`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The header name.
    pub header: String,
    /// The algorithm.
    pub algorithm: SignatureAlgorithm,
    /// How the signature is written.
    pub encoding: SignatureEncoding,
    /// A fixed prefix before each encoded signature.
    pub prefix: String,
    /// How the secret becomes the key.
    pub secret: SecretFormat,
    /// What is signed, in order.
    pub signed: Vec<SignedPart>,
    /// The message id header, or empty.
    pub id_header: String,
    /// The timestamp header, or empty.
    pub timestamp_header: String,
    /// The start of the signature header's timestamp entry, or empty.
    pub timestamp_entry: String,
    /// The separator of several entries in one header.
    pub separator: Option<char>,
    /// The timestamp tolerance in seconds.
    pub tolerance_seconds: Option<u64>,
}

/// Documented delivery rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Attempts in all.
    pub attempts: u32,
    /// Waits between attempts, in milliseconds.
    pub backoff_ms: Vec<u64>,
    /// Per-attempt timeout in milliseconds.
    pub timeout_ms: u64,
    /// What counts as success.
    pub success: String,
    /// When the sender retries.
    pub retry_on: String,
    /// Anything else.
    pub notes: String,
}
