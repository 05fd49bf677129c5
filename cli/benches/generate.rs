//! Generation benchmarks, in process and as a whole process: our four specs, the largest
//! corpus document, and synthetic specs of growing size (throughput in schemas, so the
//! report gives the time per schema at each size). Parsing alone is the baseline each
//! in-process group is measured against.
//!
//! `cargo bench -p hookgen-cli --bench generate`; `scripts/bench-report.py` prints the figures.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hookgen::{Settings, SpecFile};
use serde_json::{Map, Value, json};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn corpus() -> PathBuf {
    std::env::var_os("HOOKGEN_CORPUS")
        .map_or_else(|| workspace().join("../shared/corpus"), PathBuf::from)
}

/// A spec with `n` object schemas (each referring to the one before), `n` messages and
/// `n` channels sharing the prefix `/tenants/{tenant}/events/`.
fn synthetic(n: usize) -> Value {
    let mut schemas = Map::new();
    let mut messages = Map::new();
    let mut channels = Map::new();
    for i in 0..n {
        let mut properties = json!({
            "id": { "type": "string", "description": "The event id." },
            "count": { "type": "integer", "minimum": 0 },
            "when": { "type": "string", "format": "date-time" },
            "kind": { "type": "string", "enum": ["created", "updated", "deleted"] },
            "tags": { "type": "array", "items": { "type": "string" } },
            "extra": { "type": "object", "additionalProperties": true },
        });
        if i > 0 {
            properties["previous"] = json!({ "$ref": format!("#/components/schemas/S{}", i - 1) });
        }
        schemas.insert(
            format!("S{i}"),
            json!({ "type": "object", "required": ["id", "kind"], "properties": properties }),
        );
        messages.insert(
            format!("M{i}"),
            json!({ "name": format!("M{i}"), "payload": { "$ref": format!("#/components/schemas/S{i}") } }),
        );
        channels.insert(
            format!("/tenants/{{tenant}}/events/e{i}"),
            json!({
                "parameters": { "tenant": { "schema": { "type": "string" } } },
                "publish": { "operationId": format!("receiveE{i}"), "message": { "$ref": format!("#/components/messages/M{i}") } }
            }),
        );
    }
    json!({
        "asyncapi": "2.6.0",
        "info": { "title": "Synthetic", "version": "1.0.0" },
        "channels": channels,
        "components": { "schemas": schemas, "messages": messages }
    })
}

fn parse_all(specs: &[SpecFile]) -> usize {
    specs
        .iter()
        .map(|s| {
            hookgen::__private::load::load(s)
                .map(|l| l.document.as_object().map_or(0, Map::len))
                .unwrap_or(0)
        })
        .sum()
}

fn generate_all(specs: &[SpecFile]) -> usize {
    hookgen::generate(&Settings::default(), specs)
        .expect("generates")
        .iter()
        .map(|f| f.contents.len())
        .sum()
}

fn in_process(c: &mut Criterion) {
    let specs = hookgen::workspace_specs(&workspace()).expect("workspace specs");
    let mut group = c.benchmark_group("generate/our-four-specs");
    group.bench_function("baseline-parse-only", |b| {
        b.iter(|| parse_all(black_box(&specs)))
    });
    group.bench_function("hookgen", |b| b.iter(|| generate_all(black_box(&specs))));
    group.finish();

    let zbos = corpus().join("public/zbos-mqtt-all-2.0.0.json");
    if zbos.is_file() {
        let specs = [SpecFile::discover(&zbos, "zbos-mqtt-all-2.0.0.json".into())];
        let mut group = c.benchmark_group("generate/zbos-670KB");
        group.sample_size(10);
        group.bench_function("baseline-parse-only", |b| {
            b.iter(|| parse_all(black_box(&specs)))
        });
        group.bench_function("hookgen", |b| b.iter(|| generate_all(black_box(&specs))));
        group.finish();
    } else {
        eprintln!(
            "SKIPPED generate/zbos-670KB: no corpus at {}",
            corpus().display()
        );
    }

    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("generate/synthetic");
    group.sample_size(10);
    for n in [100usize, 1_000, 10_000] {
        let path = dir.path().join(format!("synthetic{n}.json"));
        std::fs::write(&path, synthetic(n).to_string()).expect("writing the spec");
        let specs = [SpecFile::discover(&path, format!("synthetic{n}.json"))];
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline-parse-only", n),
            &specs,
            |b, s| b.iter(|| parse_all(black_box(s))),
        );
        group.bench_with_input(BenchmarkId::new("hookgen", n), &specs, |b, s| {
            b.iter(|| generate_all(black_box(s)))
        });
    }
    group.finish();
}

/// The release binary regenerating the workspace's crate, start to exit (nothing changes
/// on disk: files are rewritten only when they differ).
fn whole_process(c: &mut Criterion) {
    let binary = env!("CARGO_BIN_EXE_hookgen");
    let root = workspace();
    let run = |args: &[&str]| {
        let status = Command::new(binary)
            .args(args)
            .current_dir(&root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("runs hookgen");
        assert!(status.success(), "hookgen {args:?} failed");
    };
    let root_arg = root.to_string_lossy().into_owned();
    let mut group = c.benchmark_group("process");
    group.sample_size(20);
    group.bench_function("baseline-hookgen-help", |b| b.iter(|| run(&["--help"])));
    group.bench_function("hookgen-generate-all", |b| {
        b.iter(|| run(&["generate", "--root", &root_arg]))
    });
    group.finish();
}

criterion_group!(benches, in_process, whole_process);
criterion_main!(benches);
