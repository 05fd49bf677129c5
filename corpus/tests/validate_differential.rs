//! `hookgen validate` against the official meta schemas, over the whole corpus: for each
//! AsyncAPI 2.x and 3.x document, our verdict (valid or not) must equal the verdict of the meta
//! schema of its declared version, or the disagreement must be listed, with its reason,
//! in `validate-disagreements.tsv` (the list only shrinks).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hookgen::SpecFile;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HOOKGEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

fn listed() -> BTreeMap<String, String> {
    include_str!("../validate-disagreements.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            l.split_once('\t')
                .map(|(p, why)| (p.to_owned(), why.to_owned()))
        })
        .collect()
}

#[test]
fn validate_agrees_with_the_meta_schemas_or_says_why_not() {
    let Some(corpus) = corpus() else {
        eprintln!(
            "SKIPPED: no AsyncAPI corpus (../shared/corpus or $HOOKGEN_CORPUS); the differential test did not run"
        );
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let mut validators = BTreeMap::new();
    let listed = listed();
    let mut problems = Vec::new();
    let mut compared = 0;
    for line in manifest.lines().skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        let (Some(path), Some(version)) = (columns.first(), columns.get(4)) else {
            continue;
        };
        let v2 = (path.starts_with("spec-examples/") || path.starts_with("public/"))
            && version.starts_with("2.");
        let v3 = path.starts_with("v3-examples/") && version.starts_with("3.");
        if !(v2 || v3) {
            continue;
        }
        let validator = validators.entry(version.to_string()).or_insert_with(|| {
            let meta: serde_json::Value = serde_json::from_slice(
                &std::fs::read(corpus.join(format!("meta/{version}.json"))).unwrap(),
            )
            .unwrap();
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft7)
                // As the MANIFEST's validation did: `format` is an annotation, not an assertion.
                .should_validate_formats(false)
                .build(&meta)
                .unwrap()
        });
        let file = SpecFile::discover(&corpus.join(path), path.to_string()).with_ref_root(&corpus);
        let document = hookgen::__private::load::parse_file(&file.path, &file.display).unwrap();
        let meta_valid = validator.is_valid(&document);
        let diagnostics = hookgen::validate(&file);
        let ours_valid = !diagnostics.has_errors();
        compared += 1;
        match (meta_valid == ours_valid, listed.get(*path)) {
            (true, None) => {}
            (true, Some(_)) => problems.push(format!("{path}: we now agree with the meta schema; remove it from validate-disagreements.tsv")),
            (false, Some(_)) => {}
            (false, None) => problems.push(format!(
                "{path}: the meta schema says {}, we say {}:\n{diagnostics}\nmeta schema: {}",
                if meta_valid { "valid" } else { "invalid" },
                if ours_valid { "valid" } else { "invalid" },
                validator
                    .iter_errors(&document)
                    .take(3)
                    .map(|e| format!("{} at {}", e.instance_path(), e.schema_path()))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    assert!(compared >= 60, "only {compared} documents compared");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
