//! Webhook signatures, as data: a [`SignatureScheme`] says which header carries the
//! signature, the algorithm (HMAC-SHA256, or Ed25519 with the `ed25519` feature), how
//! the signature is written (hex or base64, with a prefix), how the secret becomes the
//! key (its UTF-8 bytes, base64 after `whsec_`, or an Ed25519 `whpk_`/`whsk_` key), what
//! is signed (a template of [`SignedPart`]s: the body, `id.timestamp.body` as in Standard
//! Webhooks, `timestamp.body` as Stripe, `v0:timestamp:body` as Slack), where the
//! timestamp is (its own header, or an entry of the signature header such as Stripe's
//! `t=`), whether a header holds several signatures, and how old a timestamp may be.
//!
//! Verification always runs over the raw bytes received (nothing is re-serialized),
//! compares MACs in constant time with `hmac`'s `verify_slice` (which also rejects a
//! wrong length), verifies Ed25519 signatures strictly (no malleable or weak-key
//! signatures), accepts any of several keys (rotation) and reports which check failed
//! without revealing the secret or the expected signature.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};

/// The longest signature of any algorithm (Ed25519: 64 bytes; HMAC-SHA256: 32).
const MAX_SIGNATURE_LEN: usize = 64;

/// The signature algorithm of a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// HMAC with SHA-256 (RFC 2104): a shared secret signs and verifies.
    HmacSha256,
    /// Ed25519 (RFC 8032), as Standard Webhooks `v1a`: a secret key signs, its public
    /// key verifies. Needs this crate's `ed25519` feature.
    Ed25519,
}

impl Algorithm {
    /// The length of one signature, in bytes.
    pub const fn signature_len(self) -> usize {
        match self {
            Self::HmacSha256 => 32,
            Self::Ed25519 => 64,
        }
    }
}

/// How the signature bytes are written in the header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Hexadecimal; signing writes lowercase, verification accepts either case.
    Hex,
    /// Standard base64 with padding.
    Base64,
}

/// How a secret becomes the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretFormat {
    /// The secret's bytes as given (the UTF-8 of a text secret).
    Bytes,
    /// Base64, optionally after a `whsec_` prefix (Standard Webhooks).
    WhsecBase64,
    /// An Ed25519 key in base64 (Standard Webhooks `v1a`): a `whpk_` public key verifies;
    /// a `whsk_` secret key (the 32-byte seed) signs, and verifies through its public key.
    /// Without a prefix, a key is read as a public key for verifying and as a secret key
    /// for signing, as the Standard Webhooks libraries read it.
    Ed25519Base64,
}

/// One part of what a signature covers, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedPart {
    /// The message id header's value.
    Id,
    /// The timestamp, as its text was received (from its header or its entry).
    Timestamp,
    /// The raw body.
    Body,
    /// Fixed text (`.`, `v0:`).
    Text(&'static str),
}

impl SignedPart {
    /// The raw body alone.
    pub const BODY: &'static [SignedPart] = &[SignedPart::Body];
    /// `{id}.{timestamp}.{body}` (Standard Webhooks).
    pub const ID_TIMESTAMP_BODY: &'static [SignedPart] = &[
        SignedPart::Id,
        SignedPart::Text("."),
        SignedPart::Timestamp,
        SignedPart::Text("."),
        SignedPart::Body,
    ];
}

/// Where and how a provider signs its webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignatureScheme {
    /// The HTTP header that carries the signature(s).
    pub header: &'static str,
    /// The signature algorithm.
    pub algorithm: Algorithm,
    /// How each signature is encoded.
    pub encoding: Encoding,
    /// Text before each encoded signature (`sha256=`, `v1,`, `v1=`), or empty.
    pub prefix: &'static str,
    /// How the secret becomes the key.
    pub secret_format: SecretFormat,
    /// What is signed, in order (see [`SignedPart`]).
    pub signed: &'static [SignedPart],
    /// The header with the message id, or empty.
    pub id_header: &'static str,
    /// The header with the Unix timestamp in seconds, or empty.
    pub timestamp_header: &'static str,
    /// The start of the signature header's entry that holds the timestamp (Stripe's
    /// `t=`), or empty when the timestamp has its own header (or there is none).
    pub timestamp_entry: &'static str,
    /// Separator of the entries of the signature header (`Some(' ')`, `Some(',')`), or
    /// `None` for a header holding one signature.
    pub separator: Option<char>,
    /// How far the timestamp may be from now, in seconds; `None` checks no timestamp.
    pub tolerance_seconds: Option<u64>,
}

/// The Standard Webhooks scheme (<https://www.standardwebhooks.com>): `webhook-signature:
/// v1,<base64> ...` over `id.timestamp.body`, `whsec_` base64 secrets, 5 minutes tolerance.
pub const STANDARD_WEBHOOKS: SignatureScheme = SignatureScheme {
    header: "webhook-signature",
    algorithm: Algorithm::HmacSha256,
    encoding: Encoding::Base64,
    prefix: "v1,",
    secret_format: SecretFormat::WhsecBase64,
    signed: SignedPart::ID_TIMESTAMP_BODY,
    id_header: "webhook-id",
    timestamp_header: "webhook-timestamp",
    timestamp_entry: "",
    separator: Some(' '),
    tolerance_seconds: Some(300),
};

/// The asymmetric Standard Webhooks scheme: `webhook-signature: v1a,<base64>` Ed25519
/// signatures over `id.timestamp.body`, `whpk_` public keys to verify, `whsk_` secret
/// keys to sign (feature `ed25519`).
pub const STANDARD_WEBHOOKS_V1A: SignatureScheme = SignatureScheme {
    algorithm: Algorithm::Ed25519,
    prefix: "v1a,",
    secret_format: SecretFormat::Ed25519Base64,
    ..STANDARD_WEBHOOKS
};

