//! Writes one conformance test per message example of every spec in `specs/` into
//! `OUT_DIR/conformance_cases.rs` (included by `tests/conformance.rs`). Reads the specs
//! through the generator's own pipeline; never writes into the source tree.

use std::path::Path;

use hookgen::__private::ir::{Spec, Ty};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn main() {
    println!("cargo::rerun-if-changed=specs");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=HOOKGEN_CORPUS");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("HOOKGEN_CORPUS")
        .map_or_else(|| root.join("../shared/corpus"), Into::into);
    if !corpus.join("meta").is_dir() {
        println!(
            "cargo::warning=no AsyncAPI corpus at {} (set HOOKGEN_CORPUS): the meta-schema tests will SKIP",
            corpus.display()
        );
    }
    let specs = hookgen::workspace_specs(root).unwrap_or_else(|d| fail(&d));
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut tests = Vec::new();
    let mut properties = Vec::new();
    for file in &specs {
        let document = hookgen::__private::read_checked(file).unwrap_or_else(|d| fail(&d));
        let spec = hookgen::__private::compile(file).unwrap_or_else(|d| fail(&d));
        // The spec as a draft-07 schema, written once and shared by its tests.
        let schema_file = format!("{}.schema.json", spec.module);
        let schema = hookgen::__private::json_schema::validation_document(
            &document.root,
            &document.leniency(),
        );
        let path = Path::new(&out_dir).join(&schema_file);
        std::fs::write(&path, schema.to_string())
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        let document_static = document_static(&spec);
        let shared = quote! {
            #[allow(dead_code)]
            static #document_static: &str = include_str!(concat!(env!("OUT_DIR"), "/", #schema_file));
        };
        tests.push(shared.clone());
        properties.push(shared);
        tests.extend(example_tests(&spec));
        tests.extend(unknown_value_tests(&spec));
        tests.extend(unknown_event_tests(&spec));
        properties.extend(property_tests(&spec, file));
    }
    for (name, items) in [
        ("conformance_cases.rs", tests),
        ("property_cases.rs", properties),
    ] {
        let out = Path::new(&out_dir).join(name);
        let code = quote! { #(#items)* }.to_string();
        std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    }
}

/// Spec modules whose property tests are generated but ignored, and why (run them with
/// `cargo test --test properties -- --ignored`).
const IGNORED_PROPERTIES: &[(&str, &str)] = &[(
    "github",
    "123 of GitHub's 261 pass: the drawer cannot write `uri-template` strings, and allOf merges that override a nullable property, numbers drawn for integer ids and nested unions still differ from the spec's validator (issue 15)",
)];

/// One property test per message with a channel: values drawn from its payload schema.
fn property_tests(spec: &Spec, spec_file: &hookgen::SpecFile) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
    // About 4 096 draws a spec, between 16 and 256 a message: GitHub's 261 messages get
    // 16 each (their schemas are large; the test binary would otherwise take minutes).
    let cases = u32::try_from(4096 / spec.messages.len().max(1))
        .unwrap_or(256)
        .clamp(16, 256);
    let mut tests = Vec::new();
    for (index, message) in spec.messages.iter().enumerate() {
        let Some((channel_index, channel, address)) =
            spec.channels.iter().enumerate().find_map(|(i, c)| {
                Some((
                    i,
                    c,
                    c.sample_address().filter(|_| c.messages.contains(&index))?,
                ))
            })
        else {
            continue;
        };
        let Some(payload) = &message.payload_schema else {
            continue;
        };
        let schema = spec_schema(spec, payload);
        let spec_path = spec_file.path.display().to_string();
        let discriminator = match &channel.discriminator {
            Some(field) if !message.discriminator_values.is_empty() => {
                let values = &message.discriminator_values;
                quote! { Some((#field, &[#(#values),*])) }
            }
            _ => quote! { None },
        };
        let test = format_ident!("{}__{}", spec.module, heck_snake(&message.variant));
        let key = &message.key;
        let headers = event_headers(spec, index);
        let ignore = IGNORED_PROPERTIES
            .iter()
            .find(|(module, _)| *module == spec.module)
            .map(|(_, reason)| quote! { #[ignore = #reason] });
        tests.push(quote! {
            #[test]
            #ignore
            #[allow(non_snake_case)]
            fn #test() {
                ::hookgen_conformance::check_properties(&::hookgen_conformance::PropertyCase {
                    message: #key,
                    address: #address,
                    spec_schema: #schema,
                    discriminator: #discriminator,
                    headers: #headers,
                    decode: ::webhooks::#module::decode_request,
                    message_name: ::webhooks::#module::Message::name,
                    spec: #spec_path,
                    channel: #channel_index,
                    cases: #cases,
                });
            }
        });
    }
    tests
}

fn fail(diagnostics: &hookgen::Diagnostics) -> ! {
    eprintln!("{diagnostics}");
    std::process::exit(1);
}

fn example_tests(spec: &Spec) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
    let mut tests = Vec::new();
    for (index, message) in spec.messages.iter().enumerate() {
        let payload_ty = match &message.payload {
            Ty::Named(id) => {
                let name = format_ident!("{}", spec.types.name(*id));
                quote! { ::webhooks::#module::#name }
            }
            _ => quote! { ::serde_json::Value },
        };
        let address = spec
            .channels
            .iter()
            .filter(|c| c.messages.contains(&index))
            .find_map(hookgen::__private::ir::Channel::sample_address);
        let (Some(address), Some(payload)) = (address, &message.payload_schema) else {
            continue;
        };
        let schema = spec_schema(spec, payload);
        for (n, example) in message.examples.iter().enumerate() {
            let test = format_ident!(
                "{}__{}__example_{}",
                spec.module,
                heck_snake(&message.variant),
                n + 1
            );
            let payload = example.payload.to_string();
            let key = &message.key;
            let headers = event_headers(spec, index);
            tests.push(quote! {
                #[test]
                #[allow(non_snake_case)]
                fn #test() {
                    ::hookgen_conformance::check_example::<#payload_ty, _>(&::hookgen_conformance::Example {
                        message: #key,
                        address: #address,
                        payload: #payload,
                        spec_schema: #schema,
                        headers: #headers,
                        decode: ::webhooks::#module::decode_request,
                        message_name: ::webhooks::#module::Message::name,
                    });
                }
            });
        }
    }
    tests
}

/// For every channel with a discriminator: an example whose discriminator value is
/// replaced by one the spec does not list must decode to `Unknown`, kept whole.
fn unknown_value_tests(spec: &Spec) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
    let mut tests = Vec::new();
    for (n, channel) in spec.channels.iter().enumerate() {
        let Some(field) = &channel.discriminator else {
            continue;
        };
        let example = channel.messages.iter().find_map(|i| {
            let example = spec.messages[*i]
                .examples
                .iter()
                .find(|e| e.payload.is_object())?;
            Some((*i, example))
        });
        let Some((index, example)) = example else {
            continue;
        };
        let headers = event_headers(spec, index);
        let mut payload = example.payload.clone();
        payload[field.as_str()] = serde_json::Value::from("hookgen.unlisted-value");
        let payload = payload.to_string();
        let Some(address) = channel.sample_address() else {
            continue;
        };
        let test = format_ident!(
            "{}__channel_{}__unlisted_{}_is_unknown",
            spec.module,
            n + 1,
            heck_snake(field)
        );
        tests.push(quote! {
            #[test]
            #[allow(non_snake_case)]
            fn #test() {
                let headers: &[(&str, &str)] = #headers;
                let message = ::webhooks::#module::decode_request(#address, &headers, #payload.as_bytes())
                    .unwrap_or_else(|e| panic!("decode failed: {e}"));
                let ::webhooks::#module::Message::Unknown(unknown) = &message else {
                    panic!("an unlisted `{}` decoded as {:?}", #field, message.name());
                };
                assert_eq!(unknown.discriminator.as_deref(), Some("hookgen.unlisted-value"));
                assert_eq!(unknown.channel, ::webhooks::#module::route(#address).unwrap().template());
                let payload: ::serde_json::Value = ::serde_json::from_str(#payload).unwrap();
                assert_eq!(::serde_json::to_value(&message).unwrap(), payload);
            }
        });
    }
    tests
}

/// For every channel with an event header: an example delivered under an event the spec
/// does not list must decode to `Unknown`, kept whole, with the event it named.
fn unknown_event_tests(spec: &Spec) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
    let mut tests = Vec::new();
    for (n, channel) in spec.channels.iter().enumerate() {
        let (Some(header), Some(address)) = (&channel.event_header, channel.sample_address())
        else {
            continue;
        };
        let example = channel
            .messages
            .iter()
            .flat_map(|i| spec.messages[*i].examples.iter())
            .find(|e| e.payload.is_object());
        let Some(example) = example else { continue };
        let payload = example.payload.to_string();
        let test = format_ident!(
            "{}__channel_{}__unlisted_event_is_unknown",
            spec.module,
            n + 1
        );
        tests.push(quote! {
            #[test]
            #[allow(non_snake_case)]
            fn #test() {
                let headers = [(#header, "hookgen_unlisted_event")];
                let message = ::webhooks::#module::decode_request(#address, &headers, #payload.as_bytes())
                    .unwrap_or_else(|e| panic!("decode failed: {e}"));
                let ::webhooks::#module::Message::Unknown(unknown) = &message else {
                    panic!("an unlisted event decoded as {:?}", message.name());
                };
                assert_eq!(unknown.event.as_deref(), Some("hookgen_unlisted_event"));
                let payload: ::serde_json::Value = ::serde_json::from_str(#payload).unwrap();
                assert_eq!(::serde_json::to_value(&message).unwrap(), payload);
                // Without the header the request names no event: refused, never guessed.
                assert!(matches!(
                    ::webhooks::#module::decode(#address, #payload.as_bytes()),
                    Err(::hookgen_runtime::DecodeError::MissingEventHeader { .. })
                ));
            }
        });
    }
    tests
}

/// The name of the `static` holding the spec's draft-07 schema text.
fn document_static(spec: &Spec) -> proc_macro2::Ident {
    format_ident!("{}_SCHEMA", spec.module.to_uppercase())
}

/// A `SpecSchema` expression for the payload schema at `pointer` of `spec`.
fn spec_schema(spec: &Spec, pointer: &str) -> TokenStream {
    let document = document_static(spec);
    let reference = hookgen::__private::json_schema::reference(pointer);
    quote! {
        ::hookgen_conformance::SpecSchema { document: #document, reference: #reference }
    }
}

/// The headers a delivery of message `index` carries for decoding, as a slice expression.
fn event_headers(spec: &Spec, index: usize) -> TokenStream {
    match spec.event_header_of(index) {
        Some((header, event)) => quote! { &[(#header, #event)] },
        None => quote! { &[] },
    }
}

fn heck_snake(name: &str) -> String {
    hookgen::__private::naming::field_name(name, "message")
        .trim_start_matches("r#")
        .to_owned()
}
