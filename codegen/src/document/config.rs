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
    /// The address of the one channel an OpenAPI document's webhooks arrive at (default
    /// `/webhooks`); not read from AsyncAPI documents, whose channels have addresses.
    pub address: Option<String>,
    /// The request header that names the event of each webhook of an OpenAPI document
    /// (GitHub's `X-GitHub-Event`). Each webhook's event is its operation's
    /// `x-hookgen-event`, else its `operationId` up to the first `/` (else its key), with
    /// `-` written `_` (`issues/opened` → `issues`); decoding matches the header first,
    /// then the payload discriminator among that event's webhooks (GitHub's `action`).
    pub event_header: Option<String>,
    /// How deliveries are signed.
    pub signature: Option<SignatureConfig>,
    /// The provider's delivery rules.
    pub delivery: Option<DeliveryConfig>,
    /// What real deliveries do that the spec does not say.
    pub receive: Option<ReceiveConfig>,
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
    /// The signature algorithm.
    pub algorithm: Option<Algorithm>,
    /// How the signature is written.
    pub encoding: Option<Encoding>,
    /// A fixed prefix before each encoded signature.
    pub prefix: Option<String>,
    /// What the secret is.
    pub secret: Option<SecretFormat>,
    /// What is signed: a template of `{id}`, `{timestamp}`, `{body}` and fixed text.
    pub signed: Option<Signed>,
    /// The message id header.
    pub id_header: Option<String>,
    /// The timestamp header.
    pub timestamp_header: Option<String>,
    /// The start of the signature header's entry that holds the timestamp (`t=`).
    pub timestamp_entry: Option<String>,
    /// The separator of the entries of the signature header.
    pub separator: Option<char>,
    /// How old a signed timestamp may be, in seconds.
    pub tolerance_seconds: Option<u64>,
}

/// A named set of signature settings: a provider's scheme, written once here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// <https://www.standardwebhooks.com>: `webhook-signature: v1,<base64>` HMAC-SHA256.
    StandardWebhooks,
    /// Standard Webhooks `v1a`: `webhook-signature: v1a,<base64>` Ed25519 signatures.
    StandardWebhooksV1a,
    /// Stripe: `Stripe-Signature: t=<time>,v1=<hex>` over `{timestamp}.{body}`.
    Stripe,
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body.
    Github,
    /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:{timestamp}:{body}`.
    Slack,
    /// Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body.
    Shopify,
}

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    /// HMAC-SHA256.
    HmacSha256,
    /// Ed25519.
    Ed25519,
}

/// How a signature is written.
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
    /// An Ed25519 key in base64: `whpk_` public keys verify, `whsk_` secret keys sign.
    Ed25519Base64,
}

/// One part of what a signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedPart {
    /// The message id.
    Id,
    /// The timestamp.
    Timestamp,
    /// The raw body.
    Body,
    /// Fixed text.
    Text(String),
}

/// What a signature covers, in order: `{id}.{timestamp}.{body}`, `v0:{timestamp}:{body}`.
/// `body` and `id.timestamp.body` are accepted as shorthands for `{body}` and
/// `{id}.{timestamp}.{body}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed(pub Vec<SignedPart>);

impl Signed {
    /// `{body}`.
    pub fn body() -> Self {
        Self(vec![SignedPart::Body])
    }

    /// Reads a template, or says what is wrong with it.
    pub fn parse(template: &str) -> Result<Self, String> {
        match template {
            "body" => return Ok(Self::body()),
            "id.timestamp.body" => return Self::parse("{id}.{timestamp}.{body}"),
            _ => {}
        }
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            let text_end = rest.find(['{', '}']).unwrap_or(rest.len());
            if text_end > 0 {
                parts.push(SignedPart::Text(rest[..text_end].to_owned()));
            }
            rest = &rest[text_end..];
            if rest.starts_with('}') {
                return Err("a `}` without its `{`".to_owned());
            }
            if let Some(inner) = rest.strip_prefix('{') {
                let Some((name, after)) = inner.split_once('}') else {
                    return Err("a `{` without its `}`".to_owned());
                };
                parts.push(match name {
                    "id" => SignedPart::Id,
                    "timestamp" => SignedPart::Timestamp,
                    "body" => SignedPart::Body,
                    other => {
                        return Err(format!(
                            "unknown part `{{{other}}}`: the parts are {{id}}, {{timestamp}} and {{body}}"
                        ));
                    }
                });
                rest = after;
            }
        }
        Ok(Self(parts))
    }

    /// Whether `part` is signed.
    pub fn has(&self, part: &SignedPart) -> bool {
        self.0.contains(part)
    }
}

