//! Every Rust name the generator emits comes from here: case conversion (heck),
//! keywords, leading digits, characters Rust does not allow, and deterministic
//! de-duplication within a scope.
//!
//! Names are returned as strings that are always valid identifiers; a keyword comes
//! back as a raw identifier (`r#type`), except the four that cannot be raw
//! (`self`, `Self`, `super`, `crate`), which get a trailing underscore.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords of Rust 2015–2024, strict and reserved.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Keywords that cannot be written as raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// A type or enum-variant name (`UpperCamelCase`) for the wire name `raw`.
///
/// `fallback` is used when `raw` has no letters or digits at all.
pub fn type_name(raw: &str, fallback: &str) -> String {
    let camel = ascii_words(raw).to_upper_camel_case();
    let name = if camel.is_empty() {
        fallback.to_owned()
    } else {
        camel
    };
    escape(prefix_digit(name, "V"))
}

/// Checks a package name of a generated crate by cargo's rules, so the name written
/// into its `Cargo.toml` is one cargo accepts and can never carry TOML of its own:
/// 1 to 64 ASCII letters, digits, `-` or `_`, starting with a letter, and neither a
/// Rust keyword nor the name of a built-in crate.
pub fn check_package_name(name: &str) -> Result<(), String> {
    const BUILT_IN: &[&str] = &["alloc", "core", "proc_macro", "proc-macro", "std", "test"];
    if name.is_empty() || name.len() > 64 {
        return Err(format!(
            "the package name `{name}` must be 1 to 64 characters long"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "the package name `{name}` holds {c:?}; use ASCII letters, digits, `-` and `_`"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!(
            "the package name `{name}` must start with a letter"
        ));
    }
    if KEYWORDS.contains(&name) || BUILT_IN.contains(&name) {
        return Err(format!(
            "the package name `{name}` is a Rust keyword or a built-in crate"
        ));
    }
    Ok(())
}

/// A field or function name (`snake_case`) for the wire name `raw`.
pub fn field_name(raw: &str, fallback: &str) -> String {
    let snake = ascii_words(raw).to_snake_case();
    let name = if snake.is_empty() {
        fallback.to_owned()
    } else {
        snake
    };
    escape(prefix_digit(name, "_"))
}

/// The runtime modules a generated crate's root re-exports (`pub use
/// ::hookgen_runtime::receiver`, …): no spec module may take their names.
pub const RUNTIME_MODULES: &[&str] = &["receiver", "queue", "testing", "replay", "sender"];

/// A module name for a spec file stem (`flyio`, `flag_smith`). `lib` and `main`, which
/// would clash with the crate's own files, and the [`RUNTIME_MODULES`] become
/// `lib_spec`, `main_spec`, `receiver_spec`….
pub fn module_name(stem: &str) -> String {
    let name = field_name(stem, "spec");
    match unraw(&name) {
        // `lib` and `main` are special files; the others are the runtime modules the
        // crate root re-exports (`pub use ::hookgen_runtime::receiver`, …).
        n if n == "lib" || n == "main" || RUNTIME_MODULES.contains(&n) => {
            format!("{n}_spec")
        }
        _ => name,
    }
}

/// A constant name (`SCREAMING_SNAKE_CASE`).
pub fn const_name(raw: &str) -> String {
    field_name(raw, "value")
        .trim_start_matches("r#")
        .to_uppercase()
}

/// The identifier text without a raw prefix (what `r#type` means on the wire side).
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Replaces everything but ASCII letters and digits with word breaks, so heck sees
/// `X-Fly-Signature`, `io.fly.machine` or `$ref` as words.
fn ascii_words(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

fn prefix_digit(name: String, prefix: &str) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("{prefix}{name}")
    } else {
        name
    }
}

fn escape(name: String) -> String {
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// Hands out distinct names within one scope (a module's types, a struct's fields,
/// an enum's variants). The first claim of a name gets it; later claims get `2`, `3`, …
/// appended, so the result depends only on the order of claims.
#[derive(Debug, Default, Clone)]
pub struct NameScope {
    taken: BTreeSet<String>,
}

impl NameScope {
    /// A scope in which `reserved` are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self {
            taken: reserved.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Claims `name`, or the first free `name2`, `name3`, … (`r#type` → `type2`).
    pub fn claim(&mut self, name: String) -> String {
        if self.taken.insert(unraw(&name).to_owned()) {
            return name;
        }
        let base = unraw(&name).trim_end_matches('_').to_owned();
        let sep = if base.ends_with(|c: char| c.is_ascii_digit()) {
            "_"
        } else {
            ""
        };
        (2..)
            .map(|n| format!("{base}{sep}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(type_name("resource.created", "X"), "ResourceCreated");
        assert_eq!(
            type_name("io.fly.machine.started", "X"),
            "IoFlyMachineStarted"
        );
        assert_eq!(type_name("FLAG_UPDATED", "X"), "FlagUpdated");
        assert_eq!(type_name("1.0", "X"), "V10");
        assert_eq!(type_name("...", "Empty"), "Empty");
        assert_eq!(type_name("self", "X"), "Self_");
        assert_eq!(type_name("über", "X"), "Ber");
    }

    #[test]
    fn field_names() {
        assert_eq!(field_name("X-Fly-Signature", "f"), "x_fly_signature");
        assert_eq!(field_name("type", "f"), "r#type");
        assert_eq!(field_name("$ref", "f"), "r#ref");
        assert_eq!(field_name("self", "f"), "self_");
        assert_eq!(field_name("crate", "f"), "crate_");
        assert_eq!(field_name("super", "f"), "super_");
        assert_eq!(field_name("2fa", "f"), "_2fa");
        assert_eq!(field_name("createdAt", "f"), "created_at");
        assert_eq!(field_name("", "f"), "f");
        assert_eq!(const_name("type"), "TYPE");
        assert_eq!(module_name("Fly.io"), "fly_io");
        assert_eq!(module_name("lib"), "lib_spec");
        assert_eq!(module_name("mod"), "r#mod");
    }

    #[test]
    fn every_keyword_becomes_a_valid_identifier() {
        for kw in KEYWORDS {
            let name = field_name(kw, "f");
            assert!(
                syn::parse_str::<syn::Ident>(&name).is_ok(),
                "{kw} -> {name}"
            );
            let name = type_name(kw, "F");
            assert!(
                syn::parse_str::<syn::Ident>(&name).is_ok(),
                "{kw} -> {name}"
            );
        }
    }

    #[test]
    fn scope_deduplicates_deterministically() {
        let mut scope = NameScope::with_reserved(&["Message"]);
        assert_eq!(scope.claim("Message".into()), "Message2");
        assert_eq!(scope.claim("A".into()), "A");
        assert_eq!(scope.claim("A".into()), "A2");
        assert_eq!(scope.claim("A".into()), "A3");
        assert_eq!(scope.claim("V1".into()), "V1");
        assert_eq!(scope.claim("V1".into()), "V1_2");
        assert_eq!(scope.claim("r#type".into()), "r#type");
        assert_eq!(scope.claim("r#type".into()), "type2");
    }
}
