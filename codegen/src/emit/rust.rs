//! Emit Rust: an [`ir::Spec`] becomes one module's tokens (`quote!`), formatted by
//! prettyplease. Every path is fully qualified (`::std::string::String`), so a spec
//! type named `String` or `Option` cannot shadow what the module uses.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use crate::escape;
use crate::ir::{self, Action, Field, IntWidth, Ty, TypeDef, TypeKind};
use crate::naming::unraw;

/// How the items that need a runtime feature are emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Behind the generated crate's cargo feature (`axum`, `client`).
    Feature,
    /// Always: the crate that includes the module enables the runtime feature itself.
    Always,
    /// Not at all.
    Never,
}

impl Gate {
    /// The attribute that puts an item behind `feature`, as this gate says.
    fn attribute(self, feature: &str) -> TokenStream {
        match self {
            Gate::Feature => quote! { #[cfg(feature = #feature)] },
            Gate::Always => quote! {},
            Gate::Never => quote! { #[cfg(any())] },
        }
    }
}

/// What a spec module holds beyond its types, messages, routing and signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The `Handler` trait and `router()` (runtime feature `axum`).
    pub receiver: Gate,
    /// `sender()` (runtime feature `client`).
    pub sender: Gate,
    /// The module sits in a crate whose root re-exports the runtime ([`crate_root`]):
    /// signatures name `crate::Route`, as the crate's docs teach, not the runtime's path.
    pub in_generated_crate: bool,
}

impl Default for Options {
    /// As in a crate from `hookgen generate`: both behind the crate's features.
    fn default() -> Self {
        Self {
            receiver: Gate::Feature,
            sender: Gate::Feature,
            in_generated_crate: true,
        }
    }
}

/// What [`crate_root`] re-exports from the runtime.
const REEXPORTED: &[&str] = &[
    "Action",
    "Algorithm",
    "Channel",
    "Clock",
    "DecodeError",
    "DeliveryPolicy",
    "Encoding",
    "MessageInfo",
    "Operation",
    "Parameter",
    "Reply",
    "Route",
    "STANDARD_WEBHOOKS",
    "SecretFormat",
    "Server",
    "SignatureError",
    "SignatureScheme",
    "SignedContent",
    "SignedRequest",
    "SystemClock",
    "UnknownMessage",
    "receiver",
    "sender",
];

/// `tokens` with every `::hookgen_runtime::X` the crate root re-exports written
/// `crate::X`. Only paths change: literals (spec text) are tokens of their own.
fn through_reexports(tokens: TokenStream) -> TokenStream {
    use proc_macro2::{Group, Punct, Spacing, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        let is_colon =
            |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == ':');
        let reexported = is_colon(trees.get(i))
            && is_colon(trees.get(i + 1))
            && matches!(trees.get(i + 2), Some(TokenTree::Ident(id)) if id == "hookgen_runtime")
            && is_colon(trees.get(i + 3))
            && is_colon(trees.get(i + 4))
            && matches!(trees.get(i + 5), Some(TokenTree::Ident(id)) if REEXPORTED.contains(&id.to_string().as_str()));
        // Not a path that merely ends in `::hookgen_runtime` (`a::hookgen_runtime::X`).
        let starts_path = !matches!(out.last(), Some(TokenTree::Ident(_)));
        if reexported && starts_path {
            let span = trees[i + 2].span();
            out.push(TokenTree::Ident(proc_macro2::Ident::new("crate", span)));
            out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
            out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
            out.push(trees[i + 5].clone());
            i += 6;
            continue;
        }
        out.push(match &trees[i] {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), through_reexports(g.stream()));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// The formatted source of one spec module (without its `@generated` header).
pub fn spec_module(spec: &ir::Spec) -> String {
    spec_module_with(spec, Options::default())
}

/// [`spec_module`] with the receiver and sender emitted as `options` say.
pub fn spec_module_with(spec: &ir::Spec, options: Options) -> String {
    let tokens = module_tokens(spec, options);
    format(if options.in_generated_crate {
        through_reexports(tokens)
    } else {
        tokens
    })
}

/// The formatted source of the crate root declaring `modules`.
///
/// The `mod` items carry no doc comment: rustdoc joins an item's outer docs with the
/// module file's inner docs into one Markdown text, in which a fence left open by one
/// could close in the other. Each module documents itself, in one piece.
pub fn crate_root(title: &str, modules: &[String]) -> String {
    let mods = modules.iter().map(|module| {
        let ident = ident(module);
        quote! { #[rustfmt::skip] pub mod #ident; }
    });
    let doc = inner_docs(&format!(
        "{title}\n\nOne module per spec; the shared runtime is re-exported at the root."
    ));
    format(quote! {
        #doc
        #![forbid(unsafe_code)]
        #[rustfmt::skip]
        pub use ::hookgen_runtime::{
            Action, Algorithm, Channel, Clock, DecodeError, DeliveryPolicy, Encoding, MessageInfo, Operation,
            Parameter, Reply, Route, STANDARD_WEBHOOKS, SecretFormat, Server, SignatureError, SignatureScheme, SignedContent,
            SignedRequest, SystemClock, UnknownMessage,
        };
        /// The axum receiver machinery (`ReceiverConfig`, `HandlerError`, axum itself).
        #[cfg(feature = "axum")]
        pub use ::hookgen_runtime::receiver;
        /// The sender machinery (`Sender`, `RetryPolicy`, `DeliveryReport`).
        #[cfg(feature = "client")]
        pub use ::hookgen_runtime::sender;
        #(#mods)*
    })
}

/// Formats a file with prettyplease, one blank line between top-level items.
fn format(tokens: TokenStream) -> String {
    let file = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => file,
        // Unreachable for tokens built here; keep the raw tokens so a bug is visible, not a panic.
        Err(e) => return format!("compile_error!({:?});\n{tokens}\n", e.to_string()),
    };
    let mut parts = Vec::with_capacity(file.items.len() + 1);
    if !file.attrs.is_empty() {
        parts.push(prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: file.attrs,
            items: Vec::new(),
        }));
    }
    for item in file.items {
        parts.push(prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: Vec::new(),
            items: vec![item],
        }));
    }
    parts.join("\n")
}

