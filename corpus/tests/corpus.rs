//! The corpus: every AsyncAPI 2.x document either generates code (compiled in this
//! crate under `#[deny(warnings)]`) or is listed in `known-failures.tsv` and rejected
//! with the diagnostic named there; every message example round-trips through its type.

use std::collections::BTreeMap;

fn known_failures() -> BTreeMap<String, (String, String)> {
    include_str!("../known-failures.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut columns = l.splitn(3, '\t');
            let path = columns.next().unwrap_or_default().to_owned();
            let expect = columns.next().unwrap_or_default().to_owned();
            let why = columns.next().unwrap_or_default().to_owned();
            (path, (expect, why))
        })
        .collect()
}

#[test]
fn every_document_generates_or_is_a_known_failure() {
    if !hookgen_corpus::CORPUS_PRESENT {
        eprintln!(
            "SKIPPED: no AsyncAPI corpus (../shared/corpus or $HOOKGEN_CORPUS); nothing was generated"
        );
        return;
    }
    let known = known_failures();
    let mut problems = Vec::new();
    for (path, outcome) in hookgen_corpus::OUTCOMES {
        match (outcome, known.get(*path)) {
            (None, None) => {}
            (None, Some(_)) => problems.push(format!(
                "{path} now generates: remove it from known-failures.tsv"
            )),
            (Some(diagnostics), None) => {
                problems.push(format!("{path} was rejected:\n{diagnostics}"))
            }
            (Some(diagnostics), Some((expect, _))) if !diagnostics.contains(expect.as_str()) => {
                problems.push(format!(
                    "{path} was rejected, but not for `{expect}`:\n{diagnostics}"
                ))
            }
            (Some(_), Some(_)) => {}
        }
    }
    for path in known.keys() {
        if !hookgen_corpus::OUTCOMES.iter().any(|(p, _)| p == path) {
            problems.push(format!(
                "{path} is listed in known-failures.tsv but is not in the corpus"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let generated = hookgen_corpus::OUTCOMES
        .iter()
        .filter(|(_, o)| o.is_none())
        .count();
    assert!(generated >= 30, "only {generated} documents generated");
}

include!(concat!(env!("OUT_DIR"), "/round_trips.rs"));
