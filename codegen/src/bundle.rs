//! Bundle: `$ref`s to other files (`../common/schemas.yaml#/X`) are made local.
//!
//! Each referenced file is loaded once, relative to the file that refers to it, and
//! stored under `/x-hookgen-bundled/<n>` of the root document; the reference is rewritten
//! to point there, and so are the references inside the bundled file. After bundling,
//! every `$ref` is local, so the rest of the pipeline sees one document. A reference to a
//! URL is an error naming it: Hookgen never fetches anything at build time. A URL under
//! a prefix of the reference map (`--ref-map URL_PREFIX=DIR`) reads the local copy in
//! `DIR` instead; a URL where Hookgen never reads (protocol bindings, a schema in a
//! language other than JSON Schema) is kept as written.
//!
//! A referenced file must lie under the reference root (the spec's own directory unless
//! [`SpecFile::with_ref_root`](crate::SpecFile::with_ref_root) widens it), checked after
//! symlinks are resolved, so a spec cannot copy `/etc/passwd` or `../../secrets.yaml`
//! into generated code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics, child};
use crate::load::{SpecFile, parse_file};
use crate::resolve::{NAME_MAPS, never_read};

/// Where bundled documents live in the root document.
pub const BUNDLE_KEY: &str = "x-hookgen-bundled";

/// Most files one spec may pull in.
const MAX_FILES: usize = 256;

