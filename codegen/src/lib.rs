//! Hookgen: AsyncAPI 2.x and 3.x documents in, a Rust webhooks crate out.
//!
//! Two ways in:
//! - a build script: [`Builder`] generates a module per spec into `OUT_DIR`, as
//!   `prost-build` does for protobuf;
//! - a crate on disk: [`generate`] returns the files of a whole crate for a set of specs
//!   ([`Settings`] names it), and [`write_files`] writes them (the `hookgen` command of
//!   the `hookgen-cli` package does both).
//!
//! [`validate`] reports every problem of a document without generating; its verdict is
//! generation's. [`convert_to_v3`] gives the AsyncAPI 3.0 form of a 2.x document. Every
//! problem is a [`Diagnostic`] with its file, line and column, and JSON pointer.
//!
//! The pipeline behind them is pure and runs in phases, each in its own private module:
//! load (file + overlay → JSON) → document (JSON → the typed document model, 2.x and 3.x
//! alike) → check (document rules) → lower (model → IR) → emit (IR → Rust and text); see
//! `ARCHITECTURE.md`. Only writing touches the disk.

#![forbid(unsafe_code)]

mod builder;
mod bundle;
mod check;
mod convert;
mod diagnostics;
#[doc(hidden)]
pub mod document;
#[doc(hidden)]
pub mod emit;
#[doc(hidden)]
pub mod escape;
#[doc(hidden)]
pub mod ir;
#[doc(hidden)]
pub mod json_schema;
pub mod leniency;
#[doc(hidden)]
pub mod load;
mod lower;
#[doc(hidden)]
pub mod naming;
mod position;
mod resolve;
mod schema;
mod traits;
mod validate;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use builder::Builder;
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use emit::text::RuntimeDependency;
pub use load::SpecFile;
pub use write::Drift;

/// Internals for this workspace's own command line, tests and build scripts: no API,
/// no stability, may change in any release (serde's `__private` convention).
#[doc(hidden)]
pub mod __private {
    pub use crate::document::{self, Document};
    pub use crate::{compile, emit, escape, ir, json_schema, load, naming, read_checked};
}

/// The command that regenerates the checked-in crate of this workspace (the default of
/// [`Settings::command`]).
pub const WORKSPACE_COMMAND: &str = "cargo run -p hookgen-cli -- generate";

/// How the generated crate is named and wired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    crate_name: String,
    runtime: RuntimeDependency,
    command: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            crate_name: "webhooks".to_owned(),
            runtime: RuntimeDependency::Path("../runtime".to_owned()),
            command: WORKSPACE_COMMAND.to_owned(),
        }
    }
}

impl Settings {
    /// The package name of the generated crate. Default: `webhooks`.
    pub fn crate_name(mut self, name: impl Into<String>) -> Self {
        self.crate_name = name.into();
        self
    }

    /// Where the generated crate finds `hookgen-runtime`. Default: the path `../runtime`,
    /// right for the checked-in crate of this workspace.
    pub fn runtime(mut self, runtime: RuntimeDependency) -> Self {
        self.runtime = runtime;
        self
    }

    /// The command written into `@generated` headers as the way to regenerate.
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = command.into();
        self
    }
}

/// One file of the generated crate, relative to the crate directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Relative path, `/`-separated.
    pub path: PathBuf,
    /// The full contents.
    pub contents: String,
}

/// Loads, reads and checks one spec: its typed document, or every problem (located).
#[doc(hidden)]
pub fn read_checked(file: &SpecFile) -> Result<document::Document, Diagnostics> {
    let (document, diagnostics) = analyze(file, false);
    match document {
        Some(document) if !diagnostics.has_errors() => Ok(document),
        _ => Err(diagnostics),
    }
}

/// Every phase after load that decides whether a document is usable, in the order the
/// pipeline runs them: read (version, structure, `$ref`s, traits, `x-hookgen`), check
/// (document rules), and lower (schemas and messages) when nothing before failed. The
/// one verdict `validate` and `generate` share. Returns the document (when readable) and
/// every problem, errors and warnings, with line and column where known.
fn analyze(file: &SpecFile, lower_too: bool) -> (Option<document::Document>, Diagnostics) {
    let (document, mut diagnostics) = match load::load(file) {
        Ok(loaded) => {
            let (document, diagnostics) = document::read(loaded.document, &file.display);
            (
                document.map(|d| document::Document {
                    inputs: loaded.inputs,
                    ..d
                }),
                diagnostics,
            )
        }
        Err(diagnostics) => (None, diagnostics),
    };
    if let Some(document) = &document {
        diagnostics.0.extend(check::check(document).0);
        if lower_too && !diagnostics.has_errors() {
            if let Err(lowering) = lower::lower(document, &file.module_name(), Vec::new()) {
                diagnostics.0.extend(lowering.0);
            }
        }
    }
    locate(file, &mut diagnostics);
    (document, diagnostics)
}

