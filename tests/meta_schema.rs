//! Every spec, as checked in and with its overlay applied, passes the official AsyncAPI
//! 2.6.0 meta schema. The meta schema is read from `../shared/corpus/meta` (or from
//! `$HOOKGEN_CORPUS/meta`), never copied into the project; the test says when it skips.

use std::path::{Path, PathBuf};

use hookgen::__private::load::parse_file;

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("HOOKGEN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    dir.join("meta/2.6.0.json").is_file().then_some(dir)
}

#[test]
fn specs_pass_the_asyncapi_2_6_0_meta_schema() {
    let Some(corpus) = corpus() else {
        eprintln!(
            "SKIPPED: no AsyncAPI corpus at ../shared/corpus or $HOOKGEN_CORPUS; the meta-schema check did not run"
        );
        return;
    };
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("meta/2.6.0.json")).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&meta)
        .expect("the meta schema compiles");
    // Control: the validator does reject a broken document.
    let broken = serde_json::json!({"asyncapi": "2.6.0", "info": {"title": "t"}, "channels": {"/a": {"publish": {"message": 5}}}});
    assert!(
        !validator.is_valid(&broken),
        "the meta schema accepted a broken document"
    );

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // The AsyncAPI specs; OpenAI's is an OpenAPI 3.1 document.
    let specs: Vec<_> = hookgen::workspace_specs(root)
        .unwrap()
        .into_iter()
        .filter(|s| parse_file(&s.path, &s.display).is_ok_and(|d| d.get("asyncapi").is_some()))
        .collect();
    assert_eq!(specs.len(), 4);
    let mut failures = Vec::new();
    for spec in &specs {
        let raw = parse_file(&spec.path, &spec.display).unwrap();
        let patched = hookgen::__private::read_checked(spec)
            .map(|d| d.root)
            .unwrap();
        let with_overlay = format!("{} with its overlay", spec.display);
        for (what, document) in [(spec.display.clone(), raw), (with_overlay, patched)] {
            for error in validator.iter_errors(&document) {
                failures.push(format!("{what}: {error} at {}", error.instance_path()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn upstream_specs_are_byte_for_byte_the_seed_documents() {
    let Some(corpus) = corpus() else {
        eprintln!("SKIPPED: ../shared is absent; the seed comparison did not run");
        return;
    };
    let seeds = corpus.join("../seeds");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (seed, spec) in [
        ("000_7b91b5e5119e87ec.txt", "flyio.yaml"),
        ("002_08e469ed72ffb036.txt", "flagsmith.yaml"),
    ] {
        let Ok(seed_text) = std::fs::read_to_string(seeds.join(seed)) else {
            eprintln!("SKIPPED: seed {seed} not found");
            continue;
        };
        let start = seed_text
            .find("\nasyncapi: 2.6.0")
            .expect("the seed holds the document")
            + 1;
        let spec_text = std::fs::read_to_string(root.join("specs").join(spec)).unwrap();
        assert!(
            spec_text == seed_text[start..],
            "specs/{spec} differs from the seed document"
        );
    }
}
