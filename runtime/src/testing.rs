//! Test helpers (feature `testing`): deliveries signed exactly as the provider signs
//! them, for any message or spec example, with a chosen secret, id and timestamp, and
//! deliberately broken ones, so a handler and a receiver can be tested without the
//! provider. A spec module's `test_signer(secret)` makes a [`TestSigner`] for its scheme,
//! channels and examples; its `Message::signed` signs a message.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::decode::MessageInfo;
use crate::routing::Channel;
use crate::signature::{Clock, SignatureError, SignatureScheme, SystemClock};

/// A delivery as it goes on the wire: where it is posted, its headers and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    /// The request path (a channel address with its parameters filled in).
    pub path: String,
    /// The headers the provider sends: the signature, and the id and timestamp headers
    /// of schemes that have them, `content-type`, and the event header of a channel that
    /// names its events in one.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl SignedDelivery {
    /// The value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::decode::Headers::header(&self.headers, name)
    }

    /// The delivery as an HTTP request, to call a receiver service directly.
    #[cfg(feature = "tower")]
    pub fn http_request(&self) -> http::Request<http_body_util::Full<bytes::Bytes>> {
        let mut request = http::Request::new(http_body_util::Full::new(bytes::Bytes::from(
            self.body.clone(),
        )));
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() =
            http::Uri::try_from(self.path.as_str()).unwrap_or_else(|_| http::Uri::from_static("/"));
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::try_from(name.as_str()),
                http::HeaderValue::try_from(value.as_str()),
            ) {
                request.headers_mut().append(name, value);
            }
        }
        request
    }
}

impl crate::decode::Headers for SignedDelivery {
    fn header(&self, name: &str) -> Option<&str> {
        SignedDelivery::header(self, name)
    }
}

/// What a deliberately broken delivery gets wrong. A receiver must refuse every one
/// with 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breakage {
    /// One character of the signature changed: well formed, but wrong.
    Signature,
    /// The body changed after signing (a space appended: still valid JSON).
    Body,
    /// Signed with another secret.
    Secret,
    /// A timestamp just outside the scheme's tolerance (schemes with a tolerance only).
    Stale,
    /// No signature header.
    Missing,
}

/// Signs deliveries of one spec for tests.
#[derive(Debug, Clone)]
pub struct TestSigner {
    scheme: SignatureScheme,
    channels: &'static [Channel],
    messages: &'static [MessageInfo],
    secret: Vec<u8>,
    id: Option<String>,
    timestamp: Option<i64>,
}

