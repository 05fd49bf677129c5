//! Snapshot tests: each `snapshots/*.yaml` exercises one feature; the module Hookgen
//! generates for it must equal the checked-in `snapshots/*.rs`, which the
//! `hookgen-corpus` crate compiles under `#[deny(warnings)]`.
//! After an intended change: `HOOKGEN_BLESS=1 cargo test -p hookgen --test snapshots`.

use std::path::{Path, PathBuf};

use hookgen::{Settings, SpecFile, generate};

const BLESS_COMMAND: &str = "HOOKGEN_BLESS=1 cargo test -p hookgen --test snapshots";

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    inputs.sort();
    inputs
}

#[test]
fn snapshots_match() {
    let bless = std::env::var_os("HOOKGEN_BLESS").is_some();
    let settings = Settings::default().command(BLESS_COMMAND);
    let mut problems = Vec::new();
    let inputs = inputs();
    assert!(inputs.len() >= 12, "snapshot inputs are missing");
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let file = SpecFile::discover(input, format!("codegen/tests/snapshots/{name}"));
        let module = file.module_name();
        let outputs = match generate(&settings, std::slice::from_ref(&file)) {
            Ok(outputs) => outputs,
            Err(d) => {
                problems.push(format!("{name} does not generate:\n{d}"));
                continue;
            }
        };
        let wanted = Path::new("src").join(format!("{module}.rs"));
        let text = &outputs
            .iter()
            .find(|f| f.path == wanted)
            .expect("the module file")
            .contents;
        let snapshot = input.with_extension("rs");
        let current = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if &current != text {
            if bless {
                std::fs::write(&snapshot, text).unwrap();
            } else {
                problems.push(format!(
                    "{} differs from what {name} generates; run `{BLESS_COMMAND}`",
                    snapshot.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
