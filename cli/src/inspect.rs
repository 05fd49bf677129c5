//! Inspect: a spec's channels, messages and examples at run time, without generated
//! code, for the developer commands (`listen` tells which message a body is; `send-test`
//! takes the examples). Messages are identified by the decode plan the generated
//! `decode` follows ([`ir::DecodePlan`]), payloads fitted by their JSON Schema.

use serde_json::Value;

use hookgen::__private::ir::{self, DecodePlan, Spec};
use hookgen::__private::json_schema::Validators;
use hookgen::{Diagnostic, Diagnostics, SpecFile};

/// A compiled spec with validators for its payload schemas.
pub struct Inspector {
    /// The spec.
    pub spec: Spec,
    validators: Validators,
    /// The channel templates (made `'static` once), indexed by the runtime's matcher.
    templates: hookgen_runtime::routing::TemplateIndex,
}

/// Why a body is none of some messages.
enum Unfit {
    /// It fits none of them (the message says which were tried).
    None(String),
    /// It fits more than one.
    Several(String),
}

impl Unfit {
    /// The explanation shown to the user.
    fn reason(self) -> String {
        match self {
            Unfit::None(reason) | Unfit::Several(reason) => reason,
        }
    }
}

/// What a body received on a channel is.
#[derive(Debug, Clone, PartialEq)]
pub enum Identified {
    /// A message of the spec (its name).
    Message(String),
    /// An event the spec does not list: what its event header named (on a channel that
    /// has one) and its discriminator value, each if any.
    Unknown {
        /// The event header's value.
        event: Option<String>,
        /// The discriminator value.
        discriminator: Option<String>,
    },
}

impl Inspector {
    /// Compiles `file` and prepares its payload validators.
    pub fn new(file: &SpecFile) -> Result<Self, Diagnostics> {
        Self::with_leniency(file, None)
    }

    /// [`Self::new`], fitting payloads under `leniency` instead of the spec's own
    /// `x-hookgen.receive` (to weigh a receive rule before adopting it).
    pub fn with_leniency(
        file: &SpecFile,
        leniency: Option<hookgen::leniency::Leniency>,
    ) -> Result<Self, Diagnostics> {
        let document = hookgen::__private::read_checked(file)?;
        let spec = hookgen::__private::compile(file)?;
        let leniency = leniency.unwrap_or_else(|| document.leniency());
        let validators = Validators::decoding(&document.root, &leniency)
            .map_err(|e| Diagnostic::at(&file.display, "", e))?;
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

    /// Which message of channel `channel` a request with `headers` and the JSON `body`
    /// is, by the channel's decode plan (the one the generated `decode` follows),
    /// payloads fitted by their JSON Schema as the generated types read it
    /// ([`Validators::decoding`]).
    pub fn identify(
        &self,
        channel: usize,
        headers: &dyn hookgen_runtime::Headers,
        body: &Value,
    ) -> Result<Identified, String> {
        let channel = self.spec.channels.get(channel).ok_or("no such channel")?;
        self.follow(&channel.decode, None, headers, body)
    }

    /// [`identify`](Self::identify) by `plan`; `event` is what an event header named.
    fn follow(
        &self,
        plan: &DecodePlan,
        event: Option<&str>,
        headers: &dyn hookgen_runtime::Headers,
        body: &Value,
    ) -> Result<Identified, String> {
        let unknown = |discriminator: Option<&str>| Identified::Unknown {
            event: event.map(str::to_owned),
            discriminator: discriminator.map(str::to_owned),
        };
        match plan {
            DecodePlan::KeepUnknown => Ok(unknown(None)),
            DecodePlan::Fit(candidates) => self.fit(candidates, body).map_err(Unfit::reason),
            DecodePlan::ByField {
                field,
                values,
                absent,
                unlisted,
            } => match body.get(field).and_then(Value::as_str) {
                Some(tag) => match values.iter().find(|(v, _)| v == tag) {
                    Some((_, claimants)) => self.fit(claimants, body).map_err(Unfit::reason),
                    None if unlisted.is_empty() => Ok(unknown(Some(tag))),
                    None => match self.fit(unlisted, body) {
                        Err(Unfit::None(_)) => Ok(unknown(Some(tag))),
                        other => other.map_err(Unfit::reason),
                    },
                },
                None if absent.is_empty() => {
                    Err(format!("no `{field}` field to tell the messages apart"))
                }
                None => self.fit(absent, body).map_err(Unfit::reason),
            },
            DecodePlan::ByEvent { header, events } => {
                let Some(named) = headers.header(header) else {
                    return Err(format!("no `{header}` header to name the event"));
                };
                match events.iter().find(|(e, _)| e == named) {
                    Some((_, plan)) => self.follow(plan, Some(named), headers, body),
                    None => Ok(Identified::Unknown {
                        event: Some(named.to_owned()),
                        discriminator: None,
                    }),
                }
            }
        }
    }

    /// The one message of `candidates` whose payload schema `body` fits.
    fn fit(&self, candidates: &[usize], body: &Value) -> Result<Identified, Unfit> {
        let fitting: Vec<&str> = candidates
            .iter()
            .map(|i| &self.spec.messages[*i])
            .filter(|m| match &m.payload_schema {
                Some(at) => self.validators.at(at).is_ok_and(|v| v.is_valid(body)),
                // No JSON Schema: any JSON fits, as the generated type is raw JSON.
                None => true,
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
                // One candidate: say where the body departs from it, as `decode` does.
                let departs = match candidates {
                    [only] => self.spec.messages[*only]
                        .payload_schema
                        .as_ref()
                        .and_then(|at| self.validators.at(at).ok())
                        .and_then(|v| {
                            v.validate(body).err().map(|e| {
                                let path = e.instance_path().to_string();
                                let path = if path.is_empty() {
                                    "/".to_owned()
                                } else {
                                    path
                                };
                                let reason: String = e.to_string().chars().take(160).collect();
                                format!(": at `{path}`, {reason}")
                            })
                        })
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                Err(Unfit::None(format!(
                    "the body fits none of {} (payload schema){departs}",
                    names.join(", ")
                )))
            }
            several => Err(Unfit::Several(format!(
                "the body fits several messages: {}",
                several.join(", ")
            ))),
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
