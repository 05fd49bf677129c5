//! Hookgen: AsyncAPI 2.x and 3.x documents in, a Rust webhooks crate out.
//!
//! The pipeline is pure and runs in named phases, each in its own module:
//! [`load`] (file + overlay → JSON) → [`document`] (JSON → the typed document model,
//! 2.x and 3.x alike) → [`check`] (document rules) → [`lower`] (model → [`ir`], schemas
//! through [`schema`], names through [`naming`]) → [`emit`] (IR → Rust and text). [`validate`] reports every
//! problem of a document without generating. [`generate`] runs it for a set
//! of specs and returns the files; [`write`](mod@write) is the only module that touches the disk.

#![forbid(unsafe_code)]

pub mod bundle;
pub mod check;
pub mod convert;
pub mod diagnostics;
pub mod document;
pub mod emit;
pub mod escape;
pub mod inspect;
pub mod ir;
pub mod json_schema;
pub mod load;
pub mod lower;
pub mod naming;
pub mod position;
pub mod resolve;
pub mod schema;
pub mod traits;
pub mod validate;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diagnostics::{Diagnostic, Diagnostics};
pub use emit::text::RuntimeDependency;
pub use load::SpecFile;

/// The command that regenerates the checked-in crate of this workspace.
pub const WORKSPACE_COMMAND: &str = "cargo run -p hookgen -- generate";

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
        Ok(loaded) => document::read(loaded.document, &file.display),
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
pub fn compile(file: &SpecFile) -> Result<ir::Spec, Diagnostics> {
    let (document, diagnostics) = analyze(file, false);
    let document = match document {
        Some(document) if !diagnostics.has_errors() => document,
        _ => return Err(diagnostics),
    };
    let mut sources = vec![file.display.clone()];
    sources.extend(file.overlay_display());
    match lower::lower(&document, &file.module_name(), sources) {
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
    let mut compiled: BTreeMap<String, ir::Spec> = BTreeMap::new();
    for file in specs {
        match compile(file) {
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
        runtime: settings.runtime.toml(),
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
    let mut files = vec![
        OutputFile {
            path: "Cargo.toml".into(),
            contents: emit::text::cargo_toml(&info).map_err(template_error)?,
        },
        OutputFile {
            path: "README.md".into(),
            contents: emit::text::readme(&info, specs).map_err(template_error)?,
        },
    ];
    let modules: Vec<String> = specs.iter().map(|s| s.module.clone()).collect();
    files.push(OutputFile {
        path: "src/lib.rs".into(),
        contents: format!(
            "{}{}",
            rust_header(&all_sources),
            emit::rust::crate_root(
                &format!(
                    "{}: webhooks generated by Hookgen.",
                    escape::code(&settings.crate_name)
                ),
                &modules
            )
        ),
    });
    for spec in specs {
        files.push(OutputFile {
            path: PathBuf::from(format!("src/{}.rs", naming::unraw(&spec.module))),
            contents: format!(
                "{}{}",
                rust_header(&spec.sources),
                emit::rust::spec_module(spec)
            ),
        });
    }
    Ok(files)
}

/// The runtime signature scheme a spec declares (its strings leaked: for tools that
/// build a scheme once per process, such as the `sign` and `verify` commands).
pub fn runtime_scheme(signature: &ir::Signature) -> hookgen_runtime::SignatureScheme {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    hookgen_runtime::SignatureScheme {
        header: leak(&signature.header),
        algorithm: hookgen_runtime::Algorithm::HmacSha256,
        encoding: match signature.encoding {
            ir::SignatureEncoding::Hex => hookgen_runtime::Encoding::Hex,
            ir::SignatureEncoding::Base64 => hookgen_runtime::Encoding::Base64,
        },
        prefix: leak(&signature.prefix),
        secret_format: if signature.whsec_secret {
            hookgen_runtime::SecretFormat::WhsecBase64
        } else {
            hookgen_runtime::SecretFormat::Bytes
        },
        signed: if signature.signs_id_and_timestamp {
            hookgen_runtime::SignedContent::IdTimestampBody
        } else {
            hookgen_runtime::SignedContent::Body
        },
        id_header: leak(&signature.id_header),
        timestamp_header: leak(&signature.timestamp_header),
        separator: signature.separator,
        tolerance_seconds: signature.tolerance_seconds,
    }
}

/// The spec a command names: a path to a file, or the name of a spec in `root/specs`
/// (`flyio` → `specs/flyio.yaml`).
pub fn find_spec(root: Option<&Path>, name: &str) -> Result<SpecFile, Diagnostics> {
    let path = Path::new(name);
    if path.is_file() {
        return Ok(SpecFile::discover(path, name.replace('\\', "/")));
    }
    let known = root.map(workspace_specs).transpose()?.unwrap_or_default();
    known
        .iter()
        .find(|s| s.stem() == name || s.module_name() == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = known.iter().map(SpecFile::stem).collect();
            Diagnostic::at(
                name,
                "",
                format!("no spec named `{name}`; known: {}", names.join(", ")),
            )
            .into()
        })
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
