//! The `hookgen` command's own pieces beside the generator library: a spec inspected at
//! run time (for `listen` and `send-test`) and the runtime signature scheme of a spec
//! (for `sign`, `verify` and `listen`). The generator itself is the `hookgen` library.

#![forbid(unsafe_code)]

pub mod inspect;

use std::path::Path;

use hookgen::__private::ir;
use hookgen::{Diagnostic, Diagnostics, SpecFile};

/// The runtime signature scheme a spec declares (its strings leaked: for tools that
/// build a scheme once per process, such as the `sign` and `verify` commands).
pub fn runtime_scheme(signature: &ir::Signature) -> hookgen_runtime::SignatureScheme {
    use hookgen_runtime::{Algorithm, Encoding, SecretFormat, SignedPart};
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    let signed: Vec<SignedPart> = signature
        .signed
        .iter()
        .map(|part| match part {
            ir::SignedPart::Id => SignedPart::Id,
            ir::SignedPart::Timestamp => SignedPart::Timestamp,
            ir::SignedPart::Body => SignedPart::Body,
            ir::SignedPart::Text(text) => SignedPart::Text(leak(text)),
        })
        .collect();
    hookgen_runtime::SignatureScheme {
        header: leak(&signature.header),
        algorithm: match signature.algorithm {
            ir::SignatureAlgorithm::HmacSha256 => Algorithm::HmacSha256,
            ir::SignatureAlgorithm::Ed25519 => Algorithm::Ed25519,
        },
        encoding: match signature.encoding {
            ir::SignatureEncoding::Hex => Encoding::Hex,
            ir::SignatureEncoding::Base64 => Encoding::Base64,
        },
        prefix: leak(&signature.prefix),
        secret_format: match signature.secret {
            ir::SecretFormat::Bytes => SecretFormat::Bytes,
            ir::SecretFormat::WhsecBase64 => SecretFormat::WhsecBase64,
            ir::SecretFormat::Ed25519Base64 => SecretFormat::Ed25519Base64,
        },
        signed: Box::leak(signed.into_boxed_slice()),
        id_header: leak(&signature.id_header),
        timestamp_header: leak(&signature.timestamp_header),
        timestamp_entry: leak(&signature.timestamp_entry),
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
    let known = root
        .map(hookgen::workspace_specs)
        .transpose()?
        .unwrap_or_default();
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
