//! `hookgen convert --to 3.0` proves the two front ends agree: for every spec in `specs/`
//! and every AsyncAPI 2.x corpus document that generates, the module generated from the
//! 3.0 conversion is the module generated from the original, byte for byte (the lines
//! naming the source file aside), and the conversion is a valid 3.0 document for the
//! official meta schema.

use std::path::{Path, PathBuf};

use hookgen::SpecFile;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HOOKGEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// Converts `file`, generates both, and says how they differ (`Ok(false)`: the original
/// does not generate, so there is nothing to compare).
fn same_module(
    file: &SpecFile,
    dir: &Path,
    meta: Option<&jsonschema::Validator>,
) -> Result<bool, String> {
    let Ok(original) = hookgen::__private::compile(file) else {
        return Ok(false);
    };
    let converted = hookgen::convert_to_v3(file).map_err(|d| format!("{}: {d}", file.display))?;
    if let Some(meta) = meta {
        // Protocol bindings are carried as written (their schemas are versioned apart
        // from AsyncAPI's, and the generated crate keeps them as text).
        let mut checked = converted.clone();
        without_bindings(&mut checked);
        let problems: Vec<String> = meta
            .iter_errors(&checked)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !problems.is_empty() {
            return Err(format!(
                "{}: the conversion is not valid AsyncAPI 3.0:\n{}",
                file.display,
                problems.join("\n")
            ));
        }
    }
    let path = dir.join(format!("{}.json", file.module_name()));
    std::fs::write(&path, serde_json::to_string_pretty(&converted).unwrap()).unwrap();
    let v3 = SpecFile::discover(&path, file.display.clone()).with_module(file.module_name());
    let mut v3 = hookgen::__private::compile(&v3)
        .map_err(|d| format!("{}: the conversion does not generate:\n{d}", file.display))?;
    v3.sources = original.sources.clone();
    let (a, b) = (
        hookgen::__private::emit::rust::spec_module(&original),
        hookgen::__private::emit::rust::spec_module(&v3),
    );
    if a == b {
        return Ok(true);
    }
    let first = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(0);
    Err(format!(
        "{}: the modules differ from line {}:\n  2.x: {}\n  3.0: {}",
        file.display,
        first + 1,
        a.lines().nth(first).unwrap_or(""),
        b.lines().nth(first).unwrap_or("")
    ))
}

fn without_bindings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("bindings");
            map.values_mut().for_each(without_bindings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_bindings),
        _ => {}
    }
}

fn meta_schema() -> Option<jsonschema::Validator> {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus()?.join("meta/3.0.0.json")).ok()?).ok()?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(false)
        .build(&meta)
        .ok()
}

#[test]
fn the_3_0_conversion_of_every_spec_generates_the_same_module() {
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_schema();
    if meta.is_none() {
        eprintln!("SKIPPED (meta schema check): no corpus with meta/3.0.0.json");
    }
    // The AsyncAPI 2.x specs; the OpenAPI documents (GitHub's, OpenAI's) have no 3.0
    // form to compare.
    let specs: Vec<_> = hookgen::workspace_specs(&root())
        .unwrap()
        .into_iter()
        .filter(|f| {
            hookgen::__private::read_checked(f).is_ok_and(|d| d.root.get("openapi").is_none())
        })
        .collect();
    assert_eq!(specs.len(), 4);
    for file in &specs {
        assert_eq!(same_module(file, dir.path(), meta.as_ref()), Ok(true));
    }
    let openai =
        hookgen::SpecFile::discover(&root().join("specs/openai.json"), "openai.json".into());
    let refused = hookgen::convert_to_v3(&openai).unwrap_err().to_string();
    assert!(refused.contains("an OpenAPI document"), "{refused}");
}

#[test]
fn the_3_0_conversion_of_every_2x_corpus_document_generates_the_same_module() {
    let Some(corpus) = corpus() else {
        eprintln!("SKIPPED: no AsyncAPI corpus (../shared/corpus or $HOOKGEN_CORPUS)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let meta = meta_schema();
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let (mut compared, mut problems) = (0, Vec::new());
    for line in manifest.lines().skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(version)) = (columns.first(), columns.get(4)) else {
            continue;
        };
        if !(path.starts_with("spec-examples/") || path.starts_with("public/"))
            || !version.starts_with("2.")
        {
            continue;
        }
        let file = SpecFile::discover(&corpus.join(path), path.to_string())
            .with_ref_root(&corpus)
            .with_module(hookgen::__private::naming::module_name(path));
        match same_module(&file, dir.path(), meta.as_ref()) {
            Ok(true) => compared += 1,
            Ok(false) => {}
            Err(problem) => problems.push(problem),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    eprintln!("{compared} corpus documents: the 3.0 conversion generates the same module");
    assert!(compared >= 30, "only {compared} compared");
}