/// Numbers the default message ids of a process (`msg_test_1`, `msg_test_2`, …).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl TestSigner {
    /// A signer for a spec's `scheme`, `channels` and `messages`, signing with `secret`
    /// (for Ed25519, a `whsk_` secret key). A spec module's `test_signer` calls it.
    #[doc(hidden)]
    pub fn new(
        scheme: SignatureScheme,
        channels: &'static [Channel],
        messages: &'static [MessageInfo],
        secret: impl Into<Vec<u8>>,
    ) -> Self {
        Self {
            scheme,
            channels,
            messages,
            secret: secret.into(),
            id: None,
            timestamp: None,
        }
    }

    /// Signs with this message id (default: `msg_test_<n>`, new for each delivery).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Signs with this Unix timestamp (default: now).
    pub fn timestamp(mut self, timestamp: i64) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// `payload` (serialized once, as sent) signed for the channel that carries the
    /// message `name` (the first channel with an address for an unknown event).
    pub fn sign(
        &self,
        name: Option<&str>,
        payload: &impl serde::Serialize,
    ) -> Result<SignedDelivery, SignatureError> {
        let body = serde_json::to_vec(payload)
            .map_err(|_| SignatureError::Malformed("the payload does not serialize"))?;
        self.sign_message(name, &body)
    }

    /// The `index`th example of message `name` from the spec, signed; `None` when the
    /// spec has no such example.
    pub fn example(
        &self,
        name: &str,
        index: usize,
    ) -> Option<Result<SignedDelivery, SignatureError>> {
        let info = self.messages.iter().find(|m| m.name == name)?;
        let example = info.examples.get(index)?;
        Some(self.sign_message(Some(name), example.as_bytes()))
    }

    /// `body` signed as message `name`: posted to its channel, with the headers its
    /// decoding reads (an event header).
    fn sign_message(
        &self,
        name: Option<&str>,
        body: &[u8],
    ) -> Result<SignedDelivery, SignatureError> {
        let mut delivery = self.sign_body(&self.address_of(name), body)?;
        let info = name.and_then(|name| self.messages.iter().find(|m| m.name == name));
        for (header, value) in info.map_or(&[][..], |m| m.headers) {
            delivery
                .headers
                .push(((*header).to_owned(), (*value).to_owned()));
        }
        Ok(delivery)
    }

    /// `body` posted to `path`, signed.
    pub fn sign_body(&self, path: &str, body: &[u8]) -> Result<SignedDelivery, SignatureError> {
        let id = self
            .id
            .clone()
            .unwrap_or_else(|| format!("msg_test_{}", NEXT_ID.fetch_add(1, Ordering::Relaxed)));
        let timestamp = self.timestamp.unwrap_or_else(|| SystemClock.now_unix());
        let signed = self
            .scheme
            .sign_delivery(&self.secret, &id, timestamp, body)?;
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        headers.extend(
            signed
                .iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned())),
        );
        Ok(SignedDelivery {
            path: path.to_owned(),
            headers,
            body: body.to_vec(),
        })
    }

    /// A copy of what [`sign`](Self::sign) makes with one thing wrong; `None` when the
    /// scheme cannot be broken that way ([`Breakage::Stale`] without a tolerance).
    pub fn broken(
        &self,
        name: Option<&str>,
        payload: &impl serde::Serialize,
        breakage: Breakage,
    ) -> Option<Result<SignedDelivery, SignatureError>> {
        let signer = match breakage {
            Breakage::Secret => {
                let mut other = self.clone();
                other.secret = self.other_secret();
                other
            }
            Breakage::Stale => {
                let tolerance = i64::try_from(self.scheme.tolerance_seconds?).ok()?;
                let now = self.timestamp.unwrap_or_else(|| SystemClock.now_unix());
                self.clone()
                    .timestamp(now.saturating_sub(tolerance).saturating_sub(60))
            }
            _ => self.clone(),
        };
        let mut delivery = match signer.sign(name, payload) {
            Ok(delivery) => delivery,
            Err(e) => return Some(Err(e)),
        };
        let signature_header = self.scheme.header;
        match breakage {
            Breakage::Signature => {
                if let Some((_, value)) = delivery
                    .headers
                    .iter_mut()
                    .find(|(n, _)| n == signature_header)
                {
                    *value = flip_first_digit(value, self.scheme.prefix);
                }
            }
            Breakage::Body => delivery.body.push(b' '),
            Breakage::Missing => delivery.headers.retain(|(n, _)| n != signature_header),
            Breakage::Secret | Breakage::Stale => {}
        }
        Some(Ok(delivery))
    }

    /// A secret in the scheme's format that is not this one.
    fn other_secret(&self) -> Vec<u8> {
        match self.scheme.secret_format {
            crate::SecretFormat::Bytes => [self.secret.as_slice(), b"-other"].concat(),
            // 32 bytes of base64 either way: `whsec_` keys and Ed25519 seeds.
            crate::SecretFormat::WhsecBase64 => {
                b"whsec_b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmchISE=".to_vec()
            }
            crate::SecretFormat::Ed25519Base64 => {
                b"whsk_b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmchISE=".to_vec()
            }
        }
    }

    /// An address of the channel carrying `name` (the first channel with an address for
    /// an unknown event), with the parameters' example values.
    fn address_of(&self, name: Option<&str>) -> String {
        let carries = |channel: &&Channel| {
            name.is_none_or(|name| {
                channel
                    .operations
                    .iter()
                    .any(|op| op.messages.contains(&name))
            })
        };
        let with_address = || self.channels.iter().filter(|c| c.address.is_some());
        with_address()
            .find(carries)
            .or_else(|| with_address().next())
            .and_then(Channel::sample_address)
            .unwrap_or_else(|| "/".to_owned())
    }
}