/// A lowercase hex HMAC-SHA256 of the raw body in `header`, keyed with the secret's bytes:
/// the scheme of all four providers Hookgen ships.
pub const fn hex_body(header: &'static str) -> SignatureScheme {
    SignatureScheme {
        header,
        algorithm: Algorithm::HmacSha256,
        encoding: Encoding::Hex,
        prefix: "",
        secret_format: SecretFormat::Bytes,
        signed: SignedPart::BODY,
        id_header: "",
        timestamp_header: "",
        timestamp_entry: "",
        separator: None,
        tolerance_seconds: None,
    }
}

/// The entries of a header value: split at the scheme's separator (if any), trimmed, the
/// empty ones skipped.
#[derive(Clone)]
struct Entries<'v> {
    rest: Option<&'v str>,
    separator: Option<char>,
}

impl<'v> Iterator for Entries<'v> {
    type Item = &'v str;

    fn next(&mut self) -> Option<&'v str> {
        loop {
            let rest = self.rest?;
            let (entry, after) = match self.separator.and_then(|c| rest.split_once(c)) {
                Some((entry, after)) => (entry, Some(after)),
                None => (rest, None),
            };
            self.rest = after;
            let entry = entry.trim();
            if !entry.is_empty() {
                return Some(entry);
            }
        }
    }
}

