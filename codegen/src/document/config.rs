//! `x-hookgen`: what a spec (or its overlay) tells Hookgen beyond AsyncAPI, as a typed
//! configuration. Unknown keys and values are refused with the pointer of the first
//! one; every preset and default is defined here and nowhere else.

use serde::Deserialize;
use serde_json::Value;

use crate::diagnostics::{Diagnostic, child};

/// The root `x-hookgen` mapping.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// The party the spec describes (default: "the application").
    pub application: Option<String>,
    /// The party on the other side (default: "other parties").
    pub peer: Option<String>,
    /// How deliveries are signed.
    pub signature: Option<SignatureConfig>,
    /// The provider's delivery rules.
    pub delivery: Option<DeliveryConfig>,
}

impl Config {
    /// Reads `x-hookgen` (found at `/x-hookgen` of `file`); absent is the default.
    pub fn read(value: Option<&Value>, file: &str) -> Result<Self, Diagnostic> {
        let Some(value) = value else {
            return Ok(Self::default());
        };
        let config: Self = deserialize(value, "/x-hookgen", file)?;
        if let Some(delivery) = &config.delivery {
            delivery.check(file)?;
        }
        Ok(config)
    }

    /// The party the spec describes.
    pub fn application(&self) -> &str {
        self.application.as_deref().unwrap_or("the application")
    }

    /// The party on the other side.
    pub fn peer(&self) -> &str {
        self.peer.as_deref().unwrap_or("other parties")
    }
}

/// `x-hookgen.signature` as written: every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SignatureConfig {
    /// A preset that fills in every key the spec leaves out.
    pub scheme: Option<Preset>,
    /// The signature header (default: the spec's `httpApiKey` header security scheme).
    pub header: Option<String>,
    /// The MAC algorithm.
    pub algorithm: Option<Algorithm>,
    /// How the MAC is written.
    pub encoding: Option<Encoding>,
    /// A fixed prefix before each encoded MAC.
    pub prefix: Option<String>,
    /// What the secret is.
    pub secret: Option<SecretFormat>,
    /// What is signed.
    pub signed: Option<Signed>,
    /// The message id header.
    pub id_header: Option<String>,
    /// The timestamp header.
    pub timestamp_header: Option<String>,
    /// The separator of several signatures in one header.
    pub separator: Option<char>,
    /// How old a signed timestamp may be, in seconds.
    pub tolerance_seconds: Option<u64>,
}

/// A named set of signature settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// <https://www.standardwebhooks.com>: `webhook-signature: v1,<base64>`.
    StandardWebhooks,
}

/// A MAC algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// HMAC-SHA256.
    HmacSha256,
}

/// How a MAC is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Hexadecimal.
    Hex,
    /// Base64.
    Base64,
}

/// What a secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretFormat {
    /// Its bytes are the key.
    Bytes,
    /// `whsec_` then the key in base64.
    WhsecBase64,
}

/// What a MAC covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Signed {
    /// The body alone.
    #[serde(rename = "body")]
    Body,
    /// `id.timestamp.body`.
    #[serde(rename = "id.timestamp.body")]
    IdTimestampBody,
}

/// A signature scheme with its preset and defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureSettings {
    /// The header, if the spec or the preset names one.
    pub header: Option<String>,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The encoding.
    pub encoding: Encoding,
    /// The prefix (empty: none).
    pub prefix: String,
    /// The secret format.
    pub secret: SecretFormat,
    /// What is signed.
    pub signed: Signed,
    /// The id header (empty: none).
    pub id_header: String,
    /// The timestamp header (empty: none).
    pub timestamp_header: String,
    /// The separator of several signatures.
    pub separator: Option<char>,
    /// The timestamp tolerance.
    pub tolerance_seconds: Option<u64>,
}

