//! Load: a spec file (YAML or JSON) and its optional overlay become one JSON document.
//!
//! An overlay is an RFC 7396 JSON Merge Patch kept beside an upstream spec we must not
//! edit (`flyio.yaml` + `flyio.overlay.yaml`); it adds what the generator needs, such
//! as discriminators, signature encoding, delivery rules or missing examples.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics};

mod yaml;

/// Files larger than this are refused: no more than this many bytes (plus one) are ever
/// read from a spec, an overlay or a referenced file, whatever its metadata says.
pub const MAX_SPEC_BYTES: u64 = 32 * 1024 * 1024;

/// A spec file as given by the user, with its optional overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    /// The spec document.
    pub path: PathBuf,
    /// The merge patch applied to it, if any.
    pub overlay: Option<PathBuf>,
    /// How to name the files in diagnostics and `@generated` headers (relative, `/`-separated).
    pub display: String,
    /// The module name, when not derived from the file stem.
    pub module: Option<String>,
    /// The directory `$ref`s to other files must stay inside (after symlinks are
    /// resolved); `None` means the directory of the spec itself.
    pub ref_root: Option<PathBuf>,
    /// Local copies of published files: a `$ref` to a URL starting with a prefix reads
    /// the rest of the URL under the directory instead (never fetched).
    pub ref_map: Vec<(String, PathBuf)>,
}

impl SpecFile {
    /// The spec at `path`, with `<stem>.overlay.yaml` beside it when that file exists.
    pub fn discover(path: &Path, display: String) -> Self {
        let overlay = overlay_path(path).filter(|p| p.is_file());
        Self {
            path: path.to_owned(),
            overlay,
            display,
            module: None,
            ref_root: None,
            ref_map: Vec::new(),
        }
    }

    /// The same spec, its `$ref`s to URLs under `url_prefix` read from `dir` instead
    /// (`https://example.com/schemas/` + `a.json` → `dir/a.json`). Files there must stay
    /// under `dir`; Hookgen still fetches nothing.
    pub fn with_ref_map(mut self, url_prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.ref_map.push((url_prefix.into(), dir.into()));
        self
    }

    /// The same spec, its `$ref`s allowed to reach files anywhere under `dir` (for
    /// documents that share a `../common` folder) instead of only under its own directory.
    pub fn with_ref_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.ref_root = Some(dir.into());
        self
    }

    /// The same spec, generated into the module `module` (a Rust identifier).
    pub fn with_module(mut self, module: impl Into<String>) -> Self {
        self.module = Some(module.into());
        self
    }

    /// The Rust module this spec becomes.
    pub fn module_name(&self) -> String {
        self.module
            .clone()
            .unwrap_or_else(|| crate::naming::module_name(&self.stem()))
    }

    /// The file stem, which names the generated module.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// How to name the overlay in diagnostics and headers.
    pub fn overlay_display(&self) -> Option<String> {
        let overlay = self.overlay.as_ref()?;
        let name = overlay.file_name()?.to_string_lossy();
        Some(match self.display.rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/{name}"),
            None => name.into_owned(),
        })
    }
}

/// `flyio.yaml` → `flyio.overlay.yaml`.
pub fn overlay_path(spec: &Path) -> Option<PathBuf> {
    let stem = spec.file_stem()?.to_string_lossy();
    Some(spec.with_file_name(format!("{stem}.overlay.yaml")))
}

/// True for a file name that is an overlay rather than a spec.
pub fn is_overlay(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().contains(".overlay."))
}

/// A loaded spec: the document with its overlay applied.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    /// Where it came from.
    pub file: SpecFile,
    /// The document, overlay applied.
    pub document: Value,
    /// Every file read: the spec, its overlay, the files its `$ref`s name.
    pub inputs: Vec<PathBuf>,
}

