//! Text outputs of the generated crate (`Cargo.toml`, `README.md`), rendered from the
//! templates in `codegen/templates/` with minijinja in strict mode: a name missing from
//! the context is an error, never an empty string.

use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use crate::escape;
use crate::ir;

const CARGO_TOML: &str = include_str!("../../templates/Cargo.toml.j2");
const README_MD: &str = include_str!("../../templates/README.md.j2");

/// The `hookgen-runtime` dependency line of a generated crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeDependency {
    /// `{ path = "..." }`.
    Path(String),
    /// `"version"` from a registry.
    Version(String),
}

/// The cargo feature that compiles spec module `module`: its name, unless that is one of
/// the crate's own features (those the `Cargo.toml` template declares): then
/// `<module>-spec`.
pub fn module_feature(module: &str) -> String {
    let module = crate::naming::unraw(module);
    let own = CARGO_TOML
        .lines()
        .skip_while(|line| *line != "[features]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
        .any(|key| key == module);
    if own {
        format!("{module}-spec")
    } else {
        module.to_owned()
    }
}

/// What the text templates need to know about the crate. Strings are as given: the
/// templates escape them for where they go.
#[derive(Debug, Clone, Serialize)]
pub struct CrateInfo<'a> {
    /// The package name.
    pub name: &'a str,
    /// The `@generated` line.
    pub generated_by: &'a str,
    /// The command that regenerates the crate.
    pub command: &'a str,
    /// The runtime dependency, rendered as TOML.
    pub runtime: String,
    /// The feature of each spec module, in module order.
    pub module_features: Vec<String>,
}

impl RuntimeDependency {
    /// The TOML value of the dependency, with the runtime features the specs need.
    pub fn toml(&self, features: &[&str]) -> String {
        let features = if features.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = features.iter().map(|f| escape::toml_string(f)).collect();
            format!(", features = [{}]", list.join(", "))
        };
        match self {
            Self::Path(path) => format!(
                "{{ path = {}, version = \"0.1\"{features} }}",
                escape::toml_string(path)
            ),
            Self::Version(version) if features.is_empty() => escape::toml_string(version),
            Self::Version(version) => {
                format!("{{ version = {}{features} }}", escape::toml_string(version))
            }
        }
    }
}

#[derive(Serialize)]
struct SpecRow {
    module: String,
    title: String,
    sources: String,
    signature_header: String,
    events: Vec<EventRow>,
}

#[derive(Serialize)]
struct EventRow {
    variant: String,
    key: String,
    discriminator: String,
    channels: String,
    direction: String,
    payload: String,
    summary: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    // Outside text reaches a template only through these filters (see `escape`).
    env.add_filter("comment", |text: &str| escape::line(text));
    env.add_filter("html_comment", |text: &str| escape::html_comment(text));
    env.add_filter("md_line", |text: &str| escape::markdown_line(text));
    env.add_filter("md_code", |text: &str| escape::markdown_code(text));
    env.add_filter("toml_string", |text: &str| escape::toml_string(text));
    env
}

/// The generated crate's `Cargo.toml`.
pub fn cargo_toml(info: &CrateInfo<'_>) -> Result<String, minijinja::Error> {
    environment().render_str(CARGO_TOML, context! { krate => info })
}

/// The generated crate's `README.md`, with a table of events per spec.
pub fn readme(info: &CrateInfo<'_>, specs: &[ir::Spec]) -> Result<String, minijinja::Error> {
    let rows: Vec<SpecRow> = specs.iter().map(spec_row).collect();
    environment().render_str(README_MD, context! { krate => info, specs => rows })
}

fn spec_row(spec: &ir::Spec) -> SpecRow {
    let events = spec
        .messages
        .iter()
        .enumerate()
        .map(|(index, m)| {
            let on: Vec<&ir::Channel> = spec
                .channels
                .iter()
                .filter(|c| c.messages.contains(&index))
                .collect();
            let event = spec
                .event_header_of(index)
                .map(|(header, event)| escape::markdown_code(&format!("{header}: {event}")));
            let field = on
                .iter()
                .find_map(|c| c.decode.field_of(index))
                .filter(|_| !m.discriminator_values.is_empty())
                .map(|field| {
                    let values: Vec<String> = m
                        .discriminator_values
                        .iter()
                        .map(|v| escape::markdown_code(v))
                        .collect();
                    format!("{} = {}", escape::markdown_code(field), values.join(", "))
                });
            let selectors: Vec<String> = event.into_iter().chain(field).collect();
            let discriminator = if selectors.is_empty() {
                "(the channel)".to_owned()
            } else {
                selectors.join(", ")
            };
            let direction: Vec<String> = on
                .iter()
                .flat_map(|c| c.operations.iter())
                .filter(|o| o.messages.contains(&index))
                .map(|o| {
                    format!(
                        "{} → {}",
                        escape::markdown_line(&o.sender),
                        escape::markdown_line(&o.receiver)
                    )
                })
                .collect();
            let channels: Vec<String> = on
                .iter()
                .map(|c| {
                    c.address
                        .as_deref()
                        .map_or_else(|| "(dynamic)".to_owned(), escape::markdown_code)
                })
                .collect();
            EventRow {
                variant: m.variant.clone(),
                key: m.key.clone(),
                discriminator,
                channels: channels.join(", "),
                direction: direction.join("; "),
                payload: super::rust::type_text(spec, &m.payload),
                summary: m.summary.clone(),
            }
        })
        .collect();
    SpecRow {
        module: spec.module.clone(),
        title: spec.title.clone(),
        sources: spec.sources.join(" + "),
        signature_header: spec
            .signature
            .as_ref()
            .map(|s| s.header.clone())
            .unwrap_or_default(),
        events,
    }
}