/// Why a signature was rejected. Never includes the secret or the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature header was absent or empty.
    #[error("signature header is missing or empty")]
    Missing,
    /// A header the scheme signs (message id, timestamp) was absent or empty.
    #[error("the `{0}` header is missing or empty")]
    MissingHeader(&'static str),
    /// The header value is not a well-formed signature for this scheme.
    #[error("signature header is malformed: {0}")]
    Malformed(&'static str),
    /// The timestamp is not a Unix time in seconds.
    #[error("the timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is further from now than the tolerance allows.
    #[error("the timestamp is outside the {tolerance_seconds} s tolerance ({} s {})", .distance_seconds, if *.in_future { "ahead" } else { "old" })]
    OutsideTolerance {
        /// The tolerance.
        tolerance_seconds: u64,
        /// How far the timestamp is from now.
        distance_seconds: u64,
        /// Whether the timestamp is in the future.
        in_future: bool,
    },
    /// A secret is not in the scheme's format (for example not base64 after `whsec_`).
    #[error("a secret is not in the scheme's format: {0}")]
    InvalidSecret(&'static str),
    /// No secret was given.
    #[error("no secret to verify with")]
    NoSecret,
    /// A secret is empty (empty bytes, `whsec_` with nothing after it, an empty entry in
    /// a rotation list): anyone can compute a MAC under an empty key, so it verifies nothing.
    #[error("a secret is empty; an empty key would accept forged signatures")]
    EmptySecret,
    /// The scheme itself cannot be secure (see [`SignatureScheme::check`]).
    #[error("the signature scheme is not secure: {0}")]
    InsecureScheme(&'static str),
    /// The scheme needs what this build lacks (Ed25519 without the `ed25519` feature).
    #[error("the signature scheme is not supported by this build: {0}")]
    Unsupported(&'static str),
    /// The signature is well formed but matches no secret.
    #[error("signature does not match the body")]
    Mismatch,
}

/// The parts of a request a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedRequest<'a> {
    /// The signature header's value.
    pub signature: Option<&'a str>,
    /// The message id header's value.
    pub id: Option<&'a str>,
    /// The timestamp header's value (for schemes whose timestamp has its own header).
    pub timestamp: Option<&'a str>,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}

/// A source of the current Unix time, injectable for tests.
pub trait Clock {
    /// Seconds since the Unix epoch.
    fn now_unix(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A key ready to verify with.
enum VerifyingKey<'s> {
    Mac(Cow<'s, [u8]>),
    #[cfg(feature = "ed25519")]
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A key ready to sign with.
enum SigningKey<'s> {
    Mac(Cow<'s, [u8]>),
    #[cfg(feature = "ed25519")]
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// The id and timestamp a request's signature covers, read and checked.
struct Covered<'a> {
    id: &'a str,
    /// The timestamp's text as received, and its value.
    timestamp: Option<(&'a str, i64)>,
}

impl SignatureScheme {
    /// Refuses a scheme that verifies less than it appears to, or that no request could
    /// pass: the body unsigned; a signed id or timestamp without a header (or entry) to
    /// carry it; a timestamp tolerance when the signature does not cover the timestamp
    /// (an old delivery would replay with a fresh timestamp); a timestamp entry in a
    /// header of one entry; a key format that is not the algorithm's.
    pub fn check(&self) -> Result<(), SignatureError> {
        let insecure = |reason| Err(SignatureError::InsecureScheme(reason));
        if self
            .signed
            .iter()
            .filter(|p| **p == SignedPart::Body)
            .count()
            != 1
        {
            return insecure("the body must be signed, once");
        }
        if self.signs(SignedPart::Id) && self.id_header.is_empty() {
            return insecure("the id is signed, but no header carries it");
        }
        let timestamp_places = [self.timestamp_header, self.timestamp_entry]
            .iter()
            .filter(|s| !s.is_empty())
            .count();
        if self.signs(SignedPart::Timestamp) && timestamp_places != 1 {
            return insecure(
                "the timestamp is signed, but not carried by exactly one header or entry",
            );
        }
        if self.tolerance_seconds.is_some() && !self.signs(SignedPart::Timestamp) {
            return insecure(
                "a timestamp tolerance, but the signature does not cover the timestamp",
            );
        }
        if !self.timestamp_entry.is_empty() && self.separator.is_none() {
            return insecure("a timestamp entry needs a separator between the header's entries");
        }
        match (self.algorithm, self.secret_format) {
            (Algorithm::HmacSha256, SecretFormat::Bytes | SecretFormat::WhsecBase64) => Ok(()),
            (Algorithm::Ed25519, SecretFormat::Ed25519Base64) if cfg!(feature = "ed25519") => {
                Ok(())
            }
            (Algorithm::Ed25519, SecretFormat::Ed25519Base64) => Err(SignatureError::Unsupported(
                "Ed25519 needs hookgen-runtime's `ed25519` feature",
            )),
            _ => insecure("the key format is not the algorithm's"),
        }
    }

    /// Whether the signature covers `part`.
    pub fn signs(&self, part: SignedPart) -> bool {
        self.signed.contains(&part)
    }

    /// Refuses a secret this scheme cannot verify with: empty, or not in the scheme's
    /// format (for Ed25519, not a 32-byte key on the curve).
    pub fn check_secret(&self, secret: &[u8]) -> Result<(), SignatureError> {
        self.check()?;
        self.verifying_key(secret).map(drop)
    }

    /// Refuses a secret this scheme cannot sign with (for Ed25519, a public key).
    pub fn check_signing_secret(&self, secret: &[u8]) -> Result<(), SignatureError> {
        self.check()?;
        self.signing_key(secret).map(drop)
    }

    /// The header value that signs `body` with `secret` (for schemes that sign the body
    /// alone; a scheme that also signs an id or a timestamp needs [`Self::sign_message`]).
    ///
    /// A secret the scheme cannot use (empty, or not base64 for `whsec_` secrets) yields
    /// an empty value, which every verifier rejects.
    pub fn sign(&self, secret: &[u8], body: &[u8]) -> String {
        self.sign_message(secret, "", 0, body).unwrap_or_default()
    }

    /// The signature header's value for `body` (with `id` and `timestamp` when the scheme
    /// signs them; a scheme with a timestamp entry writes it first, as `t=…,v1=…`).
    pub fn sign_message(
        &self,
        secret: &[u8],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<String, SignatureError> {
        self.check()?;
        let key = self.signing_key(secret)?;
        let timestamp_text = timestamp.to_string();
        let covered = Covered {
            id,
            timestamp: Some((&timestamp_text, timestamp)),
        };
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        let len = self.algorithm.signature_len();
        match key {
            SigningKey::Mac(key) => {
                let tag = self.mac(&key, &covered, body).finalize().into_bytes();
                signature[..len].copy_from_slice(&tag);
            }
            #[cfg(feature = "ed25519")]
            SigningKey::Ed25519(key) => {
                use ed25519_dalek::Signer as _;
                let message = self.message(&covered, body);
                signature.copy_from_slice(&key.sign(&message).to_bytes());
            }
        }
        let mut value = String::with_capacity(self.prefix.len() + 2 * len + 16);
        if !self.timestamp_entry.is_empty() {
            value.push_str(self.timestamp_entry);
            value.push_str(&timestamp_text);
            // `check` requires a separator with a timestamp entry.
            value.extend(self.separator);
        }
        value.push_str(self.prefix);
        match self.encoding {
            Encoding::Hex => {
                let mut hex = [0u8; 2 * MAX_SIGNATURE_LEN];
                // The buffer is at least twice the signature, and hex digits are ASCII.
                if hex::encode_to_slice(&signature[..len], &mut hex[..2 * len]).is_ok() {
                    value.extend(hex[..2 * len].iter().map(|&b| char::from(b)));
                }
            }
            Encoding::Base64 => BASE64.encode_string(&signature[..len], &mut value),
        }
        Ok(value)
    }

    /// Checks `header_value` against the raw `body` under `secret`, in constant time, for a
    /// scheme that signs the body alone and checks no timestamp.
    pub fn verify(
        &self,
        secret: &[u8],
        header_value: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let request = SignedRequest {
            signature: Some(header_value),
            id: None,
            timestamp: None,
            body,
        };
        self.verify_request(&[secret], &request, &SystemClock)
    }

    /// Like [`verify`](Self::verify), for a header that may be absent.
    pub fn verify_header(
        &self,
        secret: &[u8],
        header_value: Option<&str>,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        self.verify(secret, header_value.ok_or(SignatureError::Missing)?, body)
    }

    /// Verifies a request against any of `secrets` (several during a rotation; public keys
    /// for Ed25519): the timestamp first (when the scheme has a tolerance), then every
    /// signature in the header against every key, in constant time per MAC comparison.
    pub fn verify_request(
        &self,
        secrets: &[&[u8]],
        request: &SignedRequest<'_>,
        clock: &dyn Clock,
    ) -> Result<(), SignatureError> {
        // Configuration first: an unusable scheme or secret is refused whatever arrives.
        self.check()?;
        if secrets.is_empty() {
            return Err(SignatureError::NoSecret);
        }
        // Every secret is checked before anything is verified (keys are made again below,
        // one at a time, rather than kept: no allocation on the common path).
        for secret in secrets {
            self.verifying_key(secret)?;
        }
        let value = request
            .signature
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(SignatureError::Missing)?;
        let covered = self.covered(request)?;
        // `check` allows a tolerance only over a signed timestamp, read above.
        if let (Some(tolerance), Some((_, timestamp))) = (self.tolerance_seconds, covered.timestamp)
        {
            let now = clock.now_unix();
            // `abs_diff` cannot overflow, whatever the two times are.
            let distance = now.abs_diff(timestamp);
            if distance > tolerance {
                return Err(SignatureError::OutsideTolerance {
                    tolerance_seconds: tolerance,
                    distance_seconds: distance,
                    in_future: timestamp > now,
                });
            }
        }
        // The header is checked before any signature is computed: its first well-formed
        // signature, and the entries after it.
        let mut malformed = "missing the scheme's prefix";
        let mut entries = self.entries(value);
        let first = loop {
            let Some(entry) = entries.next() else {
                return Err(SignatureError::Malformed(malformed));
            };
            match self.strip_prefix(entry).map(|e| self.decode_signature(e)) {
                Some(Ok(signature)) => break signature,
                Some(Err(reason)) => malformed = reason,
                None => {}
            }
        };
        let len = self.algorithm.signature_len();
        let candidates = std::iter::once(first).chain(
            entries
                .filter_map(|e| self.strip_prefix(e))
                .filter_map(|e| self.decode_signature(e).ok()),
        );
        // Every key was checked above; signatures are checked until one matches.
        for secret in secrets {
            let matched = match self.verifying_key(secret)? {
                VerifyingKey::Mac(key) => {
                    let mac = self.mac(&key, &covered, request.body);
                    // `verify_slice` compares in constant time; another length fails.
                    candidates
                        .clone()
                        .any(|signature| mac.clone().verify_slice(&signature[..len]).is_ok())
                }
                #[cfg(feature = "ed25519")]
                VerifyingKey::Ed25519(key) => {
                    let message = self.message(&covered, request.body);
                    candidates.clone().any(|signature| {
                        let signature = ed25519_dalek::Signature::from_bytes(&signature);
                        key.verify_strict(&message, &signature).is_ok()
                    })
                }
            };
            if matched {
                return Ok(());
            }
        }
        Err(SignatureError::Mismatch)
    }

    /// A key that identifies one delivery for replay protection: the message id when
    /// the signature covers one (it stays the same when a provider retries), otherwise a
    /// SHA-256 digest of everything signed (body, timestamp and fixed text). Neither can
    /// be changed without breaking the signature, so a replayed delivery, however its
    /// headers are rearranged, has the key of the original. Call it after
    /// [`verify_request`](Self::verify_request) succeeded.
    pub fn replay_key(&self, request: &SignedRequest<'_>) -> Result<[u8; 32], SignatureError> {
        let covered = self.covered(request)?;
        let mut digest = Sha256::new();
        if self.signs(SignedPart::Id) {
            digest.update(b"id\0");
            digest.update(covered.id.as_bytes());
        } else {
            digest.update(b"signed\0");
            self.feed(&covered, request.body, |part| digest.update(part));
        }
        Ok(digest.finalize().into())
    }

    /// The id and timestamp the signature covers, read from the request (empty and
    /// `None` when the scheme does not sign them).
    fn covered<'a>(&self, request: &SignedRequest<'a>) -> Result<Covered<'a>, SignatureError> {
        let id = if self.signs(SignedPart::Id) {
            request
                .id
                .filter(|v| !v.is_empty())
                .ok_or(SignatureError::MissingHeader(self.id_header))?
        } else {
            ""
        };
        let timestamp = if self.signs(SignedPart::Timestamp) {
            let raw = if self.timestamp_entry.is_empty() {
                request
                    .timestamp
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::MissingHeader(self.timestamp_header))?
            } else {
                self.entries(request.signature.unwrap_or_default())
                    .find_map(|entry| entry.strip_prefix(self.timestamp_entry))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::Malformed("no timestamp entry"))?
            };
            let value = raw
                .parse::<i64>()
                .map_err(|_| SignatureError::BadTimestamp)?;
            Some((raw, value))
        } else {
            None
        };
        Ok(Covered { id, timestamp })
    }

    /// The non-empty entries of a header value, trimmed.
    fn entries<'v>(&self, value: &'v str) -> Entries<'v> {
        Entries {
            rest: Some(value),
            separator: self.separator,
        }
    }

    /// An entry without the scheme's prefix; `None` when it has another (another version,
    /// or a timestamp entry).
    fn strip_prefix<'v>(&self, entry: &'v str) -> Option<&'v str> {
        if !self.timestamp_entry.is_empty() && entry.starts_with(self.timestamp_entry) {
            return None;
        }
        if self.prefix.is_empty() {
            Some(entry)
        } else {
            entry.strip_prefix(self.prefix)
        }
    }

    /// One encoded signature, decoded on the stack (its first `signature_len` bytes);
    /// the reason when it is not one.
    fn decode_signature(&self, encoded: &str) -> Result<[u8; MAX_SIGNATURE_LEN], &'static str> {
        let len = self.algorithm.signature_len();
        let mut signature = [0u8; MAX_SIGNATURE_LEN];
        match self.encoding {
            Encoding::Hex => match hex::decode_to_slice(encoded, &mut signature[..len]) {
                Ok(()) => Ok(signature),
                Err(hex::FromHexError::InvalidStringLength)
                    if encoded.len() % 2 == 0 && encoded.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    Err("wrong signature length")
                }
                Err(_) => Err("not hexadecimal"),
            },
            Encoding::Base64 => match BASE64.decode_slice(encoded, &mut signature[..len]) {
                Ok(decoded) if decoded == len => Ok(signature),
                Ok(_) => Err("wrong signature length"),
                // Too long for a signature: is it base64 at all? (Rare; may allocate.)
                Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
                    match BASE64.decode(encoded) {
                        Ok(_) => Err("wrong signature length"),
                        Err(_) => Err("not base64"),
                    }
                }
                Err(base64::DecodeSliceError::DecodeError(_)) => Err("not base64"),
            },
        }
    }

    /// The key a secret verifies with. An empty key is refused, however it was written.
    fn verifying_key<'s>(&self, secret: &'s [u8]) -> Result<VerifyingKey<'s>, SignatureError> {
        match self.secret_format {
            SecretFormat::Bytes | SecretFormat::WhsecBase64 => {
                self.mac_key(secret).map(VerifyingKey::Mac)
            }
            SecretFormat::Ed25519Base64 => {
                #[cfg(feature = "ed25519")]
                {
                    if secret.starts_with(b"whsk_") {
                        let key = ed25519_signing_key(secret)?;
                        return Ok(VerifyingKey::Ed25519(key.verifying_key()));
                    }
                    let bytes = ed25519_key_bytes(secret.strip_prefix(b"whpk_").unwrap_or(secret))?;
                    let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                        .map_err(|_| SignatureError::InvalidSecret("not an Ed25519 public key"))?;
                    if key.is_weak() {
                        return Err(SignatureError::InvalidSecret("a weak Ed25519 public key"));
                    }
                    Ok(VerifyingKey::Ed25519(key))
                }
                #[cfg(not(feature = "ed25519"))]
                {
                    let _ = secret;
                    Err(SignatureError::Unsupported(
                        "Ed25519 needs hookgen-runtime's `ed25519` feature",
                    ))
                }
            }
        }
    }

    /// The key a secret signs with: a public key cannot.
    fn signing_key<'s>(&self, secret: &'s [u8]) -> Result<SigningKey<'s>, SignatureError> {
        match self.secret_format {
            SecretFormat::Bytes | SecretFormat::WhsecBase64 => {
                self.mac_key(secret).map(SigningKey::Mac)
            }
            SecretFormat::Ed25519Base64 => {
                if secret.starts_with(b"whpk_") {
                    return Err(SignatureError::InvalidSecret(
                        "a `whpk_` public key verifies but cannot sign; give the `whsk_` key",
                    ));
                }
                #[cfg(feature = "ed25519")]
                {
                    ed25519_signing_key(secret).map(|key| SigningKey::Ed25519(Box::new(key)))
                }
                #[cfg(not(feature = "ed25519"))]
                {
                    Err(SignatureError::Unsupported(
                        "Ed25519 needs hookgen-runtime's `ed25519` feature",
                    ))
                }
            }
        }
    }

    /// The MAC key of a secret: its bytes, or decoded from base64 for `whsec_` secrets.
    fn mac_key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SignatureError> {
        let key = match self.secret_format {
            SecretFormat::WhsecBase64 => {
                let encoded = secret.strip_prefix(b"whsec_").unwrap_or(secret);
                BASE64
                    .decode(encoded)
                    .map(Cow::Owned)
                    .map_err(|_| SignatureError::InvalidSecret("not base64 after `whsec_`"))?
            }
            _ => Cow::Borrowed(secret),
        };
        if key.is_empty() {
            return Err(SignatureError::EmptySecret);
        }
        Ok(key)
    }

    /// Hands what is signed to `sink`, part by part.
    fn feed(&self, covered: &Covered<'_>, body: &[u8], mut sink: impl FnMut(&[u8])) {
        for part in self.signed {
            match part {
                SignedPart::Id => sink(covered.id.as_bytes()),
                SignedPart::Timestamp => {
                    sink(covered.timestamp.map_or("", |(text, _)| text).as_bytes());
                }
                SignedPart::Body => sink(body),
                SignedPart::Text(text) => sink(text.as_bytes()),
            }
        }
    }

    /// What is signed, in one buffer (for Ed25519, which signs a whole message).
    #[cfg(feature = "ed25519")]
    fn message(&self, covered: &Covered<'_>, body: &[u8]) -> Vec<u8> {
        let mut message = Vec::with_capacity(body.len() + 64);
        self.feed(covered, body, |part| message.extend_from_slice(part));
        message
    }

    fn mac(&self, key: &[u8], covered: &Covered<'_>, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        self.feed(covered, body, |part| mac.update(part));
        mac
    }
}