/// The directory a spec sits in (`.` for a bare file name).
fn spec_dir(file: &SpecFile) -> &Path {
    match file.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The directory every file read on a spec's behalf (the files its `$ref`s name, its
/// discovered overlay) must be in once symlinks are resolved: `--ref-root`, or the
/// spec's own directory.
pub fn reference_root(file: &SpecFile) -> Result<PathBuf, Diagnostics> {
    let dir = file.ref_root.as_deref().unwrap_or(spec_dir(file));
    dir.canonicalize().map_err(|e| {
        Diagnostics::from(Diagnostic::at(
            &file.display,
            "",
            format!("the reference root `{}` cannot be used: {e}", dir.display()),
        ))
    })
}

/// Rewrites every reference to another file in `document` (loaded from `file`) and
/// returns the files it read. References may reach only files under the reference root
/// (default: the spec's directory) or under a directory of the reference map.
pub fn bundle(document: &mut Value, file: &SpecFile) -> Result<Vec<PathBuf>, Diagnostics> {
    let display = file.display.as_str();
    let base = spec_dir(file);
    let canonical = |dir: &Path| {
        dir.canonicalize().map_err(|e| {
            Diagnostics::from(Diagnostic::at(
                display,
                "",
                format!("the reference root `{}` cannot be used: {e}", dir.display()),
            ))
        })
    };
    let root = reference_root(file)?;
    let map = file
        .ref_map
        .iter()
        .map(|(prefix, dir)| Ok((prefix.clone(), canonical(dir)?)))
        .collect::<Result<Vec<_>, Diagnostics>>()?;
    let mut bundler = Bundler {
        root,
        map,
        files: BTreeMap::new(),
        bundled: Vec::new(),
        diagnostics: Diagnostics::default(),
    };
    bundler.rewrite(document, "", base, display, "", Context::default());
    let bundled = std::mem::take(&mut bundler.bundled);
    if !bundled.is_empty() {
        if let Value::Object(map) = document {
            map.insert(BUNDLE_KEY.to_owned(), Value::Array(bundled));
        }
    }
    let read = bundler.files.into_keys().collect();
    bundler.diagnostics.into_result(read)
}

struct Bundler {
    /// Canonical directory every referenced file must be under.
    root: PathBuf,
    /// URL prefixes and the canonical directories that hold their local copies.
    map: Vec<(String, PathBuf)>,
    /// Canonical path of each bundled file → its index.
    files: BTreeMap<PathBuf, usize>,
    bundled: Vec<Value>,
    diagnostics: Diagnostics,
}

impl Bundler {
    /// Rewrites the refs inside `value` (found at `pointer` of the file `display` in `base`);
    /// `prefix` is where that file's root sits in the bundle (`""` for the root document).
    fn rewrite(
        &mut self,
        value: &mut Value,
        pointer: &str,
        base: &Path,
        display: &str,
        prefix: &str,
        context: Context,
    ) {
        match value {
            Value::Object(map) => {
                if let (false, Some(Value::String(reference))) =
                    (context.names, map.get_mut("$ref"))
                {
                    let remote = reference.contains("://");
                    if !(remote && context.unread) {
                        let at = child(pointer, "$ref");
                        if let Some(new) = self.target(reference, &at, base, display, prefix) {
                            *reference = new;
                        }
                    }
                }
                let unread: Vec<bool> = map
                    .keys()
                    .map(|key| context.unread || (!context.names && never_read(map, key)))
                    .collect();
                for ((key, v), unread) in map.iter_mut().zip(unread) {
                    if key == "$ref" && !context.names {
                        continue;
                    }
                    let at = child(pointer, key);
                    let names = !context.names && NAME_MAPS.contains(&key.as_str());
                    self.rewrite(v, &at, base, display, prefix, Context { names, unread });
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter_mut().enumerate() {
                    let at = child(pointer, &i.to_string());
                    let context = Context {
                        names: false,
                        ..context
                    };
                    self.rewrite(v, &at, base, display, prefix, context);
                }
            }
            _ => {}
        }
    }

    /// The local reference that replaces `reference`, or `None` to keep it.
    fn target(
        &mut self,
        reference: &str,
        at: &str,
        base: &Path,
        display: &str,
        prefix: &str,
    ) -> Option<String> {
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        if file.is_empty() {
            // Local to its own file: relocate under the file's place in the bundle.
            return (!prefix.is_empty()).then(|| format!("#{prefix}{fragment}"));
        }
        let path = if file.contains("://") {
            let Some((prefix, dir)) = self.map.iter().find(|(p, _)| file.starts_with(p.as_str()))
            else {
                self.diagnostics.push(Diagnostic::at(
                    display,
                    at,
                    format!("`$ref: {reference}` is a remote reference; Hookgen never fetches at build time: download the file and refer to it by relative path, or map the URL to a local copy (`--ref-map URL_PREFIX=DIR`)"),
                ));
                return None;
            };
            dir.join(file[prefix.len()..].trim_start_matches('/'))
        } else {
            base.join(file)
        };
        let Ok(canonical) = path.canonicalize() else {
            self.diagnostics.push(Diagnostic::at(
                display,
                at,
                format!("`$ref: {reference}`: cannot find `{}`", path.display()),
            ));
            return None;
        };
        if !canonical.starts_with(&self.root)
            && !self.map.iter().any(|(_, dir)| canonical.starts_with(dir))
        {
            self.diagnostics.push(Diagnostic::at(
                display,
                at,
                format!(
                    "`$ref: {reference}` reaches `{}`, outside the reference root `{}`; refer only to files under it, or widen it (`--ref-root DIR`)",
                    canonical.display(),
                    self.root.display()
                ),
            ));
            return None;
        }
        let index = match self.files.get(&canonical) {
            Some(index) => *index,
            None => {
                if self.files.len() >= MAX_FILES {
                    self.diagnostics.push(Diagnostic::at(
                        display,
                        at,
                        format!("more than {MAX_FILES} referenced files"),
                    ));
                    return None;
                }
                let file_display = relative_display(display, file);
                // A FIFO, a device or a directory is named where the `$ref` is written.
                if let Some(kind) = crate::load::irregular_file(&canonical) {
                    self.diagnostics.push(Diagnostic::at(
                        display,
                        at,
                        format!(
                            "`$ref: {reference}` reaches `{}`, which is {kind}; only regular files are read",
                            canonical.display()
                        ),
                    ));
                    return None;
                }
                let mut loaded = match parse_file(&canonical, &file_display) {
                    Ok(v) => v,
                    Err(d) => {
                        self.diagnostics.0.extend(d.0);
                        return None;
                    }
                };
                let index = self.bundled.len();
                self.files.insert(canonical.clone(), index);
                self.bundled.push(Value::Null);
                let file_prefix = format!("/{BUNDLE_KEY}/{index}");
                let file_base = canonical.parent().unwrap_or(Path::new(".")).to_owned();
                self.rewrite(
                    &mut loaded,
                    "",
                    &file_base,
                    &file_display,
                    &file_prefix,
                    Context::default(),
                );
                self.bundled[index] = loaded;
                index
            }
        };
        Some(format!("#/{BUNDLE_KEY}/{index}{fragment}"))
    }
}

/// Where a value sits, as far as references are concerned.
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    /// The value maps names to schemas (`properties`), where `$ref` is a name.
    names: bool,
    /// Hookgen never reads the value (see [`never_read`]): a URL there is kept as written.
    unread: bool,
}

/// `specs/a/asyncapi.yaml` + `../common/x.yaml` → `specs/a/../common/x.yaml`.
fn relative_display(display: &str, file: &str) -> String {
    match display.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{file}"),
        None => file.to_owned(),
    }
}