impl SignatureConfig {
    /// The settings: the spec's keys, else its preset's, else the defaults. The one
    /// place presets and defaults are applied, for checking and for lowering.
    pub fn settings(&self) -> SignatureSettings {
        let standard = self.scheme == Some(Preset::StandardWebhooks);
        let preset = |value: &'static str| standard.then(|| value.to_owned());
        SignatureSettings {
            header: self.header.clone().or_else(|| preset("webhook-signature")),
            algorithm: self.algorithm.unwrap_or(Algorithm::HmacSha256),
            encoding: self.encoding.unwrap_or(if standard {
                Encoding::Base64
            } else {
                Encoding::Hex
            }),
            prefix: self
                .prefix
                .clone()
                .or_else(|| preset("v1,"))
                .unwrap_or_default(),
            secret: self.secret.unwrap_or(if standard {
                SecretFormat::WhsecBase64
            } else {
                SecretFormat::Bytes
            }),
            signed: self.signed.unwrap_or(if standard {
                Signed::IdTimestampBody
            } else {
                Signed::Body
            }),
            id_header: self
                .id_header
                .clone()
                .or_else(|| preset("webhook-id"))
                .unwrap_or_default(),
            timestamp_header: self
                .timestamp_header
                .clone()
                .or_else(|| preset("webhook-timestamp"))
                .unwrap_or_default(),
            separator: self.separator.or(standard.then_some(' ')),
            tolerance_seconds: self.tolerance_seconds.or(standard.then_some(300)),
        }
    }
}

/// `x-hookgen.delivery`: the provider's delivery rules as its docs state them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeliveryConfig {
    /// Attempts in all (default 1).
    pub attempts: Option<u32>,
    /// Waits between attempts, in seconds.
    #[serde(default)]
    pub backoff_seconds: Vec<f64>,
    /// Per-attempt timeout in seconds.
    pub timeout_seconds: Option<f64>,
    /// What counts as success.
    pub success: Option<String>,
    /// When the sender retries.
    pub retry_on: Option<String>,
    /// Anything else.
    pub notes: Option<String>,
}

impl DeliveryConfig {
    /// Attempts in all: one unless the spec says more.
    pub fn attempts(&self) -> u32 {
        self.attempts.unwrap_or(1)
    }

    fn check(&self, file: &str) -> Result<(), Diagnostic> {
        let at = "/x-hookgen/delivery";
        let usable = |s: f64| s.is_finite() && (0.0..=86_400.0 * 365.0).contains(&s);
        if let Some(i) = self.backoff_seconds.iter().position(|s| !usable(*s)) {
            return Err(Diagnostic::at(
                file,
                &child(&child(at, "backoff-seconds"), &i.to_string()),
                "a wait must be a number of seconds from 0 to a year",
            ));
        }
        if self.timeout_seconds.is_some_and(|s| !usable(s)) {
            return Err(Diagnostic::at(
                file,
                &child(at, "timeout-seconds"),
                "a timeout must be a number of seconds from 0 to a year",
            ));
        }
        Ok(())
    }
}

/// Deserializes `value` (at `pointer`) into `T`, or says where and what is wrong.
fn deserialize<T: for<'de> Deserialize<'de>>(
    value: &Value,
    pointer: &str,
    file: &str,
) -> Result<T, Diagnostic> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut at = pointer.to_owned();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => at = child(&at, key),
                serde_path_to_error::Segment::Seq { index } => at = child(&at, &index.to_string()),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        Diagnostic::at(file, &at, format!("in `x-hookgen`: {}", e.into_inner()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_and_values_are_refused_where_they_are() {
        let error = |v: Value| Config::read(Some(&v), "t.yaml").unwrap_err();
        let e = error(json!({"signature": {"scheme": "standard-webhooks", "hedaer": "x"}}));
        assert_eq!(e.pointer, "/x-hookgen/signature/hedaer");
        assert!(
            e.message.contains("unknown field `hedaer`"),
            "{}",
            e.message
        );
        let e = error(json!({"signature": {"encoding": "base32"}}));
        assert_eq!(e.pointer, "/x-hookgen/signature/encoding");
        assert!(e.message.contains("base32"), "{}", e.message);
        let e = error(json!({"delivery": {"backoff-seconds": [1, -2]}}));
        assert_eq!(e.pointer, "/x-hookgen/delivery/backoff-seconds/1");
        let e = error(json!({"colour": "blue"}));
        assert_eq!(e.pointer, "/x-hookgen/colour");
    }

    #[test]
    fn the_preset_fills_what_the_spec_leaves_out() {
        let config: SignatureConfig =
            serde_json::from_value(json!({"scheme": "standard-webhooks", "tolerance-seconds": 60}))
                .unwrap();
        let settings = config.settings();
        assert_eq!(settings.header.as_deref(), Some("webhook-signature"));
        assert_eq!(settings.tolerance_seconds, Some(60));
        assert_eq!(settings.signed, Signed::IdTimestampBody);
        let plain = SignatureConfig::default().settings();
        assert_eq!(
            (plain.encoding, plain.signed),
            (Encoding::Hex, Signed::Body)
        );
        assert_eq!(plain.header, None);
    }
}