/// The 32 bytes of an Ed25519 key written in base64 (its prefix removed).
#[cfg(feature = "ed25519")]
fn ed25519_key_bytes(encoded: &[u8]) -> Result<[u8; 32], SignatureError> {
    let decoded = BASE64
        .decode(encoded)
        .map_err(|_| SignatureError::InvalidSecret("an Ed25519 key is not base64"))?;
    if decoded.is_empty() {
        return Err(SignatureError::EmptySecret);
    }
    decoded
        .try_into()
        .map_err(|_| SignatureError::InvalidSecret("an Ed25519 key is not 32 bytes"))
}

/// A `whsk_` (or unprefixed) Ed25519 secret key: its 32-byte seed in base64.
#[cfg(feature = "ed25519")]
fn ed25519_signing_key(secret: &[u8]) -> Result<ed25519_dalek::SigningKey, SignatureError> {
    let seed = ed25519_key_bytes(secret.strip_prefix(b"whsk_").unwrap_or(secret))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_reads_the_time_of_day() {
        let expected = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let now = SystemClock.now_unix();
        assert!(now.abs_diff(expected) <= 2, "{now} vs {expected}");
        // A real signature a few seconds old passes under the system clock; one from the
        // epoch does not (which a clock stuck at 0, 1 or -1 would get backwards).
        let body = b"{}";
        let fresh = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for (timestamp, ok) in [(fresh - 3, true), (1, false)] {
            let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
            let header = STANDARD_WEBHOOKS
                .sign_message(secret, "msg_1", timestamp, body)
                .unwrap();
            let ts = timestamp.to_string();
            let request = SignedRequest {
                signature: Some(&header),
                id: Some("msg_1"),
                timestamp: Some(&ts),
                body,
            };
            assert_eq!(
                STANDARD_WEBHOOKS
                    .verify_request(&[secret], &request, &SystemClock)
                    .is_ok(),
                ok,
                "timestamp {timestamp}"
            );
        }
    }

    const HEX: SignatureScheme = hex_body("X-Test-Signature");

    #[test]
    fn malformed_signatures_say_how() {
        let malformed = |scheme: &SignatureScheme, header: &str| {
            scheme.verify_request(
                &[b"k"],
                &request(Some(header), None, None, b"{}"),
                &Fixed(0),
            )
        };
        let base64 = SignatureScheme {
            encoding: Encoding::Base64,
            ..HEX
        };
        let (long_hex, long_base64, long_junk) = ("ab".repeat(33), "A".repeat(64), "!".repeat(64));
        for (scheme, header, reason) in [
            (&HEX, "zz", "not hexadecimal"),
            (&HEX, "abc", "not hexadecimal"),
            (&HEX, "abcd", "wrong signature length"),
            (&HEX, &long_hex, "wrong signature length"),
            (&base64, "AAAA", "wrong signature length"),
            (&base64, &long_base64, "wrong signature length"),
            (&base64, "!!!!", "not base64"),
            (&base64, &long_junk, "not base64"),
        ] {
            assert_eq!(
                malformed(scheme, header),
                Err(SignatureError::Malformed(reason)),
                "{header}"
            );
        }
    }

    #[test]
    fn every_secret_must_be_usable_even_after_a_match() {
        let good = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let scheme = SignatureScheme {
            tolerance_seconds: None,
            ..STANDARD_WEBHOOKS
        };
        let header = scheme.sign_message(good, "m", 10, b"{}").unwrap();
        let signed = request(Some(&header), Some("m"), Some("10"), b"{}");
        assert_eq!(scheme.verify_request(&[good], &signed, &Fixed(10)), Ok(()));
        assert_eq!(
            scheme.verify_request(&[good, b"whsec_not base64!"], &signed, &Fixed(10)),
            Err(SignatureError::InvalidSecret("not base64 after `whsec_`"))
        );
    }

    #[test]
    fn a_header_of_many_entries_is_read_once() {
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = b"{}";
        let good = STANDARD_WEBHOOKS
            .sign_message(secret, "m", 10, body)
            .unwrap();
        // 200 000 malformed or foreign entries before the good one: a quadratic reading
        // would take minutes.
        let junk = "v1,??? v2,abc ".repeat(100_000);
        let request = |signature| SignedRequest {
            signature: Some(signature),
            id: Some("m"),
            timestamp: Some("10"),
            body,
        };
        let scheme = SignatureScheme {
            tolerance_seconds: None,
            ..STANDARD_WEBHOOKS
        };
        assert_eq!(
            scheme.verify_request(&[secret], &request(&junk), &Fixed(10)),
            Err(SignatureError::Malformed("not base64"))
        );
        let with_good = format!("{junk}{good}");
        assert_eq!(
            scheme.verify_request(&[secret], &request(&with_good), &Fixed(10)),
            Ok(())
        );
    }

    struct Fixed(i64);
    impl Clock for Fixed {
        fn now_unix(&self) -> i64 {
            self.0
        }
    }

    fn request<'a>(
        signature: Option<&'a str>,
        id: Option<&'a str>,
        timestamp: Option<&'a str>,
        body: &'a [u8],
    ) -> SignedRequest<'a> {
        SignedRequest {
            signature,
            id,
            timestamp,
            body,
        }
    }

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            HEX.sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_uppercase_and_surrounding_whitespace() {
        let sig = HEX.sign(b"k", b"body").to_uppercase();
        assert_eq!(HEX.verify(b"k", &format!(" {sig}\t"), b"body"), Ok(()));
    }

    #[test]
    fn verify_rejects_each_malformation() {
        let sig = HEX.sign(b"k", b"body");
        assert_eq!(HEX.verify(b"k", "", b"body"), Err(SignatureError::Missing));
        assert_eq!(
            HEX.verify_header(b"k", None, b"body"),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            HEX.verify(b"k", &sig[..62], b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(b"k", &sig[..63], b"body"),
            Err(SignatureError::Malformed("not hexadecimal"))
        );
        assert_eq!(
            HEX.verify(b"k", &format!("{sig}00"), b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(b"j", &sig, b"body"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn prefix_is_written_and_required() {
        let scheme = SignatureScheme {
            prefix: "sha256=",
            ..HEX
        };
        let sig = scheme.sign(b"k", b"b");
        assert!(sig.starts_with("sha256="));
        assert_eq!(scheme.verify(b"k", &sig, b"b"), Ok(()));
        assert_eq!(
            scheme.verify(b"k", &sig["sha256=".len()..], b"b"),
            Err(SignatureError::Malformed("missing the scheme's prefix"))
        );
    }

    #[test]
    fn base64_with_a_prefix_over_the_body() {
        let scheme = SignatureScheme {
            encoding: Encoding::Base64,
            prefix: "sha256=",
            ..HEX
        };
        let sig = scheme.sign(b"Jefe", b"what do ya want for nothing?");
        // RFC 4231 test case 2, base64 (Python: base64.b64encode(hmac.new(...).digest())).
        assert_eq!(sig, "sha256=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
        assert_eq!(
            scheme.verify(b"Jefe", &sig, b"what do ya want for nothing?"),
            Ok(())
        );
        assert_eq!(
            scheme.verify(b"Jefe", "sha256=!!!", b"x"),
            Err(SignatureError::Malformed("not base64"))
        );
    }

    #[test]
    fn schemes_that_verify_less_than_they_appear_to_are_refused() {
        // A tolerance over a timestamp the MAC does not cover: an old delivery would
        // replay with a fresh timestamp header.
        let unsigned_timestamp = SignatureScheme {
            timestamp_header: "X-Timestamp",
            tolerance_seconds: Some(60),
            ..HEX
        };
        let request = SignedRequest {
            signature: Some("00"),
            id: None,
            timestamp: Some("1000"),
            body: b"b",
        };
        let insecure = Err(SignatureError::InsecureScheme(
            "a timestamp tolerance, but the signature does not cover the timestamp",
        ));
        assert_eq!(unsigned_timestamp.check(), insecure);
        assert_eq!(
            unsigned_timestamp.verify_request(&[b"k"], &request, &Fixed(1000)),
            insecure
        );
        assert_eq!(
            unsigned_timestamp.sign_message(b"k", "", 0, b"b"),
            insecure.map(|()| String::new())
        );
        // A signed id and timestamp with no headers to carry them.
        let headless = SignatureScheme {
            id_header: "",
            ..STANDARD_WEBHOOKS
        };
        assert!(matches!(
            headless.check(),
            Err(SignatureError::InsecureScheme(_))
        ));
        assert_eq!(STANDARD_WEBHOOKS.check(), Ok(()));
        assert_eq!(HEX.check(), Ok(()));
    }

    #[test]
    fn an_empty_key_verifies_nothing() {
        let forged = HEX.sign(b"", b"body");
        assert!(forged.is_empty(), "nothing is signed with an empty key");
        // A MAC computed under an empty key by an attacker:
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"").unwrap();
        mac.update(b"body");
        let forged = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            HEX.verify(b"", &forged, b"body"),
            Err(SignatureError::EmptySecret)
        );
        let request = SignedRequest {
            signature: Some(&forged),
            id: None,
            timestamp: None,
            body: b"body",
        };
        // Any empty entry in a rotation list, wherever it is.
        let real: &[u8] = b"real";
        let empty: &[u8] = b"";
        for secrets in [[real, empty], [empty, real]] {
            assert_eq!(
                HEX.verify_request(&secrets, &request, &SystemClock),
                Err(SignatureError::EmptySecret)
            );
        }
        let whsec = SignatureScheme {
            secret_format: SecretFormat::WhsecBase64,
            ..HEX
        };
        assert_eq!(
            whsec.verify(b"whsec_", &forged, b"body"),
            Err(SignatureError::EmptySecret)
        );
        assert_eq!(
            whsec.check_secret(b"whsec_"),
            Err(SignatureError::EmptySecret)
        );
        assert_eq!(HEX.check_secret(b""), Err(SignatureError::EmptySecret));
        assert_eq!(HEX.check_secret(b"k"), Ok(()));
    }

    #[test]
    fn templates_that_cannot_work_are_refused() {
        let body_twice = SignatureScheme {
            signed: &[SignedPart::Body, SignedPart::Body],
            ..HEX
        };
        let no_body = SignatureScheme {
            signed: &[SignedPart::Text("x")],
            ..HEX
        };
        let entry_without_separator = SignatureScheme {
            signed: &[
                SignedPart::Timestamp,
                SignedPart::Text("."),
                SignedPart::Body,
            ],
            timestamp_entry: "t=",
            tolerance_seconds: Some(300),
            ..HEX
        };
        let two_timestamps = SignatureScheme {
            timestamp_entry: "t=",
            ..STANDARD_WEBHOOKS
        };
        let mixed_keys = SignatureScheme {
            secret_format: SecretFormat::Ed25519Base64,
            ..HEX
        };
        for scheme in [
            body_twice,
            no_body,
            entry_without_separator,
            two_timestamps,
            mixed_keys,
        ] {
            assert!(
                matches!(scheme.check(), Err(SignatureError::InsecureScheme(_))),
                "{scheme:?}"
            );
            assert!(scheme.sign_message(b"k", "i", 1, b"{}").is_err());
        }
    }

    #[test]
    fn a_replay_has_the_key_of_the_original_however_its_headers_are_rearranged() {
        const ROTATING: SignatureScheme = SignatureScheme {
            signed: &[
                SignedPart::Timestamp,
                SignedPart::Text("."),
                SignedPart::Body,
            ],
            timestamp_header: "",
            timestamp_entry: "t=",
            separator: Some(','),
            prefix: "v1=",
            tolerance_seconds: Some(300),
            ..HEX
        };
        let (old, new): (&[u8], &[u8]) = (b"old-secret", b"new-secret");
        let first = ROTATING.sign_message(old, "", 100, b"{}").unwrap();
        let second = ROTATING.sign_message(new, "", 100, b"{}").unwrap();
        let both = format!("{first},{}", &second["t=100,".len()..]);
        let request = |signature| request(Some(signature), None, None, b"{}");
        let key = |signature| {
            let request = request(signature);
            assert_eq!(
                ROTATING.verify_request(&[old, new], &request, &Fixed(100)),
                Ok(())
            );
            ROTATING.replay_key(&request).unwrap()
        };
        // One signature dropped, or the other: still the same delivery.
        assert_eq!(key(&both), key(&first));
        assert_eq!(key(&both), key(&second));
        // Another body or another timestamp is another delivery.
        let other_body = ROTATING.sign_message(old, "", 100, b"[]").unwrap();
        let other = request(&other_body);
        let other = SignedRequest {
            body: b"[]",
            ..other
        };
        assert_ne!(ROTATING.replay_key(&other).unwrap(), key(&first));
        let later = ROTATING.sign_message(old, "", 101, b"{}").unwrap();
        assert_ne!(key(&later), key(&first));
        // With a signed id, the id is the delivery: a retry at another time is a replay.
        let at = |timestamp: i64| {
            let header = STANDARD_WEBHOOKS
                .sign_message(VECTOR_SECRET, "msg_1", timestamp, b"{}")
                .unwrap();
            let ts = timestamp.to_string();
            STANDARD_WEBHOOKS
                .replay_key(&SignedRequest {
                    signature: Some(&header),
                    id: Some("msg_1"),
                    timestamp: Some(&ts),
                    body: b"{}",
                })
                .unwrap()
        };
        assert_eq!(at(100), at(200));
    }

    const VECTOR_SECRET: &[u8] = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn vector_request(signature: &str) -> SignedRequest<'_> {
        SignedRequest {
            signature: Some(signature),
            id: Some(VECTOR_ID),
            timestamp: Some("1614265330"),
            body: VECTOR_BODY,
        }
    }

    #[test]
    fn standard_webhooks_published_vector() {
        // The test vector of the Standard Webhooks reference libraries.
        let signature = STANDARD_WEBHOOKS
            .sign_message(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
            .unwrap();
        assert_eq!(signature, VECTOR_SIGNATURE);
        let at_the_time = Fixed(VECTOR_TIMESTAMP + 10);
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[VECTOR_SECRET],
                &vector_request(VECTOR_SIGNATURE),
                &at_the_time
            ),
            Ok(())
        );
        // The secret without its `whsec_` prefix works too.
        let bare = &VECTOR_SECRET[6..];
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[bare],
                &vector_request(VECTOR_SIGNATURE),
                &at_the_time
            ),
            Ok(())
        );
    }

    #[test]
    fn several_signatures_and_several_secrets() {
        let clock = Fixed(VECTOR_TIMESTAMP);
        let header = format!(
            "v1,bm9wZQ== v2,whatever {VECTOR_SIGNATURE} v1,Mm7xgUVICxZfQ3bgf0h0Dof65L/IFx+PnZvnDWPCX6Q="
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &vector_request(&header), &clock),
            Ok(())
        );
        // Rotation: the old secret first, the new one second.
        let old: &[u8] = b"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[old, VECTOR_SECRET],
                &vector_request(VECTOR_SIGNATURE),
                &clock
            ),
            Ok(())
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[old], &vector_request(VECTOR_SIGNATURE), &clock),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[], &vector_request(VECTOR_SIGNATURE), &clock),
            Err(SignatureError::NoSecret)
        );
        // Only other versions: nothing to check.
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[VECTOR_SECRET],
                &vector_request("v2,abc v3,def"),
                &clock
            ),
            Err(SignatureError::Malformed("missing the scheme's prefix"))
        );
    }

    #[test]
    fn timestamps_are_checked_with_an_injected_clock_without_overflow() {
        let request = vector_request(VECTOR_SIGNATURE);
        for (now, ok) in [
            (VECTOR_TIMESTAMP + 300, true),
            (VECTOR_TIMESTAMP - 300, true),
            (VECTOR_TIMESTAMP + 301, false),
            (VECTOR_TIMESTAMP - 301, false),
        ] {
            assert_eq!(
                STANDARD_WEBHOOKS
                    .verify_request(&[VECTOR_SECRET], &request, &Fixed(now))
                    .is_ok(),
                ok,
                "now {now}"
            );
        }
        for now in [i64::MIN, i64::MAX] {
            assert!(matches!(
                STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &request, &Fixed(now)),
                Err(SignatureError::OutsideTolerance { .. })
            ));
        }
        let future = STANDARD_WEBHOOKS.verify_request(
            &[VECTOR_SECRET],
            &request,
            &Fixed(VECTOR_TIMESTAMP - 1000),
        );
        assert!(matches!(
            future,
            Err(SignatureError::OutsideTolerance {
                in_future: true,
                distance_seconds: 1000,
                ..
            })
        ));
        let bad = SignedRequest {
            timestamp: Some("yesterday"),
            ..request
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &bad, &Fixed(0)),
            Err(SignatureError::BadTimestamp)
        );
        let huge = SignedRequest {
            timestamp: Some("99999999999999999999999"),
            ..request
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &huge, &Fixed(0)),
            Err(SignatureError::BadTimestamp)
        );
    }

    #[test]
    fn missing_parts_are_named_and_errors_leak_nothing() {
        let clock = Fixed(VECTOR_TIMESTAMP);
        let no_id = SignedRequest {
            id: None,
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_id, &clock),
            Err(SignatureError::MissingHeader("webhook-id"))
        );
        let no_ts = SignedRequest {
            timestamp: Some(""),
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_ts, &clock),
            Err(SignatureError::MissingHeader("webhook-timestamp"))
        );
        let no_sig = SignedRequest {
            signature: None,
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &no_sig, &clock),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(
                &[b"whsec_!!!"],
                &vector_request(VECTOR_SIGNATURE),
                &clock
            ),
            Err(SignatureError::InvalidSecret("not base64 after `whsec_`"))
        );
        // Tampered body: a mismatch whose message holds neither secret nor signature.
        let tampered = SignedRequest {
            body: br#"{"test": 2432232315}"#,
            ..vector_request(VECTOR_SIGNATURE)
        };
        let error = STANDARD_WEBHOOKS
            .verify_request(&[VECTOR_SECRET], &tampered, &clock)
            .unwrap_err();
        assert_eq!(error, SignatureError::Mismatch);
        let text = error.to_string();
        assert!(!text.contains("g0hM9") && !text.contains("MfKQ9"), "{text}");
    }
}