/// The header value with the first digit of its (last) signature changed to another
/// digit valid in hex and base64 alike, so the value stays well formed but is wrong.
fn flip_first_digit(value: &str, prefix: &str) -> String {
    let start = if prefix.is_empty() {
        0
    } else {
        value.rfind(prefix).map_or(0, |at| at + prefix.len())
    };
    let mut flipped = value.to_owned();
    if let Some(c) = value[start..].chars().next() {
        let other = if c == '0' { "1" } else { "0" };
        flipped.replace_range(start..start + c.len_utf8(), other);
    }
    flipped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::{Action, Operation, Parameter};
    use crate::signature::{SignedPart, SignedRequest};

    static PARAMETERS: [Parameter; 1] = [Parameter {
        name: "tenant",
        description: None,
        allowed: &["acme", "globex"],
        default: None,
        example: "acme",
        location: None,
    }];
    static OPERATIONS: [Operation; 1] = [Operation {
        id: "events.receive",
        action: Action::Receive,
        sender: "provider",
        receiver: "service",
        summary: None,
        messages: &["Created"],
        bindings: None,
        reply: None,
    }];
    static CHANNELS: [Channel; 2] = [
        Channel {
            address: None,
            description: None,
            parameters: &[],
            operations: &[],
            event_header: None,
            discriminator: None,
            bindings: None,
        },
        Channel {
            address: Some("/tenants/{tenant}/events"),
            description: None,
            parameters: &PARAMETERS,
            operations: &OPERATIONS,
            event_header: None,
            discriminator: None,
            bindings: None,
        },
    ];

    /// Stripe's shape: the timestamp inside the signature header.
    const STAMPED: SignatureScheme = SignatureScheme {
        signed: &[
            SignedPart::Timestamp,
            SignedPart::Text("."),
            SignedPart::Body,
        ],
        timestamp_entry: "t=",
        separator: Some(','),
        prefix: "v1=",
        tolerance_seconds: Some(300),
        ..crate::signature::hex_body("Stripe-Signature")
    };

    fn verify(
        scheme: &SignatureScheme,
        secret: &[u8],
        delivery: &SignedDelivery,
    ) -> Result<(), SignatureError> {
        let request = SignedRequest {
            signature: delivery.header(scheme.header),
            id: delivery.header(scheme.id_header),
            timestamp: delivery.header(scheme.timestamp_header),
            body: &delivery.body,
        };
        scheme.verify_request(&[secret], &request, &SystemClock)
    }

    #[test]
    fn signed_deliveries_verify_and_each_breakage_fails_as_named() {
        let secret_of = |scheme: &SignatureScheme| -> &'static [u8] {
            match scheme.secret_format {
                crate::SecretFormat::WhsecBase64 => b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                crate::SecretFormat::Ed25519Base64 => {
                    b"whsk_YmVuY2gtZWQyNTUxOS1zZWVkLW9mLTMyLWJ5dGVzISE="
                }
                _ => b"a s3cret of 20 bytes",
            }
        };
        let payload = serde_json::json!({"id": "evt_1"});
        let schemes = [
            crate::STANDARD_WEBHOOKS,
            STAMPED,
            crate::signature::hex_body("X-Sig"),
        ];
        // Signed with another key too (`Breakage::Secret`): a key of the right length.
        #[cfg(feature = "ed25519")]
        let schemes = [schemes.as_slice(), &[crate::STANDARD_WEBHOOKS_V1A]].concat();
        for scheme in schemes {
            let secret = secret_of(&scheme);
            let signer = TestSigner::new(scheme, &CHANNELS, &[], secret);
            let good = signer.sign(Some("Created"), &payload).unwrap();
            assert_eq!(good.path, "/tenants/acme/events");
            assert_eq!(verify(&scheme, secret, &good), Ok(()), "{scheme:?}");
            for breakage in [
                Breakage::Signature,
                Breakage::Body,
                Breakage::Secret,
                Breakage::Stale,
                Breakage::Missing,
            ] {
                let Some(broken) = signer.broken(Some("Created"), &payload, breakage) else {
                    assert_eq!(
                        (breakage, scheme.tolerance_seconds),
                        (Breakage::Stale, None)
                    );
                    continue;
                };
                let error = verify(&scheme, secret, &broken.unwrap()).unwrap_err();
                let expected = match breakage {
                    Breakage::Missing => matches!(error, SignatureError::Missing),
                    Breakage::Stale => matches!(error, SignatureError::OutsideTolerance { .. }),
                    // Well formed, wrong: a mismatch, never a parse error.
                    _ => error == SignatureError::Mismatch,
                };
                assert!(expected, "{breakage:?} under {scheme:?}: {error:?}");
            }
        }
    }

    #[test]
    fn ids_are_fresh_unless_chosen_and_unknown_events_go_to_the_first_address() {
        let signer = TestSigner::new(
            crate::STANDARD_WEBHOOKS,
            &CHANNELS,
            &[],
            b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_vec(),
        );
        let a = signer.sign(None, &1).unwrap();
        let b = signer.sign(None, &1).unwrap();
        assert_ne!(a.header("webhook-id"), b.header("webhook-id"));
        assert_eq!(a.path, "/tenants/acme/events");
        let chosen = signer
            .clone()
            .id("msg_x")
            .timestamp(42)
            .sign(None, &1)
            .unwrap();
        assert_eq!(chosen.header("webhook-id"), Some("msg_x"));
        assert_eq!(chosen.header("webhook-timestamp"), Some("42"));
        assert!(
            signer.example("Created", 0).is_none(),
            "no examples in this table"
        );
    }
}