fn ident(name: &str) -> Ident {
    format_ident!("{}", name)
}

fn lit(text: &str) -> Literal {
    Literal::string(text)
}

/// `///` lines for an item: `markdown` made inert by [`escape::rustdoc`], the only way
/// text reaches a doc comment.
fn docs(markdown: &str) -> TokenStream {
    let lines = doc_lines(markdown)
        .into_iter()
        .map(|l| quote! { #[doc = #l] });
    quote! { #(#lines)* }
}

/// `//!` lines for a module, made inert like [`docs`].
fn inner_docs(markdown: &str) -> TokenStream {
    let lines = doc_lines(markdown)
        .into_iter()
        .map(|l| quote! { #![doc = #l] });
    quote! { #(#lines)* }
}

/// Doc lines as rustdoc writes them: a space after `///`, none on a blank line.
fn doc_lines(markdown: &str) -> Vec<String> {
    let text = escape::wrap_markdown(&escape::rustdoc(markdown), escape::DOC_WIDTH);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            }
        })
        .collect()
}

fn module_tokens(spec: &ir::Spec, options: Options) -> TokenStream {
    let mut doc = spec.title.clone();
    if !spec.description.is_empty() {
        doc.push_str("\n\n");
        doc.push_str(&spec.description);
    }
    let sources: Vec<String> = spec.sources.iter().map(|s| escape::code(s)).collect();
    doc.push_str(&format!(
        "\n\nSpec version {}. Generated from {}.",
        escape::code(&spec.version),
        sources.join(" with ")
    ));
    let module_doc = inner_docs(&doc);

    // Sorted by Rust name so output never depends on discovery order.
    let mut items: BTreeMap<&str, TokenStream> = BTreeMap::new();
    for def in spec.types.types.values() {
        items.insert(def.name.as_str(), type_def(spec, def));
    }
    let types = items.values();
    let message = message_enum(spec);
    let messages = message_table(spec);
    let routing = routing(spec);
    let decoding = decoding(spec);
    let signature = signature(spec);
    let delivery = delivery(spec);
    let receiver = receiver(spec, options);
    // In the order a reader needs them: what arrives, how it is told apart, where it
    // arrives, how it is signed and delivered, then the receiver and sender.
    quote! {
        #module_doc
        #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
        #![allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::large_enum_variant)]
        #(#types)*
        #message
        #messages
        #decoding
        #routing
        #signature
        #delivery
        #receiver
    }
}

/// The typed handler trait and the axum router of a spec (feature `axum`); only for
/// specs that declare a signature scheme, since the router verifies every delivery.
fn receiver(spec: &ir::Spec, options: Options) -> TokenStream {
    if spec.signature.is_none() {
        return quote! {};
    }
    let axum = options.receiver.attribute("axum");
    let client = options.sender.attribute("client");
    let mut scope = crate::naming::NameScope::with_reserved(&["unknown", "router"]);
    let methods: Vec<(Ident, &ir::Message)> = spec
        .messages
        .iter()
        .map(|m| {
            let name = scope.claim(crate::naming::field_name(&m.variant, "message"));
            (ident(&name), m)
        })
        .collect();
    let unknown = ident(&spec.unknown_variant);
    let declarations = methods.iter().map(|(method, m)| {
        let payload = ty(spec, &m.payload);
        let doc = docs(&format!(
            "Handles {}{}. Accepts it unless overridden.",
            escape::code(&m.key),
            if m.summary.is_empty() { String::new() } else { format!(": {}", m.summary) }
        ));
        quote! {
            #doc
            fn #method(
                &self,
                route: &::hookgen_runtime::Route,
                payload: #payload,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::hookgen_runtime::receiver::HandlerError>> + ::std::marker::Send {
                let _ = (route, payload);
                async { ::std::result::Result::Ok(()) }
            }
        }
    });
    let arms = methods.iter().map(|(method, m)| {
        let variant = ident(&m.variant);
        quote! { Message::#variant(payload) => self.0.#method(&route, payload).await, }
    });
    quote! {
        /// A typed webhook handler: one method per message of the spec, plus unknown events.
        /// Every method accepts its message unless overridden; an `Err` makes the receiver
        /// answer 500 so the sender retries.
        #axum
        pub trait Handler: ::std::marker::Send + ::std::marker::Sync + 'static {
            #(#declarations)*

            /// Handles an event the spec does not list. Accepts it unless overridden.
            fn unknown(
                &self,
                route: &::hookgen_runtime::Route,
                message: ::hookgen_runtime::UnknownMessage,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<(), ::hookgen_runtime::receiver::HandlerError>> + ::std::marker::Send {
                let _ = (route, message);
                async { ::std::result::Result::Ok(()) }
            }
        }

        #axum
        struct Dispatcher<H>(H);

        #axum
        impl<H: Handler> ::hookgen_runtime::__private::Dispatch<Message> for Dispatcher<H> {
            fn dispatch(&self, route: ::hookgen_runtime::Route, message: Message) -> ::hookgen_runtime::__private::HandlerFuture<'_> {
                ::std::boxed::Box::pin(async move {
                    match message {
                        #(#arms)*
                        Message::#unknown(message) => self.0.unknown(&route, message).await,
                    }
                })
            }
        }

        /// A sender that signs with [`SIGNATURE`] and retries on the spec's delivery rules
        /// ([`DELIVERY`]), or on `hookgen_runtime::sender::RetryPolicy::default()` without them.
        /// Refused for an empty secret, or one not in the scheme's format.
        #client
        pub fn sender(secret: impl ::std::convert::Into<::std::vec::Vec<u8>>) -> ::std::result::Result<::hookgen_runtime::sender::Sender, ::hookgen_runtime::SignatureError> {
            let policy = match DELIVERY {
                ::std::option::Option::Some(delivery) => ::hookgen_runtime::sender::RetryPolicy::from_delivery(&delivery),
                ::std::option::Option::None => ::hookgen_runtime::sender::RetryPolicy::default(),
            };
            ::hookgen_runtime::sender::Sender::new(SIGNATURE, secret, policy)
        }

        /// An axum router serving every channel of this spec at its address: it verifies each
        /// delivery with [`SIGNATURE`], decodes it and calls `handler` (see
        /// `hookgen_runtime::receiver` for the status codes). Refused for a configuration
        /// that cannot verify anything (no secret, an empty one, one not in the scheme's format).
        #axum
        pub fn router<H: Handler>(handler: H, config: ::hookgen_runtime::receiver::ReceiverConfig) -> ::std::result::Result<::hookgen_runtime::receiver::axum::Router, ::hookgen_runtime::SignatureError> {
            let binding = ::hookgen_runtime::__private::SpecBinding { scheme: SIGNATURE, route, decode_channel };
            ::hookgen_runtime::receiver::router(binding, config, ::std::sync::Arc::new(Dispatcher(handler)))
        }
    }
}

/// A type as short text for docs and tables (`Vec<FlagEvaluation>`).
pub fn type_text(spec: &ir::Spec, t: &Ty) -> String {
    ty(spec, t)
        .to_string()
        .replace(' ', "")
        .replace("::std::string::", "")
        .replace("::std::vec::", "")
        .replace("::std::collections::", "")
        .replace("::std::boxed::", "")
        .replace("::serde_json::", "serde_json::")
}

fn ty(spec: &ir::Spec, t: &Ty) -> TokenStream {
    match t {
        Ty::String => quote! { ::std::string::String },
        Ty::Bool => quote! { bool },
        Ty::Integer(IntWidth::I32) => quote! { i32 },
        Ty::Integer(IntWidth::I64) => quote! { i64 },
        Ty::Integer(IntWidth::U64) => quote! { u64 },
        Ty::Number => quote! { f64 },
        Ty::Null => quote! { () },
        Ty::Json => quote! { ::serde_json::Value },
        Ty::JsonObject => quote! { ::serde_json::Map<::std::string::String, ::serde_json::Value> },
        Ty::Array(item) => {
            let item = ty(spec, item);
            quote! { ::std::vec::Vec<#item> }
        }
        Ty::Map(value) => {
            let value = ty(spec, value);
            quote! { ::std::collections::BTreeMap<::std::string::String, #value> }
        }
        Ty::Named(id) => {
            let name = ident(spec.types.name(*id));
            quote! { #name }
        }
        Ty::Boxed(inner) => {
            let inner = ty(spec, inner);
            quote! { ::std::boxed::Box<#inner> }
        }
    }
}

fn type_def(spec: &ir::Spec, def: &TypeDef) -> TokenStream {
    let name = ident(&def.name);
    let doc = docs(&def.doc.join("\n"));
    match &def.kind {
        TypeKind::Struct {
            fields,
            additional,
            deny_unknown,
        } => {
            let deny = deny_unknown.then(|| quote! { #[serde(deny_unknown_fields)] });
            let fields = fields.iter().map(|f| field(spec, f));
            let additional = additional.as_ref().map(|a| {
                let a = ty(spec, a);
                quote! {
                    /// Properties the schema does not name, kept as received.
                    #[serde(flatten)]
                    pub additional_properties: ::std::collections::BTreeMap<::std::string::String, #a>,
                }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
                #deny
                pub struct #name {
                    #(#fields)*
                    #additional
                }
            }
        }
        TypeKind::Union { variants } => {
            let variants = variants.iter().map(|v| {
                let v_name = ident(&v.ident);
                let v_ty = ty(spec, &v.ty);
                quote! { #v_name(#v_ty), }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize, ::schemars::JsonSchema)]
                #[serde(untagged)]
                pub enum #name {
                    #(#variants)*
                }
            }
        }
        TypeKind::TaggedUnion { field, variants } => {
            tagged_union(spec, def, &name, field, variants)
        }
        TypeKind::Alias(target) => {
            let target = ty(spec, target);
            quote! {
                #doc
                pub type #name = #target;
            }
        }
        TypeKind::StringEnum { variants, fallback } => string_enum(def, &name, variants, fallback),
    }
}

/// A union told apart by the value of `field`: serializes as the bare alternative,
/// deserializes by reading the tag first, so a payload is never routed by trial.
fn tagged_union(
    spec: &ir::Spec,
    def: &TypeDef,
    name: &Ident,
    field: &str,
    variants: &[ir::UnionVariant],
) -> TokenStream {
    let doc = docs(&def.doc.join("\n"));
    let field_lit = lit(field);
    let decls = variants.iter().map(|v| {
        let v_name = ident(&v.ident);
        let v_ty = ty(spec, &v.ty);
        let tags = docs(&format!(
            "{}: {}",
            escape::code(field),
            v.tags
                .iter()
                .map(|t| escape::code(t))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        quote! { #tags #v_name(#v_ty), }
    });
    let arms = variants.iter().map(|v| {
        let v_name = ident(&v.ident);
        let tags = v.tags.iter().map(|t| lit(t));
        quote! {
            #( ::std::option::Option::Some(#tags) )|* => ::serde_json::from_value(value).map(Self::#v_name),
        }
    });
    let expected = lit(&format!(
        "`{field}` to be one of {}",
        variants
            .iter()
            .flat_map(|v| v.tags.iter())
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::schemars::JsonSchema)]
        #[serde(untagged)]
        pub enum #name {
            #(#decls)*
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                let result = match value.get(#field_lit).and_then(::serde_json::Value::as_str) {
                    #(#arms)*
                    other => {
                        return ::std::result::Result::Err(<D::Error as ::serde::de::Error>::custom(
                            ::std::format_args!("expected {}, found {:?}", #expected, other),
                        ))
                    }
                };
                result.map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}

fn field(spec: &ir::Spec, f: &Field) -> TokenStream {
    let doc = docs(&f.doc.join("\n"));
    let name = ident(&f.ident);
    let inner = ty(spec, &f.ty);
    let rename = (unraw(&f.ident) != f.wire).then(|| {
        let wire = lit(&f.wire);
        quote! { #[serde(rename = #wire)] }
    });
    let (field_ty, attrs) = match (f.required, f.nullable) {
        (true, false) => (inner, quote! {}),
        (true, true) => (quote! { ::std::option::Option<#inner> }, quote! {}),
        (false, false) => (
            quote! { ::std::option::Option<#inner> },
            quote! { #[serde(default, skip_serializing_if = "::std::option::Option::is_none")] },
        ),
        (false, true) => {
            let schema_with = lit(&quote! { ::std::option::Option<#inner> }
                .to_string()
                .replace(' ', ""));
            (
                quote! { ::std::option::Option<::std::option::Option<#inner>> },
                quote! {
                    #[serde(
                        default,
                        skip_serializing_if = "::std::option::Option::is_none",
                        deserialize_with = "::hookgen_runtime::__private::double_option"
                    )]
                    #[schemars(with = #schema_with)]
                },
            )
        }
    };
    quote! {
        #doc
        #rename
        #attrs
        pub #name: #field_ty,
    }
}

fn string_enum(
    def: &TypeDef,
    name: &Ident,
    variants: &[ir::EnumVariant],
    fallback: &str,
) -> TokenStream {
    let doc = docs(&def.doc.join("\n"));
    let fallback = ident(fallback);
    let wires: Vec<Literal> = variants.iter().map(|v| lit(&v.wire)).collect();
    let idents: Vec<Ident> = variants.iter().map(|v| ident(&v.ident)).collect();
    let variant_docs = variants.iter().map(|v| docs(&escape::code(&v.wire)));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #( #variant_docs #idents, )*
            /// A value the spec does not list, kept as received.
            #fallback(::std::string::String),
        }

        ::hookgen_runtime::open_enum!(#name { #( #idents = #wires ),* } else #fallback);
    }
}

fn message_enum(spec: &ir::Spec) -> TokenStream {
    let unknown = ident(&spec.unknown_variant);
    let variants = spec.messages.iter().map(|m| {
        let paragraphs: Vec<&str> = [&m.title, &m.summary]
            .into_iter()
            .chain(&m.notes)
            .map(String::as_str)
            .filter(|text| !text.is_empty())
            .collect();
        let doc = docs(&paragraphs.join("\n\n"));
        let name = ident(&m.variant);
        let payload = ty(spec, &m.payload);
        quote! { #doc #name(#payload), }
    });
    let name_arms = spec.messages.iter().map(|m| {
        let name = ident(&m.variant);
        let key = lit(&m.key);
        quote! { Self::#name(_) => ::std::option::Option::Some(#key), }
    });
    let info_arms = spec.messages.iter().enumerate().map(|(i, m)| {
        let name = ident(&m.variant);
        // `get(0)` would trip clippy's `get_first`.
        let lookup = if i == 0 {
            quote! { MESSAGES.first() }
        } else {
            let i = Literal::usize_unsuffixed(i);
            quote! { MESSAGES.get(#i) }
        };
        quote! { Self::#name(_) => #lookup, }
    });
    quote! {
        /// Every message of the spec, plus the events it does not list.
        ///
        /// Serializes as the bare payload, as it travels on the wire.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[serde(untagged)]
        pub enum Message {
            #(#variants)*
            /// A well-formed payload whose discriminator value the spec does not list.
            #unknown(::hookgen_runtime::UnknownMessage),
        }

        impl Message {
            /// The message's name in the spec (`None` for an unknown event).
            pub fn name(&self) -> ::std::option::Option<&'static str> {
                match self {
                    #(#name_arms)*
                    Self::#unknown(_) => ::std::option::Option::None,
                }
            }

            /// What the spec says about this message (`None` for an unknown event).
            pub fn info(&self) -> ::std::option::Option<&'static ::hookgen_runtime::MessageInfo> {
                match self {
                    #(#info_arms)*
                    Self::#unknown(_) => ::std::option::Option::None,
                }
            }
        }
    }
}

fn message_table(spec: &ir::Spec) -> TokenStream {
    let infos = spec.messages.iter().map(|m| {
        let name = lit(&m.key);
        let title = present_lit(&m.title);
        let summary = present_lit(&m.summary);
        let content_type = present_lit(&m.content_type);
        let payload_type = lit(&type_text(spec, &m.payload));
        let values = m.discriminator_values.iter().map(|v| lit(v));
        let examples = m.examples.iter().map(|e| lit(&e.payload.to_string()));
        let correlation_id = present_lit(&m.correlation_id);
        let bindings = present_lit(&m.bindings);
        quote! {
            ::hookgen_runtime::MessageInfo {
                name: #name,
                title: #title,
                summary: #summary,
                content_type: #content_type,
                payload_type: #payload_type,
                discriminator_values: &[#(#values),*],
                examples: &[#(#examples),*],
                correlation_id: #correlation_id,
                bindings: #bindings,
            },
        }
    });
    quote! {
        /// Every message of the spec, in `Message` variant order.
        pub static MESSAGES: &[::hookgen_runtime::MessageInfo] = &[#(#infos)*];
    }
}

/// `Some(text)`, or `None` for empty text, as tokens.
fn present_lit(text: &str) -> TokenStream {
    option_lit(Some(text).filter(|t| !t.is_empty()))
}

/// `Some(text)` or `None`, as tokens.
fn option_lit(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => {
            let text = lit(text);
            quote! { ::std::option::Option::Some(#text) }
        }
        None => quote! { ::std::option::Option::None },
    }
}

fn routing(spec: &ir::Spec) -> TokenStream {
    let message_names = |indices: &[usize]| -> Vec<Literal> {
        indices
            .iter()
            .map(|i| lit(&spec.messages[*i].key))
            .collect()
    };
    let channels = spec.channels.iter().map(|c| {
        let address = option_lit(c.address.as_deref());
        let description = present_lit(&c.description);
        let params = c.parameters.iter().map(|p| {
            let name = lit(&p.name);
            let description = present_lit(&p.description);
            let allowed = p.allowed.iter().map(|v| lit(v));
            let default = option_lit(p.default.as_deref());
            let location = option_lit(p.location.as_deref());
            quote! {
                ::hookgen_runtime::Parameter {
                    name: #name,
                    description: #description,
                    allowed: &[#(#allowed),*],
                    default: #default,
                    location: #location,
                },
            }
        });
        let ops = c.operations.iter().map(|o| {
            let id = lit(&o.id);
            let action = match o.action {
                Action::Send => quote! { ::hookgen_runtime::Action::Send },
                Action::Receive => quote! { ::hookgen_runtime::Action::Receive },
            };
            let sender = lit(&o.sender);
            let receiver = lit(&o.receiver);
            let summary = present_lit(&o.summary);
            let messages = message_names(&o.messages);
            let bindings = present_lit(&o.bindings);
            let reply = match &o.reply {
                Some(r) => {
                    let address = option_lit(
                        r.channel
                            .and_then(|i| spec.channels.get(i))
                            .and_then(|c| c.address.as_deref()),
                    );
                    let location = option_lit(r.location.as_deref());
                    let messages = message_names(&r.messages);
                    quote! {
                        ::std::option::Option::Some(::hookgen_runtime::Reply {
                            address: #address,
                            location: #location,
                            messages: &[#(#messages),*],
                        })
                    }
                }
                None => quote! { ::std::option::Option::None },
            };
            quote! {
                ::hookgen_runtime::Operation {
                    id: #id,
                    action: #action,
                    sender: #sender,
                    receiver: #receiver,
                    summary: #summary,
                    messages: &[#(#messages),*],
                    bindings: #bindings,
                    reply: #reply,
                },
            }
        });
        let discriminator = option_lit(c.discriminator.as_deref());
        let bindings = present_lit(&c.bindings);
        quote! {
            ::hookgen_runtime::Channel {
                address: #address,
                description: #description,
                parameters: &[#(#params)*],
                operations: &[#(#ops)*],
                discriminator: #discriminator,
                bindings: #bindings,
            },
        }
    });
    let servers = spec.servers.iter().map(|s| {
        let name = lit(&s.name);
        let host = lit(&s.host);
        let pathname = option_lit(Some(s.pathname.as_str()).filter(|p| !p.is_empty()));
        let protocol = lit(&s.protocol);
        let description = option_lit(Some(s.description.as_str()).filter(|d| !d.is_empty()));
        quote! {
            ::hookgen_runtime::Server {
                name: #name,
                host: #host,
                pathname: #pathname,
                protocol: #protocol,
                description: #description,
            },
        }
    });
    quote! {
        /// The servers the spec names.
        pub static SERVERS: &[::hookgen_runtime::Server] = &[#(#servers)*];

        /// The routing table: every channel of the spec.
        pub static CHANNELS: &[::hookgen_runtime::Channel] = &[#(#channels)*];

        /// `CHANNELS`, indexed once for [`route`].
        static ROUTER: ::std::sync::LazyLock<::hookgen_runtime::routing::Router> =
            ::std::sync::LazyLock::new(|| ::hookgen_runtime::routing::Router::new(CHANNELS));

        /// Matches a concrete address (such as a request path) against the channel templates.
        pub fn route(address: &str) -> ::std::option::Option<::hookgen_runtime::Route> {
            ROUTER.route(address)
        }
    }
}

fn decoding(spec: &ir::Spec) -> TokenStream {
    let arms = spec.channels.iter().enumerate().map(|(index, c)| {
        let body = channel_decoder(spec, c);
        quote! { #index => ::std::result::Result::Ok(#body), }
    });
    let unknown_index = quote! {
        ::std::result::Result::Err(::hookgen_runtime::DecodeError::UnknownChannel(
            ::std::format!("#{index}"),
        ))
    };
    // Without channels the body is never read and there is nothing to match.
    let (body, dispatch) = if spec.channels.is_empty() {
        (format_ident!("_body"), unknown_index)
    } else {
        let dispatch = quote! {
            match index {
                #(#arms)*
                _ => #unknown_index,
            }
        };
        (format_ident!("body"), dispatch)
    };
    quote! {
        /// Decodes a body received at `address` (matched with [`route`]) into its message.
        pub fn decode(address: &str, body: &[u8]) -> ::std::result::Result<Message, ::hookgen_runtime::DecodeError> {
            let route = route(address)
                .ok_or_else(|| ::hookgen_runtime::DecodeError::UnknownChannel(::std::borrow::ToOwned::to_owned(address)))?;
            decode_at(route.index, body)
        }

        /// Decodes a body received on the channel whose address template is `channel`.
        pub fn decode_channel(channel: &str, body: &[u8]) -> ::std::result::Result<Message, ::hookgen_runtime::DecodeError> {
            let index = ROUTER.position(channel)
                .ok_or_else(|| ::hookgen_runtime::DecodeError::UnknownChannel(::std::borrow::ToOwned::to_owned(channel)))?;
            decode_at(index, body)
        }

        /// Decodes a body of the channel at `index` in [`CHANNELS`].
        fn decode_at(index: usize, #body: &[u8]) -> ::std::result::Result<Message, ::hookgen_runtime::DecodeError> {
            #dispatch
        }
    }
}

/// The expression that decodes a body of channel `c` into a `Message`, as its
/// [`ir::DecodePlan`] says.
fn channel_decoder(spec: &ir::Spec, c: &ir::Channel) -> TokenStream {
    let unknown = ident(&spec.unknown_variant);
    let address = lit(c.address.as_deref().unwrap_or_default());
    let (field, values, absent, unlisted) = match &c.decode {
        ir::DecodePlan::KeepUnknown => {
            return quote! {
                Message::#unknown(::hookgen_runtime::__private::unknown_message(#address, ::std::option::Option::None, body)?)
            };
        }
        ir::DecodePlan::Fit(candidates) => {
            let decode = decode_candidates(spec, candidates);
            return quote! { #decode? };
        }
        ir::DecodePlan::ByField {
            field,
            values,
            absent,
            unlisted,
        } => (lit(field), values, absent, unlisted),
    };
    let keep_unknown = quote! {
        Message::#unknown(::hookgen_runtime::__private::unknown_message(
            #address,
            ::std::option::Option::Some((#field, tag)),
            body,
        )?)
    };
    let known = values.iter().map(|(value, claimants)| {
        let value = lit(value);
        let decode = decode_candidates(spec, claimants);
        quote! { ::std::option::Option::Some(#value) => #decode?, }
    });
    let absent = if absent.is_empty() {
        quote! {
            return ::std::result::Result::Err(::hookgen_runtime::DecodeError::MissingDiscriminator { field: #field })
        }
    } else {
        let decode = decode_candidates(spec, absent);
        quote! { #decode? }
    };
    let unlisted = if unlisted.is_empty() {
        keep_unknown
    } else {
        let decode = decode_candidates(spec, unlisted);
        quote! {
            match #decode {
                ::std::result::Result::Err(
                    ::hookgen_runtime::DecodeError::NoMatch { .. } | ::hookgen_runtime::DecodeError::InvalidPayload { .. },
                ) => #keep_unknown,
                other => other?,
            }
        }
    };
    quote! {{
        let tag = ::hookgen_runtime::__private::peek_discriminator(body, #field)?;
        match tag.as_deref() {
            #(#known)*
            ::std::option::Option::None => #absent,
            ::std::option::Option::Some(_) => #unlisted,
        }
    }}
}

/// An expression of type `Result<Message, DecodeError>`: `body` decoded as the one message
/// of `candidates`, or by shape among several.
fn decode_candidates(spec: &ir::Spec, candidates: &[usize]) -> TokenStream {
    let one = |index: usize| {
        let m = &spec.messages[index];
        let variant = ident(&m.variant);
        let key = lit(&m.key);
        let decode = quote! { ::hookgen_runtime::__private::decode_payload(#key, body).map(Message::#variant) };
        (key, decode)
    };
    match candidates {
        [only] => one(*only).1,
        several => {
            let entries = several.iter().map(|i| {
                let (key, decode) = one(*i);
                quote! { (#key, |body: &[u8]| #decode), }
            });
            quote! {
                ::hookgen_runtime::__private::decode_by_shape(body, &[#(#entries)*])
            }
        }
    }
}

fn signature(spec: &ir::Spec) -> TokenStream {
    let Some(s) = &spec.signature else {
        return quote! {};
    };
    let header = lit(&s.header);
    let prefix = lit(&s.prefix);
    let id_header = lit(&s.id_header);
    let timestamp_header = lit(&s.timestamp_header);
    let algorithm = match s.algorithm {
        ir::SignatureAlgorithm::HmacSha256 => quote! { ::hookgen_runtime::Algorithm::HmacSha256 },
    };
    let encoding = match s.encoding {
        ir::SignatureEncoding::Hex => quote! { ::hookgen_runtime::Encoding::Hex },
        ir::SignatureEncoding::Base64 => quote! { ::hookgen_runtime::Encoding::Base64 },
    };
    let secret_format = if s.whsec_secret {
        quote! { ::hookgen_runtime::SecretFormat::WhsecBase64 }
    } else {
        quote! { ::hookgen_runtime::SecretFormat::Bytes }
    };
    let signed = if s.signs_id_and_timestamp {
        quote! { ::hookgen_runtime::SignedContent::IdTimestampBody }
    } else {
        quote! { ::hookgen_runtime::SignedContent::Body }
    };
    let separator = match s.separator {
        Some(c) => quote! { ::std::option::Option::Some(#c) },
        None => quote! { ::std::option::Option::None },
    };
    let tolerance = match s.tolerance_seconds {
        Some(t) => {
            let t = Literal::u64_unsuffixed(t);
            quote! { ::std::option::Option::Some(#t) }
        }
        None => quote! { ::std::option::Option::None },
    };
    quote! {
        /// How deliveries of this spec are signed.
        pub const SIGNATURE: ::hookgen_runtime::SignatureScheme = ::hookgen_runtime::SignatureScheme {
            header: #header,
            algorithm: #algorithm,
            encoding: #encoding,
            prefix: #prefix,
            secret_format: #secret_format,
            signed: #signed,
            id_header: #id_header,
            timestamp_header: #timestamp_header,
            separator: #separator,
            tolerance_seconds: #tolerance,
        };

        /// The HTTP header that carries the signature.
        pub const SIGNATURE_HEADER: &str = SIGNATURE.header;

        /// The signature header value for `body` signed with `secret`.
        pub fn sign(secret: &[u8], body: &[u8]) -> ::std::string::String {
            SIGNATURE.sign(secret, body)
        }

        /// Verifies `header_value` over the raw `body` bytes, in constant time.
        pub fn verify(secret: &[u8], header_value: &str, body: &[u8]) -> ::std::result::Result<(), ::hookgen_runtime::SignatureError> {
            SIGNATURE.verify(secret, header_value, body)
        }

        /// Verifies a request against any of `secrets` (rotation), with the timestamp checked
        /// against `clock` when the scheme has a tolerance.
        pub fn verify_request(
            secrets: &[&[u8]],
            request: &::hookgen_runtime::SignedRequest<'_>,
            clock: &dyn ::hookgen_runtime::Clock,
        ) -> ::std::result::Result<(), ::hookgen_runtime::SignatureError> {
            SIGNATURE.verify_request(secrets, request, clock)
        }
    }
}

fn delivery(spec: &ir::Spec) -> TokenStream {
    let Some(d) = &spec.delivery else {
        return quote! {
            /// The spec states no delivery rules.
            pub const DELIVERY: ::std::option::Option<::hookgen_runtime::DeliveryPolicy> = ::std::option::Option::None;
        };
    };
    let attempts = Literal::u32_unsuffixed(d.attempts);
    let backoff = d.backoff_ms.iter().map(|b| Literal::u64_unsuffixed(*b));
    let timeout = Literal::u64_unsuffixed(d.timeout_ms);
    let success = lit(&d.success);
    let retry_on = lit(&d.retry_on);
    let notes = lit(&d.notes);
    quote! {
        /// The provider's documented delivery rules.
        pub const DELIVERY: ::std::option::Option<::hookgen_runtime::DeliveryPolicy> =
            ::std::option::Option::Some(::hookgen_runtime::DeliveryPolicy {
                attempts: #attempts,
                backoff_ms: &[#(#backoff),*],
                timeout_ms: #timeout,
                success: #success,
                retry_on: #retry_on,
                notes: #notes,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_name_the_crate_reexports_and_text_is_left_alone() {
        let tokens = quote! {
            /// Returns `::hookgen_runtime::Route`.
            pub fn route(a: &str) -> ::std::option::Option<::hookgen_runtime::Route> {
                let _ = "::hookgen_runtime::Route";
                let _ = ::hookgen_runtime::__private::peek_discriminator;
                let _: other::hookgen_runtime::Route;
                todo!()
            }
        };
        let text = through_reexports(tokens).to_string();
        assert!(text.contains("Option < crate :: Route >"), "{text}");
        assert!(
            text.contains("\"::hookgen_runtime::Route\""),
            "a literal changed: {text}"
        );
        assert!(
            text.contains("Returns `::hookgen_runtime::Route`."),
            "a doc changed: {text}"
        );
        assert!(text.contains(":: hookgen_runtime :: __private"), "{text}");
        assert!(text.contains("other :: hookgen_runtime :: Route"), "{text}");
    }
}
