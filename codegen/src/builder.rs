//! Builder: Hookgen in a build script (see [`Builder`]).

use std::path::{Path, PathBuf};

use crate::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::emit::rust::{Gate, Options};
use crate::load::SpecFile;

/// Generates a Rust module per spec into a directory (by default `OUT_DIR`), for a
/// build script, as `prost-build` is used for protobuf.
///
/// ```no_run
/// // build.rs, in `fn main`:
/// hookgen::Builder::new()
///     .spec("specs/orders.yaml")
///     .receiver(true)
///     .compile()
///     .expect("the webhook specs generate");
/// ```
///
/// ```ignore
/// // src/lib.rs: one `pub mod` per spec, named after its file.
/// include!(concat!(env!("OUT_DIR"), "/hookgen.rs"));
/// ```
///
/// The including crate depends on `hookgen-runtime` (with its `axum` feature for
/// [`Builder::receiver`], `client` for [`Builder::sender`], `testing` for
/// [`Builder::testing`]), `serde` (with `derive`), `serde_json`, and `schemars` for
/// [`Builder::schemas`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Builder {
    specs: Vec<PathBuf>,
    ref_root: Option<PathBuf>,
    ref_map: Vec<(String, PathBuf)>,
    out_dir: Option<PathBuf>,
    receiver: bool,
    sender: bool,
    schemas: bool,
    testing: bool,
}

impl Builder {
    /// A builder without specs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the spec at `path` (YAML or JSON, AsyncAPI 2.x or 3.x); a
    /// `<stem>.overlay.yaml` beside it is applied. Its module is named after the file stem.
    pub fn spec(mut self, path: impl AsRef<Path>) -> Self {
        self.specs.push(path.as_ref().to_owned());
        self
    }