impl<'de> Deserialize<'de> for Signed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let template = String::deserialize(deserializer)?;
        Self::parse(&template).map_err(serde::de::Error::custom)
    }
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
    /// The timestamp entry of the signature header (empty: none).
    pub timestamp_entry: String,
    /// The separator of several entries.
    pub separator: Option<char>,
    /// The timestamp tolerance.
    pub tolerance_seconds: Option<u64>,
}

impl Default for SignatureSettings {
    /// No preset: a lowercase hex HMAC-SHA256 of the body, keyed with the secret's bytes.
    fn default() -> Self {
        Self {
            header: None,
            algorithm: Algorithm::HmacSha256,
            encoding: Encoding::Hex,
            prefix: String::new(),
            secret: SecretFormat::Bytes,
            signed: Signed::body(),
            id_header: String::new(),
            timestamp_header: String::new(),
            timestamp_entry: String::new(),
            separator: None,
            tolerance_seconds: None,
        }
    }
}

impl Preset {
    /// The settings this preset stands for, from the provider's documentation.
    pub fn settings(self) -> SignatureSettings {
        use SignedPart::{Body, Id, Timestamp};
        let text = |s: &str| s.to_owned();
        let fixed = |s: &str| SignedPart::Text(s.to_owned());
        let standard = SignatureSettings {
            header: Some(text("webhook-signature")),
            encoding: Encoding::Base64,
            prefix: text("v1,"),
            secret: SecretFormat::WhsecBase64,
            signed: Signed(vec![Id, fixed("."), Timestamp, fixed("."), Body]),
            id_header: text("webhook-id"),
            timestamp_header: text("webhook-timestamp"),
            separator: Some(' '),
            tolerance_seconds: Some(300),
            ..SignatureSettings::default()
        };
        match self {
            Self::StandardWebhooks => standard,
            Self::StandardWebhooksV1a => SignatureSettings {
                algorithm: Algorithm::Ed25519,
                prefix: text("v1a,"),
                secret: SecretFormat::Ed25519Base64,
                ..standard
            },
            // https://docs.stripe.com/webhooks#verify-manually: the secret (`whsec_…`
            // included) is the key as it is written.
            Self::Stripe => SignatureSettings {
                header: Some(text("Stripe-Signature")),
                prefix: text("v1="),
                signed: Signed(vec![Timestamp, fixed("."), Body]),
                timestamp_entry: text("t="),
                separator: Some(','),
                tolerance_seconds: Some(300),
                ..SignatureSettings::default()
            },
            // https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries
            Self::Github => SignatureSettings {
                header: Some(text("X-Hub-Signature-256")),
                prefix: text("sha256="),
                id_header: text("X-GitHub-Delivery"),
                ..SignatureSettings::default()
            },
            // https://api.slack.com/authentication/verifying-requests-from-slack
            Self::Slack => SignatureSettings {
                header: Some(text("X-Slack-Signature")),
                prefix: text("v0="),
                signed: Signed(vec![fixed("v0:"), Timestamp, fixed(":"), Body]),
                timestamp_header: text("X-Slack-Request-Timestamp"),
                tolerance_seconds: Some(300),
                ..SignatureSettings::default()
            },
            // https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify
            Self::Shopify => SignatureSettings {
                header: Some(text("X-Shopify-Hmac-Sha256")),
                encoding: Encoding::Base64,
                id_header: text("X-Shopify-Webhook-Id"),
                ..SignatureSettings::default()
            },
        }
    }
}

