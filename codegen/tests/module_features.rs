//! Each spec module of a generated crate sits behind a cargo feature of its own, on by
//! default; a module named like one of the crate's features gets another feature name.

use hookgen::{Settings, SpecFile};

const SPEC: &str = "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  /a:\n    publish:\n      message:\n        payload: {type: object}\n";

fn generate(names: &[&str]) -> Vec<hookgen::OutputFile> {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<SpecFile> = names
        .iter()
        .map(|name| {
            let path = dir.path().join(format!("{name}.yaml"));
            std::fs::write(&path, SPEC).unwrap();
            SpecFile::discover(&path, format!("{name}.yaml"))
        })
        .collect();
    hookgen::generate(&Settings::default(), &files).unwrap()
}

fn text<'a>(files: &'a [hookgen::OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path.to_string_lossy() == path)
        .unwrap()
        .contents
}

#[test]
fn every_module_has_a_default_feature_and_none_takes_a_crate_feature_name() {
    let files = generate(&["orders", "testing", "axum"]);
    let manifest = text(&files, "Cargo.toml");
    assert!(
        manifest.contains(r#"default = ["axum-spec", "orders", "testing_spec"]"#),
        "{manifest}"
    );
    // `testing` is also a runtime module the crate root re-exports: the spec's module is
    // `testing_spec`, and so is its feature.
    for feature in ["orders", "testing_spec", "axum-spec"] {
        assert!(
            manifest.contains(&format!("\"{feature}\" = []")),
            "{manifest}"
        );
    }
    // The crate's own features keep their meaning.
    assert!(
        manifest.contains(r#"testing = ["hookgen-runtime/testing"]"#),
        "{manifest}"
    );
    let root = text(&files, "src/lib.rs");
    for (feature, module) in [
        ("orders", "orders"),
        ("testing_spec", "testing_spec"),
        ("axum-spec", "axum"),
    ] {
        let gated = format!("#[cfg(feature = \"{feature}\")]\n#[rustfmt::skip]\npub mod {module};");
        assert!(root.contains(&gated), "{gated} missing in:\n{root}");
    }
}
