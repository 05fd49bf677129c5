//! Inspect: a spec's channels, messages and examples at run time, without generated
//! code, for the developer commands (`listen` tells which message a body is; `send-test`
//! takes the examples). Messages are identified by the same rules the generated `decode`
//! uses: the channel, the discriminator value, then the payload schemas.

use serde_json::Value;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::ir::{self, Spec};
use crate::json_schema::Validators;
use crate::load::SpecFile;

/// A compiled spec with validators for its payload schemas.
pub struct Inspector {
    /// The spec.
    pub spec: Spec,
    validators: Validators,
    /// The channel templates (made `'static` once), indexed by the runtime's matcher.
    templates: hookgen_runtime::routing::TemplateIndex,
}

/// What a body received on a channel is.
#[derive(Debug, Clone, PartialEq)]
pub enum Identified {
    /// A message of the spec (its name).
    Message(String),
    /// A discriminator value the spec does not list.
    Unknown(Option<String>),
}

impl Inspector {
    /// Compiles `file` and prepares its payload validators.
    pub fn new(file: &SpecFile) -> Result<Self, Diagnostics> {
        let document = crate::read_checked(file)?;
        let spec = crate::compile(file)?;
        let validators =
            Validators::new(&document.root).map_err(|e| Diagnostic::at(&file.display, "", e))?;
        let templates =
            hookgen_runtime::routing::TemplateIndex::sparse(spec.channels.iter().map(|c| {
                c.address
                    .as_deref()
                    .map(|a| &*Box::leak(a.to_owned().into_boxed_str()))
            }));
        Ok(Self {
            spec,
            validators,
            templates,
        })
    }

    /// The channel whose template matches `path`, and the parameter values.
    pub fn route(&self, path: &str) -> Option<(usize, Vec<(String, String)>)> {
        let (index, params) = self.templates.find(path)?;
        Some((
            index,
            params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ))
    }

    /// Which message of channel `channel` the JSON `body` is.
    pub fn identify(&self, channel: usize, body: &Value) -> Result<Identified, String> {
        let channel = self.spec.channels.get(channel).ok_or("no such channel")?;
        let tag = channel
            .discriminator
            .as_ref()
            .and_then(|field| body.get(field))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let listed: Vec<usize> = match &tag {
            Some(value) => channel
                .messages
                .iter()
                .copied()
                .filter(|i| self.spec.messages[*i].discriminator_values.contains(value))
                .collect(),
            None => Vec::new(),
        };
        let candidates: Vec<usize> = if listed.is_empty() {
            let untagged: Vec<usize> = channel
                .messages
                .iter()
                .copied()
                .filter(|i| self.spec.messages[*i].discriminator_values.is_empty())
                .collect();
            if tag.is_some() && untagged.is_empty() {
                return Ok(Identified::Unknown(tag));
            }
            if tag.is_none() && untagged.is_empty() && channel.messages.len() == 1 {
                channel.messages.clone()
            } else if untagged.is_empty() {
                return Err(format!(
                    "no `{}` field to tell the messages apart",
                    channel.discriminator.as_deref().unwrap_or("")
                ));
            } else {
                untagged
            }
        } else {
            listed
        };
        let fitting: Vec<&str> = candidates
            .iter()
            .map(|i| &self.spec.messages[*i])
            .filter(|m| {
                m.payload_schema
                    .as_deref()
                    .is_some_and(|at| self.validators.at(at).is_ok_and(|v| v.is_valid(body)))
            })
            .map(|m| m.key.as_str())
            .collect();
        match fitting.as_slice() {
            [one] => Ok(Identified::Message((*one).to_owned())),
            [] => {
                let names: Vec<&str> = candidates
                    .iter()
                    .map(|i| self.spec.messages[*i].key.as_str())
                    .collect();
                Err(format!(
                    "the body fits none of {} (payload schema)",
                    names.join(", ")
                ))
            }
            several => Err(format!(
                "the body fits several messages: {}",
                several.join(", ")
            )),
        }
    }

    /// Every message example: message name, a concrete channel address, and the payload.
    pub fn examples(&self) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (index, message) in self.spec.messages.iter().enumerate() {
            let Some(address) = self
                .spec
                .channels
                .iter()
                .filter(|c| c.messages.contains(&index))
                .find_map(ir::Channel::sample_address)
            else {
                continue;
            };
            for example in &message.examples {
                out.push((
                    message.key.clone(),
                    address.clone(),
                    example.payload.clone(),
                ));
            }
        }
        out
    }
}