fn locate(file: &SpecFile, diagnostics: &mut Diagnostics) {
    if diagnostics.is_empty() {
        return;
    }
    if let Ok(text) = crate::load::read_text(&file.path) {
        position::locate(diagnostics, &file.display, &text);
    }
}

/// Loads, checks and lowers one spec; diagnostics carry line and column where known.
#[doc(hidden)]
pub fn compile(file: &SpecFile) -> Result<ir::Spec, Diagnostics> {
    compile_with_inputs(file).0
}

/// [`compile`], with the files read (the spec and its overlay when nothing more is known).
fn compile_with_inputs(file: &SpecFile) -> (Result<ir::Spec, Diagnostics>, Vec<PathBuf>) {
    let (document, diagnostics) = analyze(file, false);
    let document = match document {
        Some(document) if !diagnostics.has_errors() => document,
        other => {
            let inputs = other.map(|d| d.inputs).unwrap_or_else(|| {
                std::iter::once(file.path.clone())
                    .chain(file.overlay.clone())
                    .collect()
            });
            return (Err(diagnostics), inputs);
        }
    };
    (
        lower_document(file, &document, &diagnostics),
        document.inputs.clone(),
    )
}

fn lower_document(
    file: &SpecFile,
    document: &document::Document,
    diagnostics: &Diagnostics,
) -> Result<ir::Spec, Diagnostics> {
    let mut sources = vec![file.display.clone()];
    sources.extend(file.overlay_display());
    match lower::lower(document, &file.module_name(), sources) {
        Ok(mut spec) => {
            spec.warnings = diagnostics.warnings();
            Ok(spec)
        }
        Err(mut lowering) => {
            locate(file, &mut lowering);
            lowering.0.extend(diagnostics.warnings());
            Err(lowering)
        }
    }
}

/// Generates the whole crate for `specs`, or reports every problem of every spec.
pub fn generate(settings: &Settings, specs: &[SpecFile]) -> Result<Vec<OutputFile>, Diagnostics> {
    generate_with_warnings(settings, specs).map(|(files, _)| files)
}

/// Like [`generate`], also returning the warnings that did not stop generation.
pub fn generate_with_warnings(
    settings: &Settings,
    specs: &[SpecFile],
) -> Result<(Vec<OutputFile>, Vec<Diagnostic>), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    if let Err(problem) = naming::check_package_name(&settings.crate_name) {
        diagnostics.push(Diagnostic::at("--name", "", problem));
    }
    // Specs compile independently, and their modules' parts are emitted and formatted
    // independently: both phases are spread over the cores.
    let results = parallel_map(specs, compile);
    let mut compiled: BTreeMap<String, ir::Spec> = BTreeMap::new();
    for (file, result) in specs.iter().zip(results) {
        match result {
            Ok(spec) => {
                if let Some(other) = compiled.get(&spec.module) {
                    diagnostics.push(Diagnostic::at(
                        &file.display,
                        "",
                        format!(
                            "module `{}` would also come from {}; rename one file",
                            spec.module, other.sources[0]
                        ),
                    ));
                } else {
                    compiled.insert(spec.module.clone(), spec);
                }
            }
            Err(d) => diagnostics.0.extend(d.0),
        }
    }
    if specs.is_empty() {
        diagnostics.push(Diagnostic::at("", "", "no specs to generate from"));
    }
    let specs: Vec<ir::Spec> = diagnostics.into_result(compiled)?.into_values().collect();
    let warnings = specs
        .iter()
        .flat_map(|s| s.warnings.iter().cloned())
        .collect();
    Ok((emit_crate(settings, &specs)?, warnings))
}

/// One file or part of a file of the generated crate, made independently of the others.
#[derive(Debug, Clone, Copy)]
enum Piece {
    CargoToml,
    Readme,
    CrateRoot,
    /// A part of the module of the spec at this index.
    Module(usize, emit::rust::Part),
}

