//! `validate` and `generate` give the same verdict with the same errors, on every
//! document we have: the corpus (2.x and 3.x), the providers' specs, the snapshot specs,
//! the hostile fuzz seeds, and documents broken on purpose. Both run the same phases
//! (read, check, lower); `validate` adds warnings only.

use std::path::{Path, PathBuf};

use hookgen::{Diagnostic, SpecFile};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HOOKGEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    let mut errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    errors.sort();
    errors.dedup();
    errors
}

/// The errors `validate` and `compile` report for `file`, or a description of how they differ.
fn agree(file: &SpecFile) -> Result<usize, String> {
    let validated = errors(&hookgen::validate(file).0);
    let compiled = match hookgen::__private::compile(file) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => errors(&diagnostics.0),
    };
    if validated == compiled {
        Ok(validated.len())
    } else {
        Err(format!(
            "{}:\n  validate: {validated:#?}\n  generate: {compiled:#?}",
            file.display
        ))
    }
}

fn documents_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                && !hookgen::__private::load::is_overlay(&path)
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn validate_and_generate_agree_on_every_document_we_have() {
    let root = root();
    let mut files: Vec<SpecFile> = Vec::new();
    for dir in ["specs", "codegen/tests/snapshots", "fuzz/seeds/generate"] {
        for path in documents_in(&root.join(dir)) {
            files.push(SpecFile::discover(&path, path.display().to_string()));
        }
    }
    match corpus() {
        Some(corpus) => {
            let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
            for line in manifest.lines().skip(1) {
                let columns: Vec<&str> = line.split('\t').collect();
                let (Some(path), Some(version)) = (columns.first(), columns.get(4)) else {
                    continue;
                };
                if version.starts_with("2.") || version.starts_with("3.") {
                    files.push(
                        SpecFile::discover(&corpus.join(path), path.to_string())
                            .with_ref_root(&corpus),
                    );
                }
            }
        }
        None => eprintln!(
            "SKIPPED (corpus part): no AsyncAPI corpus at ../shared/corpus or $HOOKGEN_CORPUS"
        ),
    }
    assert!(files.len() > 30, "only {} documents", files.len());
    let disagreements: Vec<String> = files.iter().filter_map(|f| agree(f).err()).collect();
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}

#[test]
fn a_document_broken_on_purpose_gets_the_same_errors_from_both() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // A schema type that does not exist: once "valid" for validate only.
        (
            "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    publish:\n      message:\n        payload: {type: strin}\n",
            "unknown schema type `strin`",
        ),
        (
            "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    address: /a\n    messages:\n      m:\n        payload: {type: strin}\n",
            "unknown schema type `strin`",
        ),
        // An unknown field: once an error for validate only.
        (
            "asyncapi: 2.6.0\ninfo: {title: T, version: '1'}\nchannels:\n  a:\n    publsh: {}\n",
            "unknown field `publsh`",
        ),
        (
            "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\noperations:\n  o:\n    action: listen\n    channel: {$ref: '#/channels/a'}\nchannels:\n  a: {address: /a}\n",
            "`action` must be `send` or `receive`",
        ),
        (
            "asyncapi: 3.0.0\ninfo: {title: T, version: '1'}\nx-hookgen:\n  signature: {scheme: standard-webhooks, hedaer: x}\n",
            "unknown field `hedaer`",
        ),
    ];
    for (i, (text, expect)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        let file = SpecFile::discover(&path, format!("case{i}.yaml"));
        let count = agree(&file).unwrap_or_else(|e| panic!("{e}"));
        assert!(count > 0, "case {i} was accepted");
        let validated = hookgen::validate(&file).to_string();
        assert!(validated.contains(expect), "case {i}: {validated}");
    }
}
