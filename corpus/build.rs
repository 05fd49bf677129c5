//! Generates a module for every AsyncAPI 2.x and 3.x document of `../shared/corpus` (or
//! `$HOOKGEN_CORPUS`) into `OUT_DIR`, records which documents were rejected and why, and
//! writes a round-trip test per message example. Also compiles the checked-in snapshots
//! of `codegen/tests/snapshots`. Every module is compiled under `#[deny(warnings)]`.

use std::path::{Path, PathBuf};

use hookgen::__private::ir::{Spec, Ty};
use hookgen::__private::naming;
use hookgen::SpecFile;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let corpus = std::env::var_os("HOOKGEN_CORPUS")
        .map_or_else(|| root.join("../shared/corpus"), PathBuf::from);
    let snapshots = root.join("codegen/tests/snapshots");
    println!("cargo::rerun-if-env-changed=HOOKGEN_CORPUS");
    println!("cargo::rerun-if-changed={}", corpus.display());
    println!("cargo::rerun-if-changed={}", snapshots.display());
    println!("cargo::rerun-if-changed=known-example-failures.tsv");
    let known_example_failures =
        std::fs::read_to_string("known-example-failures.tsv").unwrap_or_default();
    let expected_to_fail: Vec<&str> = known_example_failures
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split('\t').next())
        .collect();

    let mut modules = Vec::new();
    let mut outcomes = Vec::new();
    let mut tests = Vec::new();
    let documents = corpus_documents(&corpus);
    if documents.is_empty() {
        println!(
            "cargo::warning=no AsyncAPI corpus at {} (set HOOKGEN_CORPUS): the corpus tests will SKIP",
            corpus.display()
        );
    }
    for relative in &documents {
        let module = naming::module_name(&format!(
            "corpus {}",
            relative
                .trim_end_matches(".yaml")
                .trim_end_matches(".yml")
                .trim_end_matches(".json")
        ));
        // Corpus examples share folders (`social-media/common`): the corpus is their root.
        let file = SpecFile::discover(&corpus.join(relative), relative.clone())
            .with_ref_root(&corpus)
            .with_module(module.clone());
        match hookgen::__private::compile(&file) {
            Ok(spec) => {
                let path = out.join(format!("{module}.rs"));
                write(&path, &hookgen::__private::emit::rust::spec_module(&spec));
                modules.push((module.clone(), path));
                tests.extend(round_trip_tests(&spec, &expected_to_fail));
                outcomes.push(quote! { (#relative, ::std::option::Option::None), });
            }
            Err(diagnostics) => {
                let text = diagnostics.to_string();
                outcomes.push(quote! { (#relative, ::std::option::Option::Some(#text)), });
            }
        }
    }
    let mut snapshot_names = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&snapshots) {
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        paths.sort();
        for path in paths {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let module = naming::module_name(&format!("snapshot {stem}"));
            snapshot_names.push(stem);
            modules.push((module, path));
        }
    }
    let decls = modules.iter().map(|(module, path)| {
        let module = format_ident!("{}", module);
        let path = path.to_string_lossy().into_owned();
        quote! {
            #[path = #path]
            #[deny(warnings)]
            pub mod #module;
        }
    });
    let present = !documents.is_empty();
    // Tests that name a corpus document's module compile only with the corpus.
    println!("cargo::rustc-check-cfg=cfg(hookgen_corpus_present)");
    if present {
        println!("cargo::rustc-cfg=hookgen_corpus_present");
    }
    write(
        &out.join("modules.rs"),
        &quote! {
            /// True when the corpus was found.
            pub const CORPUS_PRESENT: bool = #present;
            /// Every corpus document, with the diagnostics that rejected it (if it was).
            pub static OUTCOMES: &[(&str, ::std::option::Option<&str>)] = &[#(#outcomes)*];
            /// The snapshot specs compiled here.
            pub static SNAPSHOTS: &[&str] = &[#(#snapshot_names),*];
            #(#decls)*
        }
        .to_string(),
    );
    write(
        &out.join("round_trips.rs"),
        &quote! { #(#tests)* }.to_string(),
    );
}

fn write(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// The AsyncAPI 2.x and 3.x documents of the corpus (per its MANIFEST), relative paths,
/// sorted.
fn corpus_documents(corpus: &Path) -> Vec<String> {
    let Ok(manifest) = std::fs::read_to_string(corpus.join("MANIFEST.tsv")) else {
        return Vec::new();
    };
    let mut documents: Vec<String> = manifest
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            let (path, version) = (*columns.first()?, *columns.get(4)?);
            let wanted = ((path.starts_with("spec-examples/") || path.starts_with("public/"))
                && version.starts_with("2."))
                || (path.starts_with("v3-examples/") && version.starts_with("3."));
            wanted.then(|| path.to_owned())
        })
        .collect();
    documents.sort();
    documents
}

/// A test per message example with a named payload type: the example decodes into the
/// type and serializes back without changing or inventing anything.
/// Tests listed in `known-example-failures.tsv` are `#[should_panic]`.
fn round_trip_tests(spec: &Spec, expected_to_fail: &[&str]) -> Vec<TokenStream> {
    let module = format_ident!("{}", spec.module);
    let mut tests = Vec::new();
    for message in &spec.messages {
        let Ty::Named(id) = &message.payload else {
            continue;
        };
        let ty = format_ident!("{}", spec.types.name(*id));
        for (n, example) in message.examples.iter().enumerate() {
            let name = format_ident!(
                "{}__{}__example_{}",
                spec.module,
                naming::field_name(&message.variant, "message").trim_start_matches("r#"),
                n + 1
            );
            let payload = example.payload.to_string();
            let known = expected_to_fail
                .contains(&name.to_string().as_str())
                .then(|| quote! { #[should_panic] });
            tests.push(quote! {
                #[test]
                #known
                #[allow(non_snake_case)]
                fn #name() {
                    ::hookgen_corpus::check_round_trip::<::hookgen_corpus::#module::#ty>(#payload);
                }
            });
        }
    }
    tests
}
