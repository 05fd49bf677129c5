//! Writes one conformance test per message example of every spec in `specs/` into
//! `OUT_DIR/conformance_cases.rs` (included by `tests/conformance.rs`). Reads the specs
//! through the generator's own pipeline; never writes into the source tree.

use std::path::Path;

use hookgen::ir::{Spec, Ty};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn main() {
    println!("cargo::rerun-if-changed=specs");
    println!("cargo::rerun-if-changed=build.rs");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let specs = hookgen::workspace_specs(root).unwrap_or_else(|d| fail(&d));
    let mut tests = Vec::new();
    for file in &specs {
        let document = hookgen::load_checked(file).unwrap_or_else(|d| fail(&d));
        let spec = hookgen::compile(file).unwrap_or_else(|d| fail(&d));
        tests.extend(example_tests(&spec, &document));
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("conformance_cases.rs");
    let code = quote! { #(#tests)* }.to_string();
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
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
            .find(|c| c.messages.contains(&index))
            .map(|c| c.sample_address());
        let Some(address) = address else { continue };
        let schema = hookgen::json_schema::validation_schema(
            document,
            &format!("{}/payload", message.origin),
        )
        .to_string();
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

fn heck_snake(name: &str) -> String {
    hookgen::naming::field_name(name, "message")
        .trim_start_matches("r#")
        .to_owned()
}
