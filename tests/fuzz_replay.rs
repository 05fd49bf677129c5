//! Replays every fuzz seed and every past fuzz crash through the fuzz targets' own checks
//! (`hookgen_conformance::fuzz`), so the stable test suite keeps what fuzzing found:
//! the specs, the snapshot specs, the hostile seeds, `fuzz/regressions/*` and, when
//! present, every document of the AsyncAPI corpus.

use std::path::{Path, PathBuf};

use hookgen_conformance::fuzz;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_none_or(|n| n != ".gitkeep") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn replay(target: &str, inputs: &[PathBuf], check: fn(&[u8])) -> usize {
    for path in inputs {
        let data = std::fs::read(path).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(result.is_ok(), "{target}: {} fails", path.display());
    }
    inputs.len()
}

#[test]
fn generate_target_passes_every_seed_and_regression() {
    let mut inputs = files(&root().join("specs"));
    inputs.extend(
        files(&root().join("codegen/tests/snapshots"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml")),
    );
    inputs.extend(files(&root().join("fuzz/seeds/generate")));
    inputs.extend(files(&root().join("fuzz/regressions/generate")));
    let n = replay("generate", &inputs, fuzz::generate);
    assert!(n > 20, "only {n} inputs");
}

#[test]
fn generate_target_passes_the_corpus() {
    let corpus = std::env::var_os("HOOKGEN_CORPUS")
        .map_or_else(|| root().join("../shared/corpus"), PathBuf::from);
    if !corpus.join("MANIFEST.tsv").is_file() {
        eprintln!(
            "SKIPPED: no AsyncAPI corpus at {} (set HOOKGEN_CORPUS)",
            corpus.display()
        );
        return;
    }
    let inputs: Vec<PathBuf> = files(&corpus)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .filter(|p| !p.starts_with(corpus.join("meta")))
        .collect();
    let n = replay("generate", &inputs, fuzz::generate);
    assert!(n > 40, "only {n} corpus documents");
}

#[test]
fn doc_text_target_passes_every_seed_and_regression() {
    let mut inputs = files(&root().join("fuzz/seeds/doc_text"));
    inputs.extend(files(&root().join("fuzz/regressions/doc_text")));
    inputs.extend(files(&root().join("specs")));
    let n = replay("doc_text", &inputs, fuzz::doc_text);
    assert!(n > 6, "only {n} inputs");
}

#[test]
fn receive_target_passes_every_seed_and_regression() {
    for (name, seed) in fuzz::receive_seeds() {
        let result = std::panic::catch_unwind(|| fuzz::receive(&seed));
        assert!(result.is_ok(), "receive: seed {name} fails");
    }
    replay(
        "receive",
        &files(&root().join("fuzz/regressions/receive")),
        fuzz::receive,
    );
}

#[test]
fn signature_target_passes_every_seed_and_regression() {
    let seeds = fuzz::signature_seeds();
    for (name, seed) in &seeds {
        let result = std::panic::catch_unwind(|| fuzz::signature(seed));
        assert!(result.is_ok(), "signature: seed {name} fails");
    }
    let n = replay(
        "signature",
        &files(&root().join("fuzz/regressions/signature")),
        fuzz::signature,
    );
    assert!(seeds.len() + n >= 14, "only {} inputs", seeds.len() + n);
}
