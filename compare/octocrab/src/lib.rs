//! Both ways to receive a GitHub delivery, each as a receiver runs it: verify
//! `X-Hub-Signature-256` over the raw body, then decode by `X-GitHub-Event`.
//!
//! - Hookgen: the generated `webhooks::github` module (`verify` + `decode_request`);
//! - octocrab: `hmac` + `sha2` for the signature (octocrab verifies none), then
//!   `WebhookEvent::try_from_header_and_body`, its hand-written types.

use std::path::PathBuf;

use hmac::{Hmac, Mac};
use octocrab::models::webhook_events::{WebhookEvent, WebhookEventPayload};
use serde_json::Value;
use sha2::Sha256;
use webhooks::github;

/// The secret every example is signed with.
pub const SECRET: &[u8] = b"It's a Secret to Everybody";

/// One real delivery: its event header, the action it carries, its body and signature.
pub struct Delivery {
    /// `X-GitHub-Event`.
    pub event: String,
    /// The body's `action`, if any.
    pub action: Option<String>,
    /// The raw body.
    pub body: Vec<u8>,
    /// `X-Hub-Signature-256`.
    pub signature: String,
}

/// GitHub's examples (`../shared/corpus/openapi/github/examples.json`, or under
/// `HOOKGEN_CORPUS`), signed; `None` when the corpus is absent.
pub fn deliveries() -> Option<Vec<Delivery>> {
    let corpus = std::env::var_os("HOOKGEN_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(corpus.join("openapi/github/examples.json")).ok()?;
    let events: Vec<Value> = serde_json::from_str(&text).ok()?;
    let mut out = Vec::new();
    for entry in &events {
        let event = entry["name"].as_str()?.to_owned();
        for example in entry["examples"].as_array().into_iter().flatten() {
            let body = serde_json::to_vec(example).ok()?;
            out.push(Delivery {
                event: event.clone(),
                action: example
                    .get("action")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                signature: github::sign(SECRET, &body),
                body,
            });
        }
    }
    Some(out)
}

/// Hookgen: verified, then decoded into its specific message (`None` for an unknown
/// event or a body that is not one of its messages).
pub fn hookgen(delivery: &Delivery) -> Option<github::Message> {
    github::verify(SECRET, &delivery.signature, &delivery.body).ok()?;
    let headers = [("X-GitHub-Event", delivery.event.as_str())];
    let message = github::decode_request("/github", &headers, &delivery.body).ok()?;
    message.info().is_some().then_some(message)
}

/// octocrab: verified by hand, then decoded into a specific payload (`None` when it
/// fails or falls back to its untyped `Unknown`).
pub fn octocrab(delivery: &Delivery) -> Option<WebhookEvent> {
    let hex = delivery.signature.strip_prefix("sha256=")?;
    let signature = hex::decode(hex).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).ok()?;
    mac.update(&delivery.body);
    mac.verify_slice(&signature).ok()?;
    let event = WebhookEvent::try_from_header_and_body(&delivery.event, &delivery.body).ok()?;
    (!matches!(event.specific, WebhookEventPayload::Unknown(_))).then_some(event)
}
