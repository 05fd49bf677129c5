//! Documents built to cost more than their size (issue 22's second round): each must be
//! generated, or refused, as if it were an ordinary document. Their timings are in the
//! `hostile` benchmark; these tests prove the outcome and the size of what is made.

use hookgen::SpecFile;
use hookgen_conformance::hostile::{composition, flow_nesting};

fn spec(dir: &std::path::Path, name: &str, text: &str) -> SpecFile {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    SpecFile::discover(&path, name.to_owned())
}

#[test]
fn composition_that_doubles_each_level_costs_its_size() {
    let dir = tempfile::tempdir().unwrap();
    // 40 levels: 2^40 paths; it used to take hours from 16.
    let file = spec(dir.path(), "composition.yaml", &composition(40));
    assert!(hookgen::validate(&file).is_empty());
    let compiled = hookgen::__private::compile(&file).unwrap();
    // One type per level (and one per inline property `allOf`): linear, not 2^levels.
    assert!(
        compiled.types.types.len() <= 3 * 41,
        "{}",
        compiled.types.types.len()
    );
    // No type is larger than a thread's stack can decode: the big fields are boxed.
    let mut memo = Default::default();
    for id in compiled.types.types.keys() {
        let size = compiled
            .types
            .estimated_size(&hookgen::__private::ir::Ty::Named(*id), &mut memo);
        assert!(
            size <= 32 * 1024,
            "{} is {size} bytes",
            compiled.types.name(*id)
        );
    }
    let files = hookgen::generate(&hookgen::Settings::default(), &[file]).unwrap();
    let module = files
        .iter()
        .find(|f| f.path.ends_with("composition.rs"))
        .unwrap();
    assert!(module.contents.contains("Box<L"), "no field boxed");
}

#[test]
fn deep_flow_nesting_is_refused_where_it_gets_too_deep() {
    let dir = tempfile::tempdir().unwrap();
    let file = spec(
        dir.path(),
        "nesting.yaml",
        &flow_nesting("asyncapi: 2.6.0\nx: ", 400 * 1024),
    );
    let diagnostics = hookgen::validate(&file);
    let text = diagnostics.to_string();
    assert!(text.contains("deeper than 128 levels"), "{text}");
    assert!(text.contains("nesting.yaml:2:132"), "{text}");
}
