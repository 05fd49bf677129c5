//! Emit Rust: an [`ir::Spec`] becomes one module's tokens (`quote!`), formatted by
//! prettyplease. The prelude's types and traits are named as a person writes them
//! (`Option<String>`) unless the spec defines a type of that name: then the module
//! names the prelude item by its full path and its own type as `self::Option`
//! (`QualifyPrelude`). Every other path is fully qualified
//! (`::std::collections::BTreeMap`).

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

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
    /// Whenever the runtime has the feature: a build-script crate whose tests enable
    /// `hookgen-runtime/testing` as a dev-dependency gets the items in its tests only,
    /// and `cargo build` builds without them (used for the `testing` helpers).
    Runtime,
}

impl Gate {
    /// `Always` when `on`, else `Never`: the choice a build script makes.
    pub fn when(on: bool) -> Self {
        if on { Gate::Always } else { Gate::Never }
    }

    /// The attribute that puts an item behind `feature`, as this gate says.
    fn attribute(self, feature: &str) -> TokenStream {
        match self {
            Gate::Feature => quote! { #[cfg(feature = #feature)] },
            Gate::Always | Gate::Runtime => quote! {},
            Gate::Never => quote! { #[cfg(any())] },
        }
    }

    /// `#[inner]` behind `feature` (`cfg_attr`), as is, or nothing, as this gate says.
    fn wrap(self, feature: &str, inner: TokenStream) -> TokenStream {
        match self {
            Gate::Feature => quote! { #[cfg_attr(feature = #feature, #inner)] },
            Gate::Always | Gate::Runtime => quote! { #[#inner] },
            Gate::Never => quote! {},
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
    /// `schemars::JsonSchema` for every payload type (crate feature `schemars`).
    pub schemas: Gate,
    /// `test_signer()` and `Message::signed` (runtime feature `testing`).
    pub testing: Gate,
    /// The module sits in a crate whose root re-exports the runtime ([`crate_root`]):
    /// signatures name `crate::Route`, as the crate's docs teach, not the runtime's path.
    pub in_generated_crate: bool,
}

impl Default for Options {
    /// As in a crate from `hookgen generate`: each behind the crate's feature.
    fn default() -> Self {
        Self {
            receiver: Gate::Feature,
            sender: Gate::Feature,
            schemas: Gate::Feature,
            testing: Gate::Feature,
            in_generated_crate: true,
        }
    }
}

/// The runtime items [`crate_root`] re-exports.
const REEXPORTED_ITEMS: &[&str] = &[
    "Action",
    "Algorithm",
    "Channel",
    "Clock",
    "DecodeError",
    "DeliveryPolicy",
    "Encoding",
    "Headers",
    "MessageInfo",
    "Operation",
    "Parameter",
    "Reply",
    "Route",
    "STANDARD_WEBHOOKS",
    "STANDARD_WEBHOOKS_V1A",
    "SecretFormat",
    "Server",
    "SignatureError",
    "SignatureScheme",
    "SignedPart",
    "SignedRequest",
    "SystemClock",
    "UnknownMessage",
];

/// The runtime modules [`crate_root`] re-exports: name, the crate feature it needs, doc.
const REEXPORTED_MODULES: &[(&str, Option<&str>, &str)] = &[
    (
        "receiver",
        Some("tower"),
        "The receiver machinery (`ReceiverConfig`, `HandlerError`, the tower service; axum itself with `axum`).",
    ),
    (
        "queue",
        Some("tower"),
        "Queue mode (`MemoryQueue`, `WorkerStats`; `RedisQueue` with `redis`).",
    ),
    (
        "testing",
        Some("testing"),
        "Test helpers (`TestSigner`, `SignedDelivery`, `Breakage`).",
    ),
    (
        "replay",
        None,
        "Replay protection (`ReplayConfig`, `MemoryGuard`; `RedisGuard` with `redis`).",
    ),
    (
        "sender",
        Some("client"),
        "The sender machinery (`Sender`, `RetryPolicy`, `DeliveryReport`).",
    ),
];

/// Rewrites every path `::hookgen_runtime::X` the crate root re-exports to `crate::X`.
/// It visits the parsed syntax tree, so only paths change: literals (spec text) are
/// nodes of their own and never match.
struct ThroughReexports;

impl VisitMut for ThroughReexports {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        let reexported = path.leading_colon.is_some()
            && path.segments.len() >= 2
            && path.segments[0].ident == "hookgen_runtime"
            && {
                let second = path.segments[1].ident.to_string();
                REEXPORTED_ITEMS.contains(&second.as_str())
                    || REEXPORTED_MODULES.iter().any(|(name, ..)| *name == second)
            };
        if reexported {
            path.leading_colon = None;
            let first = &mut path.segments[0].ident;
            *first = Ident::new("crate", first.span());
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// A prelude item emitted code names unqualified, and the `std` module that defines it.
type PreludeItem = (&'static str, &'static str);

const PRELUDE: &[PreludeItem] = &[
    ("Option", "option"),
    ("Result", "result"),
    ("String", "string"),
    ("Vec", "vec"),
    ("Box", "boxed"),
    ("Send", "marker"),
    ("Sync", "marker"),
    ("Into", "convert"),
];

/// Whether a spec type named `name` would shadow a prelude item the module uses.
fn is_prelude(name: &str) -> bool {
    PRELUDE.iter().any(|(item, _)| *item == name)
}

/// A reference to the spec's type `name`: `self::Option` where the name is also a
/// prelude item, so that [`QualifyPrelude`] can tell it from the prelude's.
fn type_path(name: &str) -> TokenStream {
    let ident = ident(name);
    if is_prelude(name) {
        quote! { self::#ident }
    } else {
        quote! { #ident }
    }
}

/// Writes the prelude items a spec type shadows by their full path (`Option<T>` →
/// `::std::option::Option<T>`), for a module whose spec has a type of that name.
/// References to the spec's own type are `self::Option` ([`type_path`]) and stay.
struct QualifyPrelude<'a>(&'a [&'static PreludeItem]);

impl VisitMut for QualifyPrelude<'_> {
    fn visit_path_mut(&mut self, path: &mut syn::Path) {
        if path.leading_colon.is_none() {
            let first = path.segments.first().map(|s| s.ident.to_string());
            if let Some((_, module)) = self
                .0
                .iter()
                .find(|(item, _)| first.as_deref() == Some(*item))
            {
                let span = path.segments[0].ident.span();
                let mut full: syn::punctuated::Punctuated<syn::PathSegment, syn::Token![::]> =
                    [Ident::new("std", span), Ident::new(module, span)]
                        .into_iter()
                        .map(syn::PathSegment::from)
                        .collect();
                full.extend(std::mem::take(&mut path.segments));
                path.segments = full;
                path.leading_colon = Some(Default::default());
            }
        }
        syn::visit_mut::visit_path_mut(self, path);
    }
}

/// The formatted source of one spec module (without its `@generated` header).
pub fn spec_module(spec: &ir::Spec) -> String {
    spec_module_with(spec, Options::default())
}

/// [`spec_module`] with the receiver and sender emitted as `options` say.
pub fn spec_module_with(spec: &ir::Spec, options: Options) -> String {
    let module = Module::new(spec, options);
    let parts: Vec<String> = module.parts().into_iter().map(|p| module.emit(p)).collect();
    join_parts(&parts)
}

/// One spec module being emitted.
pub struct Module<'a> {
    spec: &'a ir::Spec,
    options: Options,
    /// The prelude items the spec's types shadow (usually none).
    shadowed: Vec<&'static PreludeItem>,
}

/// One piece of a spec module, emitted and formatted on its own ([`Module::emit`]) so
/// that the pieces of every module can be spread over threads ([`crate::generate`]
/// does); joined in [`Module::parts`]'s order by [`join_parts`], they are the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The module's docs and lint attributes.
    Header,
    /// One payload type.
    Type(ir::TypeId),
    /// The `Message` enum, its table, `decode` and the routing table.
    Messages,
    /// The signature and delivery tables, the receiver and the sender.
    Delivery,
}

impl<'a> Module<'a> {
    /// The module of `spec`, with the receiver and sender emitted as `options` say.
    pub fn new(spec: &'a ir::Spec, options: Options) -> Self {
        let shadowed = PRELUDE
            .iter()
            .filter(|(item, _)| spec.types.types.values().any(|def| def.name == *item))
            .collect();
        Self {
            spec,
            options,
            shadowed,
        }
    }

    /// Every part of the module, in the order a reader needs them: what arrives, how it
    /// is told apart and where, how it is signed and delivered, then the receiver and
    /// sender.
    pub fn parts(&self) -> Vec<Part> {
        // Sorted by Rust name so output never depends on discovery order.
        let mut types: Vec<(&str, ir::TypeId)> = self
            .spec
            .types
            .types
            .iter()
            .map(|(id, def)| (def.name.as_str(), *id))
            .collect();
        types.sort_unstable();
        let types = types.into_iter().map(|(_, id)| Part::Type(id));
        std::iter::once(Part::Header)
            .chain(types)
            .chain([Part::Messages, Part::Delivery])
            .collect()
    }

    /// The formatted source of `part`.
    pub fn emit(&self, part: Part) -> String {
        let spec = self.spec;
        let tokens = match part {
            Part::Header => module_header(spec),
            Part::Type(id) => spec.types.get(id).map_or_else(TokenStream::new, |def| {
                let def_tokens = type_def(spec, def, self);
                let reader = headers_reader(spec, id);
                quote! { #def_tokens #reader }
            }),
            Part::Messages => {
                let message = message_enum(spec);
                let messages = message_table(spec);
                let decoding = decoding(spec);
                let routing = routing(spec);
                quote! { #message #messages #decoding #routing }
            }
            Part::Delivery => {
                let signature = signature(spec);
                let delivery = delivery(spec);
                let receiver = receiver(spec, self.options);
                let testing = testing(spec, self.options);
                quote! { #signature #delivery #receiver #testing }
            }
        };
        let mut file = parse(tokens);
        if self.options.in_generated_crate {
            ThroughReexports.visit_file_mut(&mut file);
        }
        if !self.shadowed.is_empty() {
            QualifyPrelude(&self.shadowed).visit_file_mut(&mut file);
        }
        unparse(file)
    }

    /// The attribute deriving `schemars::JsonSchema`, as [`Options::schemas`] says.
    fn schema_derive(&self) -> TokenStream {
        self.options
            .schemas
            .wrap("schemars", quote! { derive(::schemars::JsonSchema) })
    }

    /// `path` (starting with a prelude item, as in an attribute string) as this module
    /// must write it.
    fn prelude_text(&self, path: &str) -> String {
        let first = path.split("::").next().unwrap_or(path);
        match self.shadowed.iter().find(|(item, _)| *item == first) {
            Some((_, module)) => format!("::std::{module}::{path}"),
            None => path.to_owned(),
        }
    }
}

/// The module source from its parts' sources, in [`Module::parts`]'s order.
pub fn join_parts(parts: &[String]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The formatted source of the crate root declaring `modules`.
///
/// The `mod` items carry no doc comment: rustdoc joins an item's outer docs with the
/// module file's inner docs into one Markdown text, in which a fence left open by one
/// could close in the other. Each module documents itself, in one piece.
pub fn crate_root(title: &str, modules: &[String]) -> String {
    let mods = modules.iter().map(|module| {
        let feature = crate::emit::text::module_feature(module);
        let ident = ident(module);
        quote! { #[cfg(feature = #feature)] #[rustfmt::skip] pub mod #ident; }
    });
    let doc = inner_docs(&format!(
        "{title}\n\nOne module per spec; the shared runtime is re-exported at the root."
    ));
    let items = REEXPORTED_ITEMS.iter().map(|item| ident(item));
    let modules = REEXPORTED_MODULES.iter().map(|(name, feature, doc)| {
        let name = ident(name);
        let doc = docs(doc);
        let gate = feature.map(|feature| quote! { #[cfg(feature = #feature)] });
        quote! { #doc #gate pub use ::hookgen_runtime::#name; }
    });
    format(quote! {
        #doc
        #![forbid(unsafe_code)]
        #[rustfmt::skip]
        pub use ::hookgen_runtime::{ #(#items),* };
        #(#modules)*
        #(#mods)*
    })
}

/// Formats a file with prettyplease, one blank line between top-level items.
fn format(tokens: TokenStream) -> String {
    unparse(parse(tokens))
}

/// `tokens` as a syntax tree. Unreachable failure for tokens built here; the error is
/// kept as a `compile_error!` so a bug is visible in the output, not a panic.
fn parse(tokens: TokenStream) -> syn::File {
    syn::parse2::<syn::File>(tokens).unwrap_or_else(|e| {
        let message = e.to_string();
        syn::parse_quote! { compile_error!(#message); }
    })
}

/// `file` pretty-printed, with a blank line between items.
fn unparse(file: syn::File) -> String {
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

fn module_header(spec: &ir::Spec) -> TokenStream {
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
    quote! {
        #module_doc
        #![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
        #![allow(clippy::doc_lazy_continuation, clippy::doc_overindented_list_items, clippy::large_enum_variant)]
    }
}

/// The typed handler trait and the axum router of a spec (feature `axum`); only for
/// specs that declare a signature scheme, since the router verifies every delivery.
fn receiver(spec: &ir::Spec, options: Options) -> TokenStream {
    if spec.signature.is_none() {
        return quote! {};
    }
    let tower = options.receiver.attribute("tower");
    let axum = options.receiver.attribute("axum");
    let client = options.sender.attribute("client");
    // The replay scope: two receivers of different specs sharing a guard never share keys.
    let spec_name = proc_macro2::Literal::string(&spec.module);
    let mut scope = crate::naming::NameScope::with_reserved(&["unknown", "undecodable", "router"]);
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
        let payload = variant_payload(spec, m);
        // The summary's own full stop ends the sentence (never "successfully..").
        let summary = m.summary.trim_end().trim_end_matches('.');
        let doc = docs(&format!(
            "Handles {}{}. Accepts it unless overridden.",
            escape::code(&m.key),
            if summary.is_empty() { String::new() } else { format!(": {summary}") }
        ));
        quote! {
            #doc
            fn #method(
                &self,
                delivery: &::hookgen_runtime::receiver::DeliveryContext,
                payload: #payload,
            ) -> impl ::std::future::Future<Output = Result<(), ::hookgen_runtime::receiver::HandlerError>> + Send {
                let _ = (delivery, payload);
                async { Ok(()) }
            }
        }
    });
    let arms = methods.iter().map(|(method, m)| {
        let variant = ident(&m.variant);
        // Called through the trait: a method named like a method of a trait in scope
        // (`into`, `try_into`, `clone`, `eq`…) would otherwise resolve to that one.
        quote! { Ok(Message::#variant(payload)) => <H as Handler>::#method(&self.0, &delivery, payload).await, }
    });
    quote! {
        /// A typed webhook handler: one method per message of the spec, plus unknown events
        /// and verified deliveries that do not decode. Each method gets the delivery's
        /// context (route, headers, id, time, attempt, raw body) and accepts its message
        /// unless overridden; an `Err` makes the receiver answer 500 so the sender retries.
        #tower
        #[allow(clippy::wrong_self_convention)] // method names come from the spec (`into_iterator`)
        pub trait Handler: Send + Sync + 'static {
            #(#declarations)*

            /// Handles an event the spec does not list. Accepts it unless overridden.
            fn unknown(
                &self,
                delivery: &::hookgen_runtime::receiver::DeliveryContext,
                message: ::hookgen_runtime::UnknownMessage,
            ) -> impl ::std::future::Future<Output = Result<(), ::hookgen_runtime::receiver::HandlerError>> + Send {
                let _ = (delivery, message);
                async { Ok(()) }
            }

            /// Handles a verified delivery whose body does not fit the message its channel,
            /// event header and discriminator name (`error.message()` names it,
            /// `error.path()` the value that did not fit; `delivery.body()` is the raw
            /// body). Unless overridden it is refused: the receiver answers 400 with the
            /// reason and logs it, so the provider's delivery log shows it for a
            /// redelivery (in queue mode it is tried again, then kept as a dead letter).
            fn undecodable(
                &self,
                delivery: &::hookgen_runtime::receiver::DeliveryContext,
                error: ::hookgen_runtime::DecodeError,
            ) -> impl ::std::future::Future<Output = Result<(), ::hookgen_runtime::receiver::HandlerError>> + Send {
                let _ = delivery;
                async move { Err(::hookgen_runtime::receiver::Undecodable(error).into()) }
            }
        }

        #tower
        struct Dispatcher<H>(H);

        #tower
        impl<H: Handler> ::hookgen_runtime::__private::Dispatch<Message> for Dispatcher<H> {
            fn dispatch(
                &self,
                delivery: ::hookgen_runtime::receiver::DeliveryContext,
                message: Result<Message, ::hookgen_runtime::DecodeError>,
            ) -> ::hookgen_runtime::__private::HandlerFuture<'_> {
                Box::pin(async move {
                    match message {
                        #(#arms)*
                        Ok(Message::#unknown(message)) => <H as Handler>::unknown(&self.0, &delivery, message).await,
                        Err(error) => <H as Handler>::undecodable(&self.0, &delivery, error).await,
                    }
                })
            }
        }

        /// A sender that signs with [`SIGNATURE`] and retries on the spec's delivery rules
        /// ([`DELIVERY`]), or on `hookgen_runtime::sender::RetryPolicy::default()` without them.
        /// Refused for an empty secret, or one not in the scheme's format.
        #client
        pub fn sender(secret: impl Into<Vec<u8>>) -> Result<::hookgen_runtime::sender::Sender, ::hookgen_runtime::SignatureError> {
            let policy = match DELIVERY {
                Some(delivery) => ::hookgen_runtime::sender::RetryPolicy::from_delivery(&delivery),
                None => ::hookgen_runtime::sender::RetryPolicy::default(),
            };
            ::hookgen_runtime::sender::Sender::new(SIGNATURE, secret, policy)
        }

        /// The receiver of this spec as a tower service (for hyper, axum or any tower
        /// server): it verifies each delivery with [`SIGNATURE`], decodes it, checks replays
        /// when `config` has a guard, and calls `handler` (see `hookgen_runtime::receiver`
        /// for the status codes). Refused for a configuration that cannot verify anything
        /// (no secret, an empty one, one not in the scheme's format).
        #tower
        pub fn service<H: Handler>(
            handler: H,
            config: ::hookgen_runtime::receiver::ReceiverConfig,
        ) -> Result<
            ::hookgen_runtime::receiver::Webhooks<Message, ::hookgen_runtime::receiver::HandlerService<Message>>,
            ::hookgen_runtime::SignatureError,
        > {
            let dispatch = ::hookgen_runtime::receiver::HandlerService::new(::std::sync::Arc::new(Dispatcher(handler)));
            Ok(::hookgen_runtime::receiver::Layer::layer(&layer(config)?, dispatch))
        }

        /// The receiver of this spec as a tower layer over a handler service of
        /// `Delivery<Message>`s (to put tower middleware around the handler). Refused as
        /// [`service`] is.
        #tower
        pub fn layer(
            config: ::hookgen_runtime::receiver::ReceiverConfig,
        ) -> Result<::hookgen_runtime::receiver::WebhooksLayer<Message>, ::hookgen_runtime::SignatureError> {
            let binding = ::hookgen_runtime::__private::SpecBinding { spec: #spec_name, scheme: SIGNATURE, route, decode_channel, message_name: Message::name };
            ::hookgen_runtime::receiver::WebhooksLayer::new(binding, config)
        }

        /// The receiver of this spec in queue mode: each delivery that passes [`service`]'s
        /// checks is stored in `queue` and answered 204 once stored (503 with `Retry-After`
        /// when the queue is full); [`process`] hands stored deliveries to the handler.
        #tower
        pub fn queued(
            queue: ::std::sync::Arc<dyn ::hookgen_runtime::queue::DeliveryQueue>,
            config: ::hookgen_runtime::receiver::ReceiverConfig,
        ) -> Result<
            ::hookgen_runtime::receiver::Webhooks<Message, ::hookgen_runtime::queue::Enqueue>,
            ::hookgen_runtime::SignatureError,
        > {
            let enqueue = ::hookgen_runtime::queue::Enqueue::new(queue, ::std::time::Duration::from_secs(5));
            Ok(::hookgen_runtime::receiver::Layer::layer(&layer(config)?, enqueue))
        }

        /// Hands the deliveries [`queued`] stored in `queue` to `handler`, one at a time,
        /// until the queue is closed and drained; a failed delivery is given back to the
        /// queue, and a queue that cannot answer is waited for. Counts what it did in `stats`.
        #tower
        pub async fn process<H: Handler>(
            queue: ::std::sync::Arc<dyn ::hookgen_runtime::queue::DeliveryQueue>,
            handler: H,
            stats: ::std::sync::Arc<::hookgen_runtime::queue::WorkerStats>,
        ) {
            let binding = ::hookgen_runtime::__private::SpecBinding { spec: #spec_name, scheme: SIGNATURE, route, decode_channel, message_name: Message::name };
            ::hookgen_runtime::__private::process(queue, binding, ::std::sync::Arc::new(Dispatcher(handler)), stats).await
        }

        /// An axum router serving every channel of this spec at its address: [`service`]
        /// as the router's fallback (mount it with `Router::nest` for a prefix).
        #axum
        pub fn router<H: Handler>(handler: H, config: ::hookgen_runtime::receiver::ReceiverConfig) -> Result<::hookgen_runtime::receiver::axum::Router, ::hookgen_runtime::SignatureError> {
            Ok(::hookgen_runtime::receiver::axum::Router::new().fallback_service(service(handler, config)?))
        }
    }
}

/// `test_signer()` and `Message::signed`/`broken` (feature `testing`): deliveries signed
/// as the provider signs them, for a service's own tests; only for specs with a scheme.
fn testing(spec: &ir::Spec, options: Options) -> TokenStream {
    if spec.signature.is_none() {
        return quote! {};
    }
    let testing = options.testing.attribute("testing");
    let items = quote! {
        /// Signs deliveries of this spec as [`SIGNATURE`] says, with `secret`, for tests: any
        /// message ([`Message::signed`]), any example of [`MESSAGES`], deliberately broken
        /// ones ([`Message::broken`]), posted to the channel of [`CHANNELS`] that carries them.
        #testing
        pub fn test_signer(secret: impl Into<Vec<u8>>) -> ::hookgen_runtime::testing::TestSigner {
            ::hookgen_runtime::testing::TestSigner::new(SIGNATURE, CHANNELS, MESSAGES, secret)
        }

        #testing
        impl Message {
            /// This message as the provider sends it: serialized once, signed by `signer`,
            /// posted to the channel that carries it.
            pub fn signed(
                &self,
                signer: &::hookgen_runtime::testing::TestSigner,
            ) -> Result<::hookgen_runtime::testing::SignedDelivery, ::hookgen_runtime::SignatureError> {
                signer.sign(self.name(), self)
            }

            /// [`Message::signed`] with one thing wrong, which a receiver must refuse;
            /// `None` when the scheme cannot be broken that way.
            pub fn broken(
                &self,
                signer: &::hookgen_runtime::testing::TestSigner,
                breakage: ::hookgen_runtime::testing::Breakage,
            ) -> Option<Result<::hookgen_runtime::testing::SignedDelivery, ::hookgen_runtime::SignatureError>> {
                signer.broken(self.name(), self, breakage)
            }
        }
    };
    if options.testing == Gate::Runtime {
        quote! { ::hookgen_runtime::__private::testing_items! { #items } }
    } else {
        items
    }
}

/// A type as short text for docs and tables (`Vec<FlagEvaluation>`).
pub fn type_text(spec: &ir::Spec, t: &Ty) -> String {
    ty(spec, t)
        .to_string()
        .replace(' ', "")
        .replace("::std::collections::", "")
        .replace("self::", "")
        .replace("::serde_json::", "serde_json::")
}

fn ty(spec: &ir::Spec, t: &Ty) -> TokenStream {
    match t {
        Ty::String => quote! { String },
        Ty::Bool => quote! { bool },
        Ty::Integer(IntWidth::I32) => quote! { i32 },
        Ty::Integer(IntWidth::I64) => quote! { i64 },
        Ty::Integer(IntWidth::U64) => quote! { u64 },
        Ty::Number => quote! { ::serde_json::Number },
        Ty::Null => quote! { () },
        Ty::Json => quote! { ::serde_json::Value },
        Ty::JsonObject => quote! { ::serde_json::Map<String, ::serde_json::Value> },
        Ty::Array(item) => {
            let item = ty(spec, item);
            quote! { Vec<#item> }
        }
        Ty::Map(value) => {
            let value = ty(spec, value);
            quote! { ::std::collections::BTreeMap<String, #value> }
        }
        Ty::Named(id) => type_path(spec.types.name(*id)),
        Ty::Boxed(inner) => {
            let inner = ty(spec, inner);
            quote! { Box<#inner> }
        }
    }
}

/// The payload type a `Message` variant (and a `Handler` method) holds: the payload type,
/// boxed when it is large. GitHub's payloads hold their issue, repository and user objects
/// inline (about 20 KB a message): unboxed, every `Message` would be that size, and
/// decoding would put one on the stack per variant, overflowing a thread's stack.
fn variant_payload(spec: &ir::Spec, m: &ir::Message) -> TokenStream {
    let payload = ty(spec, &m.payload);
    if spec
        .types
        .estimated_size(&m.payload, &mut Default::default())
        > MAX_INLINE_PAYLOAD
    {
        quote! { Box<#payload> }
    } else {
        payload
    }
}

/// The largest payload a `Message` variant holds inline, in (estimated) bytes: a
/// kilobyte, far above the payloads of most providers (which stay unboxed, one allocation
/// fewer per delivery) and far below GitHub's.
const MAX_INLINE_PAYLOAD: usize = 1024;

/// `from_request` for a struct of declared request headers (an OpenAPI webhook's header
/// parameters); nothing for other types.
fn headers_reader(spec: &ir::Spec, id: ir::TypeId) -> TokenStream {
    let Some((_, names)) = spec
        .messages
        .iter()
        .find_map(|m| m.headers.as_ref().filter(|(ty, _)| *ty == Ty::Named(id)))
    else {
        return TokenStream::new();
    };
    let name = ident(spec.types.name(id));
    let names = names.iter().map(|n| lit(n));
    quote! {
        impl #name {
            /// Reads these headers from a request (names matched ignoring ASCII case); a
            /// required one that is absent, or not text, is an error.
            pub fn from_request(
                headers: &dyn ::hookgen_runtime::Headers,
            ) -> Result<Self, ::hookgen_runtime::DecodeError> {
                ::hookgen_runtime::__private::decode_headers(&[#(#names),*], headers)
            }
        }
    }
}

fn type_def(spec: &ir::Spec, def: &TypeDef, module: &Module) -> TokenStream {
    let name = ident(&def.name);
    let schema = module.schema_derive();
    let doc = docs(&def.doc.join("\n"));
    match &def.kind {
        TypeKind::Struct {
            fields,
            additional,
            deny_unknown,
        } => {
            let deny = deny_unknown.then(|| quote! { #[serde(deny_unknown_fields)] });
            let fields = fields.iter().map(|f| field(spec, f, module));
            let additional = additional.as_ref().map(|a| {
                let a = ty(spec, a);
                quote! {
                    /// Properties the schema does not name, kept as received.
                    #[serde(flatten)]
                    pub additional_properties: ::std::collections::BTreeMap<String, #a>,
                }
            });
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #schema
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
                #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
                #schema
                #[serde(untagged)]
                pub enum #name {
                    #(#variants)*
                }
            }
        }
        TypeKind::TaggedUnion { field, variants } => {
            tagged_union(spec, def, &name, field, variants, &schema)
        }
        TypeKind::Alias(target) => {
            let target = ty(spec, target);
            quote! {
                #doc
                pub type #name = #target;
            }
        }
        TypeKind::StringEnum { variants, fallback } => {
            string_enum(def, &name, variants, fallback, module)
        }
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
    schema: &TokenStream,
) -> TokenStream {
    let doc = docs(&def.doc.join("\n"));
    let path = type_path(&def.name);
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
            #( Some(#tags) )|* => ::serde_json::from_value(value).map(Self::#v_name),
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
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #schema
        #[serde(untagged)]
        pub enum #name {
            #(#decls)*
        }

        impl<'de> ::serde::Deserialize<'de> for #path {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                let result = match value.get(#field_lit).and_then(::serde_json::Value::as_str) {
                    #(#arms)*
                    other => {
                        return Err(<D::Error as ::serde::de::Error>::custom(
                            ::std::format_args!("expected {}, found {:?}", #expected, other),
                        ))
                    }
                };
                result.map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    }
}

fn field(spec: &ir::Spec, f: &Field, module: &Module) -> TokenStream {
    let is_none = module.prelude_text("Option::is_none");
    let doc = docs(&f.doc.join("\n"));
    let name = ident(&f.ident);
    let inner = ty(spec, &f.ty);
    let rename = (unraw(&f.ident) != f.wire).then(|| {
        let wire = lit(&f.wire);
        quote! { #[serde(rename = #wire)] }
    });
    let (field_ty, attrs) = match (f.required, f.nullable) {
        (true, false) => (inner, quote! {}),
        (true, true) => (quote! { Option<#inner> }, quote! {}),
        (false, false) => (
            quote! { Option<#inner> },
            quote! { #[serde(default, skip_serializing_if = #is_none)] },
        ),
        (false, true) => {
            let schema_with =
                lit(&module.prelude_text(&quote! { Option<#inner> }.to_string().replace(' ', "")));
            let schema_with = module
                .options
                .schemas
                .wrap("schemars", quote! { schemars(with = #schema_with) });
            (
                quote! { Option<Option<#inner>> },
                quote! {
                    #[serde(
                        default,
                        skip_serializing_if = #is_none,
                        deserialize_with = "::hookgen_runtime::__private::double_option"
                    )]
                    #schema_with
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
    module: &Module,
) -> TokenStream {
    let schema = module.options.schemas.attribute("schemars");
    let schema = (module.options.schemas != Gate::Never).then(|| {
        quote! {
            #schema
            ::hookgen_runtime::open_enum_schema!(#name);
        }
    });
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
            #fallback(String),
        }

        ::hookgen_runtime::open_enum!(#name { #( #idents = #wires ),* } else #fallback);

        #schema
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
        let payload = variant_payload(spec, m);
        quote! { #doc #name(#payload), }
    });
    let name_arms = spec.messages.iter().map(|m| {
        let name = ident(&m.variant);
        let key = lit(&m.key);
        quote! { Self::#name(_) => Some(#key), }
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
            /// A well-formed payload of an event the spec does not list (its discriminator
            /// value, or the event its request's event header names).
            #unknown(::hookgen_runtime::UnknownMessage),
        }

        impl Message {
            /// The message's name in the spec (`None` for an unknown event).
            pub fn name(&self) -> Option<&'static str> {
                match self {
                    #(#name_arms)*
                    Self::#unknown(_) => None,
                }
            }

            /// What the spec says about this message (`None` for an unknown event).
            pub fn info(&self) -> Option<&'static ::hookgen_runtime::MessageInfo> {
                match self {
                    #(#info_arms)*
                    Self::#unknown(_) => None,
                }
            }
        }
    }
}

fn message_table(spec: &ir::Spec) -> TokenStream {
    let infos = spec.messages.iter().enumerate().map(|(index, m)| {
        let name = lit(&m.key);
        let headers = spec
            .event_header_of(index)
            .map(|(header, event)| {
                let (header, event) = (lit(header), lit(event));
                quote! { (#header, #event) }
            })
            .into_iter();
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
                headers: &[#(#headers),*],
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
            quote! { Some(#text) }
        }
        None => quote! { None },
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
            let example = lit(&p.example);
            let location = option_lit(p.location.as_deref());
            quote! {
                ::hookgen_runtime::Parameter {
                    name: #name,
                    description: #description,
                    allowed: &[#(#allowed),*],
                    default: #default,
                    example: #example,
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
                        Some(::hookgen_runtime::Reply {
                            address: #address,
                            location: #location,
                            messages: &[#(#messages),*],
                        })
                    }
                }
                None => quote! { None },
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
        let event_header = option_lit(c.event_header.as_deref());
        let bindings = present_lit(&c.bindings);
        quote! {
            ::hookgen_runtime::Channel {
                address: #address,
                description: #description,
                parameters: &[#(#params)*],
                operations: &[#(#ops)*],
                event_header: #event_header,
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
        pub fn route(address: &str) -> Option<::hookgen_runtime::Route> {
            ROUTER.route(address)
        }
    }
}

fn decoding(spec: &ir::Spec) -> TokenStream {
    let arms = spec.channels.iter().enumerate().map(|(index, c)| {
        let body = channel_decoder(spec, c);
        quote! { #index => Ok(#body), }
    });
    let unknown_index = quote! {
        Err(::hookgen_runtime::DecodeError::UnknownChannel(
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
    let by_event = spec
        .channels
        .iter()
        .any(|c| matches!(c.decode, ir::DecodePlan::ByEvent { .. }));
    let headers = if by_event {
        format_ident!("headers")
    } else {
        format_ident!("_headers")
    };
    quote! {
        /// Decodes a body received at `address` (matched with [`route`]) into its message.
        /// On a channel that names its events in a request header (its `event_header`
        /// in [`CHANNELS`]), use [`decode_request`]: without headers the body is refused.
        pub fn decode(address: &str, body: &[u8]) -> Result<Message, ::hookgen_runtime::DecodeError> {
            decode_request(address, &(), body)
        }

        /// Decodes a request received at `address` (matched with [`route`]) into its
        /// message: its body, and the header that names the event on a channel that has one.
        pub fn decode_request(
            address: &str,
            headers: &dyn ::hookgen_runtime::Headers,
            body: &[u8],
        ) -> Result<Message, ::hookgen_runtime::DecodeError> {
            let route = route(address)
                .ok_or_else(|| ::hookgen_runtime::DecodeError::UnknownChannel(address.to_owned()))?;
            decode_at(route.index, headers, body)
        }

        /// Decodes a request received on the channel whose address template is `channel`.
        pub fn decode_channel(
            channel: &str,
            headers: &dyn ::hookgen_runtime::Headers,
            body: &[u8],
        ) -> Result<Message, ::hookgen_runtime::DecodeError> {
            let index = ROUTER.position(channel)
                .ok_or_else(|| ::hookgen_runtime::DecodeError::UnknownChannel(channel.to_owned()))?;
            decode_at(index, headers, body)
        }

        /// Decodes a request of the channel at `index` in [`CHANNELS`].
        fn decode_at(
            index: usize,
            #headers: &dyn ::hookgen_runtime::Headers,
            #body: &[u8],
        ) -> Result<Message, ::hookgen_runtime::DecodeError> {
            #dispatch
        }
    }
}

/// The expression that decodes a request of channel `c` into a `Message`, as its
/// [`ir::DecodePlan`] says.
fn channel_decoder(spec: &ir::Spec, c: &ir::Channel) -> TokenStream {
    let address = lit(c.address.as_deref().unwrap_or_default());
    plan_decoder(spec, &c.decode, &address, &quote! { None })
}

/// The expression that reads the event `header` and decodes the body by the plan of
/// that event (`events`), or keeps it as an unknown event.
fn event_decoder(
    spec: &ir::Spec,
    header: &str,
    events: &[(String, ir::DecodePlan)],
    address: &proc_macro2::Literal,
) -> TokenStream {
    let unknown = ident(&spec.unknown_variant);
    let header = lit(header);
    let arms = events.iter().map(|(event, plan)| {
        let decode = plan_decoder(spec, plan, address, &quote! { event });
        let event = lit(event);
        quote! { Some(#event) => #decode, }
    });
    quote! {{
        let event = headers.header(#header);
        match event {
            #(#arms)*
            Some(_) => Message::#unknown(
                ::hookgen_runtime::__private::unknown_message(#address, event, None, body)?,
            ),
            None => {
                return Err(::hookgen_runtime::DecodeError::MissingEventHeader { header: #header })
            }
        }
    }}
}

/// The expression that decodes a body into a `Message` as `plan` says, on the channel
/// whose address is the literal `address`; `event` is an `Option<&str>` expression: what
/// the event header named, kept in an unknown message.
fn plan_decoder(
    spec: &ir::Spec,
    plan: &ir::DecodePlan,
    address: &proc_macro2::Literal,
    event: &TokenStream,
) -> TokenStream {
    let unknown = ident(&spec.unknown_variant);
    let (field, values, absent, unlisted) = match plan {
        ir::DecodePlan::KeepUnknown => {
            return quote! {
                Message::#unknown(::hookgen_runtime::__private::unknown_message(#address, #event, None, body)?)
            };
        }
        ir::DecodePlan::ByEvent { header, events } => {
            return event_decoder(spec, header, events, address);
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
            #event,
            Some((#field, tag)),
            body,
        )?)
    };
    let known = values.iter().map(|(value, claimants)| {
        let value = lit(value);
        let decode = decode_candidates(spec, claimants);
        quote! { Some(#value) => #decode?, }
    });
    let absent = if absent.is_empty() {
        quote! {
            return Err(::hookgen_runtime::DecodeError::MissingDiscriminator { field: #field })
        }
    } else {
        let decode = decode_candidates(spec, absent);
        quote! { #decode? }
    };
    let unlisted = if unlisted.is_empty() {
        keep_unknown.clone()
    } else {
        let decode = decode_candidates(spec, unlisted);
        quote! {
            match #decode {
                Err(
                    ::hookgen_runtime::DecodeError::NoMatch { .. } | ::hookgen_runtime::DecodeError::InvalidPayload { .. },
                ) => #keep_unknown,
                other => other?,
            }
        }
    };
    let by_scan = quote! {{
        let tag = ::hookgen_runtime::__private::peek_discriminator(body, #field)?;
        match tag.as_deref() {
            #(#known)*
            None => #absent,
            Some(_) => #unlisted,
        }
    }};
    let Some(first) = payload_first(spec, plan) else {
        return by_scan;
    };
    // One message for every listed value, the discriminator one of its fields: decode it
    // first and read the discriminator from it, instead of scanning the body for a field
    // that may come after the whole payload. The scan still decides when the body is not
    // that message (which error, or which unknown event).
    let PayloadFirst {
        message,
        payload,
        tag,
    } = first;
    let m = &spec.messages[message];
    let variant = ident(&m.variant);
    let numbers = numbers(spec, &m.payload);
    let values = values.iter().map(|(value, _)| lit(value));
    let absent = if absent.is_empty() {
        quote! { return Err(::hookgen_runtime::DecodeError::MissingDiscriminator { field: #field }) }
    } else {
        quote! { Message::#variant(payload) }
    };
    quote! {
        match ::hookgen_runtime::__private::try_payload::<#payload>(body, #numbers) {
            Some(payload) => match #tag {
                #( Some(#values) )|* => Message::#variant(payload),
                None => #absent,
                Some(tag) => {
                    let tag = Some(::std::borrow::Cow::Borrowed(tag));
                    #keep_unknown
                }
            },
            None => #by_scan,
        }
    }
}

/// Whether decoding a `payload` scans for numbers Rust cannot keep exactly
/// (`Numbers::Check`): only when the type holds an `f64` or a JSON value somewhere, since
/// serde itself refuses any number an integer field cannot hold.
fn numbers(spec: &ir::Spec, payload: &Ty) -> TokenStream {
    if spec.types.holds_inexact_numbers(payload) {
        quote! { ::hookgen_runtime::__private::Numbers::Check }
    } else {
        quote! { ::hookgen_runtime::__private::Numbers::TypeRefuses }
    }
}

/// How a channel decodes payload first ([`payload_first`]).
struct PayloadFirst {
    /// The one message of every listed value.
    message: usize,
    /// Its payload type.
    payload: TokenStream,
    /// An `Option<&str>` expression: the discriminator read from `payload`.
    tag: TokenStream,
}

/// Whether channel `c` can decode payload first: its plan is by a field, every listed
/// value names the same single message, unlisted values are unknown events, and the
/// field is a top-level string or string-enum field of that message's payload struct.
fn payload_first(spec: &ir::Spec, plan: &ir::DecodePlan) -> Option<PayloadFirst> {
    let ir::DecodePlan::ByField {
        field,
        values,
        absent,
        unlisted,
    } = plan
    else {
        return None;
    };
    let message = match values.first() {
        Some((_, claimants)) if claimants.len() == 1 => claimants[0],
        _ => return None,
    };
    let one = |claimants: &[usize]| claimants == [message];
    if !values.iter().all(|(_, claimants)| one(claimants))
        || !unlisted.is_empty()
        || !(absent.is_empty() || one(absent))
    {
        return None;
    }
    let Ty::Named(id) = &spec.messages[message].payload else {
        return None;
    };
    let TypeKind::Struct { fields, .. } = &spec.types.get(*id)?.kind else {
        return None;
    };
    let f = fields.iter().find(|f| f.wire == *field && !f.nullable)?;
    let is_string_enum = |t: &Ty| match t {
        Ty::Named(id) => matches!(
            spec.types.get(*id).map(|d| &d.kind),
            Some(TypeKind::StringEnum { .. })
        ),
        _ => false,
    };
    let name = ident(&f.ident);
    let tag = match (&f.ty, f.required) {
        (Ty::String, true) => quote! { Some(payload.#name.as_str()) },
        (Ty::String, false) => quote! { payload.#name.as_deref() },
        (t, true) if is_string_enum(t) => quote! { Some(payload.#name.as_str()) },
        (t, false) if is_string_enum(t) => quote! { payload.#name.as_ref().map(|v| v.as_str()) },
        _ => return None,
    };
    Some(PayloadFirst {
        message,
        payload: variant_payload(spec, &spec.messages[message]),
        tag,
    })
}

/// An expression of type `Result<Message, DecodeError>`: `body` decoded as the one message
/// of `candidates`, or by shape among several.
fn decode_candidates(spec: &ir::Spec, candidates: &[usize]) -> TokenStream {
    let one = |index: usize| {
        let m = &spec.messages[index];
        let variant = ident(&m.variant);
        let key = lit(&m.key);
        let numbers = numbers(spec, &m.payload);
        let decode = quote! {
            ::hookgen_runtime::__private::decode_payload(#key, body, #numbers).map(Message::#variant)
        };
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
    let timestamp_entry = lit(&s.timestamp_entry);
    let algorithm = match s.algorithm {
        ir::SignatureAlgorithm::HmacSha256 => quote! { ::hookgen_runtime::Algorithm::HmacSha256 },
        ir::SignatureAlgorithm::Ed25519 => quote! { ::hookgen_runtime::Algorithm::Ed25519 },
    };
    let encoding = match s.encoding {
        ir::SignatureEncoding::Hex => quote! { ::hookgen_runtime::Encoding::Hex },
        ir::SignatureEncoding::Base64 => quote! { ::hookgen_runtime::Encoding::Base64 },
    };
    let secret_format = match s.secret {
        ir::SecretFormat::Bytes => quote! { ::hookgen_runtime::SecretFormat::Bytes },
        ir::SecretFormat::WhsecBase64 => quote! { ::hookgen_runtime::SecretFormat::WhsecBase64 },
        ir::SecretFormat::Ed25519Base64 => {
            quote! { ::hookgen_runtime::SecretFormat::Ed25519Base64 }
        }
    };
    let parts = s.signed.iter().map(|part| match part {
        ir::SignedPart::Id => quote! { ::hookgen_runtime::SignedPart::Id },
        ir::SignedPart::Timestamp => quote! { ::hookgen_runtime::SignedPart::Timestamp },
        ir::SignedPart::Body => quote! { ::hookgen_runtime::SignedPart::Body },
        ir::SignedPart::Text(text) => {
            let text = lit(text);
            quote! { ::hookgen_runtime::SignedPart::Text(#text) }
        }
    });
    let signed = quote! { &[#(#parts),*] };
    // `sign` and `verify` take the body alone: only for schemes that sign nothing else
    // (a timestamp signed as 0 would never verify).
    let body_alone = s
        .signed
        .iter()
        .all(|part| matches!(part, ir::SignedPart::Body | ir::SignedPart::Text(_)))
        .then(|| {
            quote! {
                /// The signature header value for `body` signed with `secret` (this scheme
                /// signs the body alone). A secret the scheme cannot use yields an empty
                /// value, which every verifier refuses.
                pub fn sign(secret: &[u8], body: &[u8]) -> String {
                    SIGNATURE.sign(secret, body)
                }

                /// Verifies `header_value` over the raw `body` bytes, in constant time.
                pub fn verify(secret: &[u8], header_value: &str, body: &[u8]) -> Result<(), ::hookgen_runtime::SignatureError> {
                    SIGNATURE.verify(secret, header_value, body)
                }
            }
        });
    let feature_check = (s.algorithm == ir::SignatureAlgorithm::Ed25519).then(|| {
        quote! {
            const _: () = assert!(
                ::hookgen_runtime::__private::ED25519,
                "this spec signs with Ed25519: enable the `ed25519` feature of hookgen-runtime"
            );
        }
    });
    let separator = match s.separator {
        Some(c) => quote! { Some(#c) },
        None => quote! { None },
    };
    let tolerance = match s.tolerance_seconds {
        Some(t) => {
            let t = Literal::u64_unsuffixed(t);
            quote! { Some(#t) }
        }
        None => quote! { None },
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
            timestamp_entry: #timestamp_entry,
            separator: #separator,
            tolerance_seconds: #tolerance,
        };

        #feature_check

        /// The HTTP header that carries the signature.
        pub const SIGNATURE_HEADER: &str = SIGNATURE.header;

        #body_alone

        /// Every header a delivery of `body` needs, signed with `secret`: the signature
        /// and, where the scheme has them, a fresh message id and the current timestamp.
        /// What a sender of this spec's webhooks sends.
        pub fn sign_delivery(secret: &[u8], body: &[u8]) -> Result<::hookgen_runtime::SignedHeaders, ::hookgen_runtime::SignatureError> {
            SIGNATURE.sign_now(secret, body)
        }

        /// Verifies a request against any of `secrets` (rotation), with the timestamp checked
        /// against `clock` when the scheme has a tolerance.
        pub fn verify_request(
            secrets: &[&[u8]],
            request: &::hookgen_runtime::SignedRequest<'_>,
            clock: &dyn ::hookgen_runtime::Clock,
        ) -> Result<(), ::hookgen_runtime::SignatureError> {
            SIGNATURE.verify_request(secrets, request, clock)
        }
    }
}

fn delivery(spec: &ir::Spec) -> TokenStream {
    let Some(d) = &spec.delivery else {
        return quote! {
            /// The spec states no delivery rules.
            pub const DELIVERY: Option<::hookgen_runtime::DeliveryPolicy> = None;
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
        pub const DELIVERY: Option<::hookgen_runtime::DeliveryPolicy> =
            Some(::hookgen_runtime::DeliveryPolicy {
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
mod reexport_tests {
    #[test]
    fn spec_modules_never_take_the_name_of_a_reexported_runtime_module() {
        let reexported: Vec<&str> = super::REEXPORTED_MODULES.iter().map(|(n, ..)| *n).collect();
        assert_eq!(reexported, crate::naming::RUNTIME_MODULES);
        for name in reexported {
            assert_eq!(crate::naming::module_name(name), format!("{name}_spec"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_paths_name_the_crate_reexports_and_text_is_left_alone() {
        let tokens = quote! {
            /// Returns `::hookgen_runtime::Route`.
            pub fn route(a: &str) -> Option<::hookgen_runtime::Route> {
                let _ = "::hookgen_runtime::Route";
                let _ = ::hookgen_runtime::__private::peek_discriminator;
                let _: other::hookgen_runtime::Route;
                let _: &'static ::hookgen_runtime::Route;
                let _: &dyn ::hookgen_runtime::Route;
                todo!()
            }
        };
        let mut file = parse(tokens);
        ThroughReexports.visit_file_mut(&mut file);
        let text = unparse(file);
        assert!(text.contains("Option<crate::Route>"), "{text}");
        assert!(text.contains("&'static crate::Route"), "{text}");
        assert!(text.contains("&dyn crate::Route"), "{text}");
        assert!(
            text.contains("\"::hookgen_runtime::Route\""),
            "a literal changed: {text}"
        );
        assert!(
            text.contains("Returns `::hookgen_runtime::Route`."),
            "a doc changed: {text}"
        );
        assert!(text.contains("::hookgen_runtime::__private"), "{text}");
        assert!(text.contains("other::hookgen_runtime::Route"), "{text}");
    }
}