/// Reads and parses `file` and applies its overlay.
pub fn load(file: &SpecFile) -> Result<LoadedSpec, Diagnostics> {
    let mut document = parse_file(&file.path, &file.display)?;
    if let (Some(overlay), Some(display)) = (&file.overlay, file.overlay_display()) {
        // Held to the reference root like every file read on the spec's behalf: a
        // symlink beside the spec must not bring another file's text into the crate.
        let root = crate::bundle::reference_root(file)?;
        let canonical = overlay.canonicalize().map_err(|e| {
            Diagnostics::from(Diagnostic::at(
                &display,
                "",
                format!("cannot read the overlay: {e}"),
            ))
        })?;
        if !canonical.starts_with(&root) {
            return Err(Diagnostic::at(
                &display,
                "",
                format!(
                    "the overlay is a link to `{}`, outside the reference root `{}`; only files under it are read (widen it with `--ref-root DIR`)",
                    canonical.display(),
                    root.display()
                ),
            )
            .into());
        }
        let patch = parse_file(&canonical, &display)?;
        if !patch.is_object() {
            return Err(Diagnostic::at(
                &display,
                "",
                "an overlay must be a mapping (RFC 7396 merge patch)",
            )
            .into());
        }
        json_patch::merge(&mut document, &patch);
    }
    let mut inputs = vec![file.path.clone()];
    inputs.extend(file.overlay.clone());
    inputs.extend(crate::bundle::bundle(&mut document, file)?);
    Ok(LoadedSpec {
        file: file.clone(),
        document,
        inputs,
    })
}

/// Parses one YAML or JSON file into a JSON value (JSON by extension, YAML otherwise).
pub fn parse_file(path: &Path, display: &str) -> Result<Value, Diagnostics> {
    let fail = |message: String| Diagnostics::from(Diagnostic::at(display, "", message));
    let bytes = read_regular_file(path).map_err(fail)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "the file is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse_text(&text, is_json, display)
}

/// The text of a spec file, read as [`parse_file`] reads it (for locating diagnostics).
pub fn read_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read_regular_file(path)?).map_err(|e| e.to_string())
}

/// The bytes of `path` if it is a regular file (after symlinks) of at most
/// [`MAX_SPEC_BYTES`]: a FIFO, a device such as `/dev/zero` or a directory is refused
/// before it is opened, and the size cap holds on the bytes read, not on metadata.
fn read_regular_file(path: &Path) -> Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read the file: {e}");
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if !metadata.is_file() {
        return Err(format!(
            "not a regular file ({}); specs and the files they refer to must be regular files",
            file_kind(&metadata.file_type())
        ));
    }
    let file = std::fs::File::open(path).map_err(cannot)?;
    // Checked again on the handle: the path may have changed in between.
    if !file.metadata().map_err(cannot)?.is_file() {
        return Err("not a regular file".to_owned());
    }
    let mut bytes = Vec::new();
    file.take(MAX_SPEC_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(format!(
            "the file is larger than {MAX_SPEC_BYTES} bytes; larger specs are refused"
        ));
    }
    Ok(bytes)
}

/// What `path` is when it is not a regular file (after symlinks): `a FIFO`, `a device`,
/// `a directory`…; `None` for a regular file or one that cannot be read (reported when
/// it is opened).
pub(crate) fn irregular_file(path: &Path) -> Option<&'static str> {
    let metadata = std::fs::metadata(path).ok()?;
    (!metadata.is_file()).then(|| file_kind(&metadata.file_type()))
}

fn file_kind(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Parses document text (JSON when `is_json`, YAML otherwise) into a JSON value.
pub fn parse_text(text: &str, is_json: bool, display: &str) -> Result<Value, Diagnostics> {
    let value = if is_json {
        serde_json::from_str::<Value>(text).map_err(|e| {
            Diagnostic::at(display, "", format!("invalid JSON: {e}"))
                .with_position(e.line(), e.column())
        })?
    } else {
        // Refused in one pass before the parser, whose cost grows with the depth.
        if let Some((line, column)) = yaml::too_deep(text) {
            return Err(Diagnostic::at(
                display,
                "",
                format!(
                    "invalid YAML: brackets nested deeper than {} levels (a `[` or `{{` inside a quoted string or a comment counts too)",
                    yaml::MAX_FLOW_DEPTH
                ),
            )
            .with_position(line, column)
            .into());
        }
        yaml::from_str(text).map_err(|e| {
            let d = Diagnostic::at(display, "", format!("invalid YAML: {e}"));
            match e.location() {
                Some(l) => d.with_position(l.line(), l.column()),
                None => d,
            }
        })?
    };
    if !value.is_object() {
        let kind = match value {
            Value::Null => "empty",
            Value::Array(_) => "a list",
            _ => "a scalar",
        };
        return Err(Diagnostic::at(
            display,
            "",
            format!("the document is {kind}; an AsyncAPI document is a mapping"),
        )
        .into());
    }
    Ok(value)
}