/// `job` applied to every item, in order, on as many threads as there are cores (this
/// one among them); each thread takes the next item when it is done with one.
fn parallel_map<T: Sync, R: Send>(items: &[T], job: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(job).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(i) else { break done };
            done.push((i, job(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            // A panic in a job is re-raised here, as it would have been without threads.
            done.extend(
                helper
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The optional `hookgen-runtime` features the specs need: `ed25519` for Ed25519 signatures.
fn runtime_features(specs: &[ir::Spec]) -> Vec<&'static str> {
    let ed25519 = specs.iter().any(|spec| {
        spec.signature
            .as_ref()
            .is_some_and(|s| s.algorithm == ir::SignatureAlgorithm::Ed25519)
    });
    if ed25519 { vec!["ed25519"] } else { Vec::new() }
}

/// Every file of the generated crate: the pieces ([`Piece`]) are made on every core,
/// then put together in a fixed order.
fn emit_crate(settings: &Settings, specs: &[ir::Spec]) -> Result<Vec<OutputFile>, Diagnostics> {
    let all_sources: Vec<String> = specs.iter().map(|s| s.sources.join(" with ")).collect();
    let generated_by = format!(
        "@generated by hookgen from {}. Do not edit.",
        all_sources.join(", ")
    );
    let info = emit::text::CrateInfo {
        name: &settings.crate_name,
        generated_by: &generated_by,
        command: &settings.command,
        runtime: settings.runtime.toml(&runtime_features(specs)),
        module_features: specs
            .iter()
            .map(|s| emit::text::module_feature(&s.module))
            .collect(),
    };
    let template_error = |e: minijinja::Error| {
        Diagnostics::from(Diagnostic::at(
            "codegen/templates",
            "",
            format!("template error: {e:#}"),
        ))
    };
    let rust_header = |sources: &[String]| {
        format!(
            "// @generated by hookgen from {}. Do not edit.\n// Regenerate with: {}\n\n",
            escape::line(&sources.join(", ")),
            escape::line(&settings.command)
        )
    };
    let emitters: Vec<emit::rust::Module> = specs
        .iter()
        .map(|spec| emit::rust::Module::new(spec, emit::rust::Options::default()))
        .collect();
    let pieces: Vec<Piece> =
        [Piece::CargoToml, Piece::Readme, Piece::CrateRoot]
            .into_iter()
            .chain(emitters.iter().enumerate().flat_map(|(i, module)| {
                module.parts().into_iter().map(move |p| Piece::Module(i, p))
            }))
            .collect();
    let names: Vec<String> = specs.iter().map(|s| s.module.clone()).collect();
    let made = parallel_map(&pieces, |piece| match *piece {
        Piece::CargoToml => emit::text::cargo_toml(&info).map_err(template_error),
        Piece::Readme => emit::text::readme(&info, specs).map_err(template_error),
        Piece::CrateRoot => Ok(format!(
            "{}{}",
            rust_header(&all_sources),
            emit::rust::crate_root(
                &format!(
                    "{}: webhooks generated by Hookgen.",
                    escape::code(&settings.crate_name)
                ),
                &names
            )
        )),
        Piece::Module(i, part) => Ok(emitters[i].emit(part)),
    });
    let mut files = Vec::new();
    let mut modules = vec![Vec::new(); specs.len()];
    for (piece, made) in pieces.iter().zip(made) {
        let made = made?;
        let path = match piece {
            Piece::CargoToml => "Cargo.toml",
            Piece::Readme => "README.md",
            Piece::CrateRoot => "src/lib.rs",
            Piece::Module(i, _) => {
                modules[*i].push(made);
                continue;
            }
        };
        files.push(OutputFile {
            path: path.into(),
            contents: made,
        });
    }
    for (spec, parts) in specs.iter().zip(modules) {
        files.push(OutputFile {
            path: PathBuf::from(format!("src/{}.rs", naming::unraw(&spec.module))),
            contents: format!(
                "{}{}",
                rust_header(&spec.sources),
                emit::rust::join_parts(&parts)
            ),
        });
    }
    Ok(files)
}

/// The specs of a workspace: every `*.yaml`, `*.yml` and `*.json` in `root/specs`
/// except overlays, sorted by name.
pub fn workspace_specs(root: &Path) -> Result<Vec<SpecFile>, Diagnostics> {
    let dir = root.join("specs");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| Diagnostic::at("specs", "", format!("cannot list {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !load::is_overlay(p)
                && p.extension().is_some_and(|e| {
                    ["yaml", "yml", "json"]
                        .iter()
                        .any(|x| e.eq_ignore_ascii_case(x))
                })
        })
        .collect();
    paths.sort();
    Ok(paths
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            SpecFile::discover(p, format!("specs/{name}"))
        })
        .collect())
}

/// Every problem of `file` (errors and warnings), sorted: generation's verdict on it,
/// with its message examples checked against their payload schemas as warnings.
pub fn validate(file: &SpecFile) -> Diagnostics {
    validate::validate(file)
}

/// The AsyncAPI 3.0 form of the 2.x document `file` (its overlay applied, referenced
/// files bundled in, traits merged), or why it cannot be converted. The crate generated
/// from it is the crate generated from `file`.
pub fn convert_to_v3(file: &SpecFile) -> Result<serde_json::Value, Diagnostics> {
    convert::to_v3(file)
}

/// Writes `files` into the crate directory `dir`, atomically file by file, and deletes
/// stale generated sources; returns the files that changed. Nothing is written when a
/// file it would replace was not generated by Hookgen, or when `dir` holds files but no
/// crate Hookgen generated (see [`write_files_beside`]).
pub fn write_files(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<PathBuf>> {
    write::write(dir, files, false)
}

/// [`write_files`] into a directory that already holds other files (`hookgen generate
/// --out DIR --force`): they are left alone, and a file Hookgen did not generate is still
/// never replaced.
pub fn write_files_beside(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<PathBuf>> {
    write::write(dir, files, true)
}

/// How the crate in `dir` differs from `files` (empty: up to date).
pub fn check_files(dir: &Path, files: &[OutputFile]) -> std::io::Result<Vec<Drift>> {
    write::check(dir, files)
}
