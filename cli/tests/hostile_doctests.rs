//! A crate generated from the hostile snapshot spec, built on its own and doc-tested
//! with every feature on: rustdoc finds no doctest in it. The spec's text holds code
//! blocks that would panic, fail to compile, or write a file if they ran.
//!
//! Uses the workspace's `Cargo.lock` and cargo's offline cache (the workspace's own
//! build fetched every dependency), and `target/hostile-doctests` as its target
//! directory, so a rerun only rebuilds the generated crate.

use std::path::Path;
use std::process::Command;

#[test]
fn a_crate_generated_from_hostile_text_has_no_doctests() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = workspace.canonicalize().unwrap();
    let spec = workspace.join("codegen/tests/snapshots/hostile-text.yaml");
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("hostile");
    let generated = Command::new(env!("CARGO_BIN_EXE_hookgen"))
        .args(["generate", "--out"])
        .arg(&krate)
        .args(["--name", "hostile-doctests", "--runtime-path"])
        .arg(workspace.join("runtime"))
        .arg(&spec)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    std::fs::copy(workspace.join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();

    let canary = Path::new("/tmp/hookgen-pwned");
    let _ = std::fs::remove_file(canary);
    let output = Command::new(env!("CARGO"))
        .args([
            "test",
            "--doc",
            "--offline",
            "--features",
            "axum,client",
            "--manifest-path",
        ])
        .arg(krate.join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            workspace.join("target/hostile-doctests"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "cargo test --doc failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("running 0 tests"),
        "rustdoc found doctests in spec text:\n{stdout}"
    );
    assert!(
        !canary.exists(),
        "a doctest from the spec ran and wrote {}",
        canary.display()
    );
}