impl SignatureConfig {
    /// The settings: the spec's keys, else its preset's, else the defaults. The one
    /// place presets and defaults are applied, for checking and for lowering.
    pub fn settings(&self) -> SignatureSettings {
        let base = self.scheme.map(Preset::settings).unwrap_or_default();
        SignatureSettings {
            header: self.header.clone().or(base.header),
            algorithm: self.algorithm.unwrap_or(base.algorithm),
            encoding: self.encoding.unwrap_or(base.encoding),
            prefix: self.prefix.clone().unwrap_or(base.prefix),
            secret: self.secret.unwrap_or(base.secret),
            signed: self.signed.clone().unwrap_or(base.signed),
            id_header: self.id_header.clone().unwrap_or(base.id_header),
            timestamp_header: self
                .timestamp_header
                .clone()
                .unwrap_or(base.timestamp_header),
            timestamp_entry: self.timestamp_entry.clone().unwrap_or(base.timestamp_entry),
            separator: self.separator.or(base.separator),
            tolerance_seconds: self.tolerance_seconds.or(base.tolerance_seconds),
        }
    }
}

/// `x-hookgen.receive`: where the provider's real deliveries and its spec differ, as
/// the overlay states it (the spec itself is followed everywhere else).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ReceiveConfig {
    /// Properties the spec requires that deliveries may lack (fields added to a schema
    /// after its event was first sent): in every schema, a required property of one of
    /// these names is typed `Option` (absent stays absent when serialized again).
    #[serde(default)]
    pub optional: Vec<String>,
    /// Which required properties deliveries may lack, by their shape (see
    /// [`crate::leniency::TrustRequired`]; default `all`: none).
    #[serde(default)]
    pub trust_required: crate::leniency::TrustRequired,
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
        let within =
            |s: f64, range: std::ops::RangeInclusive<f64>| s.is_finite() && range.contains(&s);
        if self
            .attempts
            .is_some_and(|n| !(1..=Self::MAX_ATTEMPTS).contains(&n))
        {
            return Err(Diagnostic::at(
                file,
                &child(at, "attempts"),
                "attempts must be from 1 to 50: a sender makes no more requests for one delivery",
            ));
        }
        if let Some(i) = self
            .backoff_seconds
            .iter()
            .position(|s| !within(*s, Self::WAIT_SECONDS))
        {
            return Err(Diagnostic::at(
                file,
                &child(&child(at, "backoff-seconds"), &i.to_string()),
                "a wait must be a number of seconds from 1 to 86400 (a day): a sender never retries at once",
            ));
        }
        if self
            .timeout_seconds
            .is_some_and(|s| !within(s, Self::TIMEOUT_SECONDS))
        {
            return Err(Diagnostic::at(
                file,
                &child(at, "timeout-seconds"),
                "a timeout must be a number of seconds from 1 to 300",
            ));
        }
        Ok(())
    }

    /// The most attempts a spec may ask for (the runtime's `sender::MAX_ATTEMPTS`).
    pub const MAX_ATTEMPTS: u32 = 50;
    /// The waits a spec may ask for between attempts, in seconds.
    const WAIT_SECONDS: std::ops::RangeInclusive<f64> = 1.0..=86_400.0;
    /// The per-attempt timeouts a spec may ask for, in seconds.
    const TIMEOUT_SECONDS: std::ops::RangeInclusive<f64> = 1.0..=300.0;
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
        assert_eq!(
            settings.signed.0,
            [
                SignedPart::Id,
                SignedPart::Text(".".into()),
                SignedPart::Timestamp,
                SignedPart::Text(".".into()),
                SignedPart::Body
            ]
        );
        let plain = SignatureConfig::default().settings();
        assert_eq!(
            (plain.encoding, plain.signed),
            (Encoding::Hex, Signed::body())
        );
        assert_eq!(plain.header, None);
    }

    #[test]
    fn signed_templates_read_their_parts_and_refuse_others() {
        let parts = Signed::parse("v0:{timestamp}:{body}").unwrap().0;
        assert_eq!(
            parts,
            [
                SignedPart::Text("v0:".into()),
                SignedPart::Timestamp,
                SignedPart::Text(":".into()),
                SignedPart::Body
            ]
        );
        assert_eq!(
            Signed::parse("id.timestamp.body"),
            Signed::parse("{id}.{timestamp}.{body}")
        );
        assert_eq!(Signed::parse("body"), Ok(Signed::body()));
        for (bad, why) in [
            ("{time}.{body}", "unknown part `{time}`"),
            ("{body", "without its `}`"),
            ("body}", "without its `{`"),
        ] {
            let e = Signed::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = Config::read(
            Some(&json!({"signature": {"signed": "{nonce}{body}"}})),
            "t.yaml",
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/x-hookgen/signature/signed");
    }
}
