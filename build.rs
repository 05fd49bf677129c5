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
    let mut tests = Vec::new();
    let mut properties = Vec::new();
    for file in &specs {
        let document = hookgen::__private::read_checked(file)
            .map(|d| d.root)
            .unwrap_or_else(|d| fail(&d));
        let spec = hookgen::__private::compile(file).unwrap_or_else(|d| fail(&d));
        tests.extend(example_tests(&spec, &document));
        tests.extend(unknown_value_tests(&spec));
        properties.extend(property_tests(&spec, file, &document));
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for (name, items) in [
        ("conformance_cases.rs", tests),
        ("property_cases.rs", properties),
    ] {
        let out = Path::new(&out_dir).join(name);
        let code = quote! { #(#items)* }.to_string();
        std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    }
}

/// One property test per message with a channel: values drawn from its payload schema.
fn property_tests(
    spec: &Spec,
    spec_file: &hookgen::SpecFile,
    document: &serde_json::Value,
) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
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
        let schema =
            hookgen::__private::json_schema::validation_schema(document, payload).to_string();
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
        tests.push(quote! {
            #[test]
            #[allow(non_snake_case)]
            fn #test() {
                ::hookgen_conformance::check_properties(&::hookgen_conformance::PropertyCase {
                    message: #key,
                    address: #address,
                    spec_schema: #schema,
                    discriminator: #discriminator,
                    decode: ::webhooks::#module::decode,
                    message_name: ::webhooks::#module::Message::name,
                    spec: #spec_path,
                    channel: #channel_index,
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

fn example_tests(spec: &Spec, document: &serde_json::Value) -> Vec<TokenStream> {
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
        let schema =
            hookgen::__private::json_schema::validation_schema(document, payload).to_string();
        for (n, example) in message.examples.iter().enumerate() {
            let test = format_ident!(
                "{}__{}__example_{}",
                spec.module,
                heck_snake(&message.variant),
                n + 1
            );
            let payload = example.payload.to_string();
            let key = &message.key;
            tests.push(quote! {
                #[test]
                #[allow(non_snake_case)]
                fn #test() {
                    ::hookgen_conformance::check_example::<#payload_ty, _>(&::hookgen_conformance::Example {
                        message: #key,
                        address: #address,
                        payload: #payload,
                        spec_schema: #schema,
                        decode: ::webhooks::#module::decode,
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
        let example = channel
            .messages
            .iter()
            .flat_map(|i| spec.messages[*i].examples.iter())
            .find(|e| e.payload.is_object());
        let Some(example) = example else { continue };
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
                let message = ::webhooks::#module::decode(#address, #payload.as_bytes())
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

fn heck_snake(name: &str) -> String {
    hookgen::__private::naming::field_name(name, "message")
        .trim_start_matches("r#")
        .to_owned()
}