    /// Lets `$ref`s reach files anywhere under `dir` (default: each spec's directory).
    pub fn ref_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ref_root = Some(dir.into());
        self
    }

    /// Reads `$ref`s to URLs starting with `url_prefix` from the local copies in `dir`.
    pub fn ref_map(mut self, url_prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.ref_map.push((url_prefix.into(), dir.into()));
        self
    }

    /// Writes into `dir` instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Emits each spec's `Handler` trait, its tower `service()`, `layer()`, `queued()`
    /// and `process()`, and its axum `router()` (needs `hookgen-runtime`'s `axum`
    /// feature). Default: off.
    pub fn receiver(mut self, on: bool) -> Self {
        self.receiver = on;
        self
    }

    /// Emits each spec's `sender()` (needs `hookgen-runtime`'s `client` feature).
    /// Default: off.
    pub fn sender(mut self, on: bool) -> Self {
        self.sender = on;
        self
    }

    /// Derives `schemars::JsonSchema` for every payload type (the crate then depends on
    /// `schemars` 1). Default: off, since it adds to every build what only a crate that
    /// publishes JSON Schemas needs.
    pub fn schemas(mut self, on: bool) -> Self {
        self.schemas = on;
        self
    }

    /// Emits each spec's `test_signer()` and `Message::signed`/`broken`: correctly
    /// signed and deliberately broken deliveries for tests. They exist whenever
    /// `hookgen-runtime`'s `testing` feature is on, so enable it in
    /// `[dev-dependencies]` only and `cargo build` ships none of them. Default: off.
    pub fn testing(mut self, on: bool) -> Self {
        self.testing = on;
        self
    }

    /// Generates every spec, writes `<module>.rs` for each and `hookgen.rs` declaring
    /// them, and prints for cargo a `rerun-if-changed` line per file read (specs,
    /// overlays, referenced files) and each diagnostic as a warning or error with its
    /// file and line. Returns the files written, or every problem of every spec (nothing
    /// is written then).
    pub fn compile(self) -> Result<Vec<PathBuf>, Diagnostics> {
        let out_dir = match self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        {
            Some(dir) => dir,
            None => {
                let diagnostics = Diagnostics::from(Diagnostic::at(
                    "",
                    "",
                    "no OUT_DIR: run from a build script, or set `Builder::out_dir`",
                ));
                report(&diagnostics);
                return Err(diagnostics);
            }
        };
        let options = Options {
            receiver: Gate::when(self.receiver),
            sender: Gate::when(self.sender),
            schemas: Gate::when(self.schemas),
            testing: if self.testing {
                Gate::Runtime
            } else {
                Gate::Never
            },
            in_generated_crate: false,
        };
        let mut diagnostics = Diagnostics::default();
        let mut modules: Vec<(String, String)> = Vec::new();
        if self.specs.is_empty() {
            diagnostics.push(Diagnostic::at(
                "",
                "",
                "no specs: add one with `Builder::spec`",
            ));
        }
        for path in &self.specs {
            let mut file = SpecFile::discover(path, path.to_string_lossy().replace('\\', "/"));
            if let Some(root) = &self.ref_root {
                file = file.with_ref_root(root);
            }
            for (prefix, dir) in &self.ref_map {
                file = file.with_ref_map(prefix.clone(), dir.clone());
            }
            let (compiled, inputs) = crate::compile_with_inputs(&file);
            for input in inputs {
                let shown = input.to_string_lossy();
                // One directive per line: a name with a line break (or any control
                // character) could smuggle in a directive of its own.
                if shown.chars().any(char::is_control) {
                    diagnostics.push(Diagnostic::at(
                        &file.display,
                        "",
                        format!(
                            "a file it reads has a control character in its name ({}); cargo cannot watch it",
                            crate::escape::terminal(&shown)
                        ),
                    ));
                    continue;
                }
                println!("cargo::rerun-if-changed={shown}");
            }
            match compiled {
                Ok(spec) => {
                    diagnostics.0.extend(spec.warnings.iter().cloned());
                    if modules.iter().any(|(m, _)| *m == spec.module) {
                        diagnostics.push(Diagnostic::at(
                            &file.display,
                            "",
                            format!(
                                "a second spec would be the module `{}`; rename one file",
                                spec.module
                            ),
                        ));
                        continue;
                    }
                    let header = format!(
                        "// @generated by hookgen from {} in a build script. Do not edit.\n\n",
                        crate::escape::line(&spec.sources.join(", "))
                    );
                    let text = header + &crate::emit::rust::spec_module_with(&spec, options);
                    modules.push((spec.module.clone(), text));
                }
                Err(found) => diagnostics.0.extend(found.0),
            }
        }
        report(&diagnostics);
        diagnostics.into_result(())?;
        let mut written = Vec::new();
        let mut index =
            String::from("// @generated by hookgen in a build script: one module per spec.\n\n");
        for (module, text) in &modules {
            let path = out_dir.join(format!("{}.rs", crate::naming::unraw(module)));
            write(&path, text)?;
            // The path as a Rust string literal, written the way `quote!` writes one.
            let literal = proc_macro2::Literal::string(&path.to_string_lossy());
            index.push_str(&format!("#[path = {literal}]\npub mod {module};\n"));
            written.push(path);
        }
        let index_path = out_dir.join("hookgen.rs");
        write(&index_path, &index)?;
        written.push(index_path);
        Ok(written)
    }
}

/// Writes `text` to `path` unless it already holds it (so cargo sees no change).
fn write(path: &Path, text: &str) -> Result<(), Diagnostics> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| {
        Diagnostics::from(Diagnostic::at(
            "",
            "",
            format!("cannot write {}: {e}", path.display()),
        ))
    })
}

/// Each diagnostic as one cargo `warning` or `error` line: `file:line:column: message`.
fn report(diagnostics: &Diagnostics) {
    for d in &diagnostics.0 {
        let place = match d.position {
            Some((line, column)) => format!("{}:{line}:{column}", d.file),
            None => d.file.clone(),
        };
        let at = if d.pointer.is_empty() {
            String::new()
        } else {
            format!(" (at {})", d.pointer)
        };
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        println!(
            "cargo::{kind}={}",
            crate::escape::terminal(&format!("{place}: {}{at}", d.message))
        );
    }
}
