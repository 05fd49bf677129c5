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

/// The shortest HMAC key accepted, in bytes after decoding (a `whsec_` secret's decoded
/// bytes, a text secret's UTF-8). Ed25519 keys are exactly 32 bytes.
pub const MIN_SECRET_BYTES: usize = 16;

/// The most entries a signature header may hold (signatures of several keys or versions,
/// a timestamp entry): senders send a handful during a rotation, and each entry may cost
/// a signature check per key (an Ed25519 verification is about 50 µs).
pub const MAX_SIGNATURE_ENTRIES: usize = 8;

/// The largest timestamp tolerance a scheme may have, in seconds (one hour): beyond it a
/// captured delivery replays for longer than any provider needs for clock skew, and a
/// replay guard must remember every delivery twice as long.
pub const MAX_TOLERANCE_SECONDS: u64 = 3600;

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

/// Why a template of signed parts could be split more than one way, so that a replayer
/// could move bytes between parts (`{id}{timestamp}`: `evt_10`+`1700000000` and
/// `evt_1`+`01700000000` sign the same bytes): two variable parts with no text between
/// them, or a timestamp beside text that is all digits. Ids are held to the rest of the
/// rule when a request is read: an id may not hold the text beside it.
pub fn template_ambiguity(signed: &[SignedPart]) -> Option<&'static str> {
    let parts: Vec<&SignedPart> = signed
        .iter()
        .filter(|p| !matches!(p, SignedPart::Text("")))
        .collect();
    for pair in parts.windows(2) {
        match pair {
            [SignedPart::Text(_), SignedPart::Text(_)] => {}
            [SignedPart::Text(text), SignedPart::Timestamp]
            | [SignedPart::Timestamp, SignedPart::Text(text)]
                if text.bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Some("a timestamp beside text of digits could be split another way");
            }
            [SignedPart::Text(_), _] | [_, SignedPart::Text(_)] => {}
            _ => {
                return Some(
                    "two signed parts with no text between them could be split another way",
                );
            }
        }
    }
    None
}

/// An RFC 9110 token: what an HTTP header name is.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A Unix timestamp written strictly: decimal digits only, no sign, no leading zero (but
/// `0` itself), no whitespace, within `i64`. Anything else could be rewritten into other
/// text for the same time, which a replay key over the signed text would not recognize.
fn parse_timestamp(text: &str) -> Option<i64> {
    let strict = match text.as_bytes() {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    };
    strict.then(|| text.parse().ok()).flatten()
}

/// Why a signature was rejected. Never includes the secret or the expected value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    #[error("secret {} (of the rotation list, counting from 1) is not in the scheme's format: {reason}", .entry + 1)]
    InvalidSecret {
        /// Which secret, counting from 0 (0 for a single secret).
        entry: usize,
        /// Why.
        reason: &'static str,
    },
    /// No secret was given.
    #[error("no secret to verify with")]
    NoSecret,
    /// A secret is too weak to verify anything: empty, shorter than [`MIN_SECRET_BYTES`]
    /// after decoding, one byte repeated, or (for a text secret) with control characters
    /// or surrounding whitespace. Anyone could compute signatures under such a key, or it
    /// is a configuration mistake (a newline read with the secret from a file).
    #[error("secret {} (of the rotation list, counting from 1) is not a secret: {reason}", .entry + 1)]
    WeakSecret {
        /// Which secret, counting from 0 (0 for a single secret).
        entry: usize,
        /// Why.
        reason: &'static str,
    },
    /// The scheme itself cannot be secure (see [`SignatureScheme::check`]).
    #[error("the signature scheme is not secure: {0}")]
    InsecureScheme(&'static str),
    /// The scheme needs what this build lacks (Ed25519 without the `ed25519` feature).
    #[error("the signature scheme is not supported by this build: {0}")]
    Unsupported(&'static str),
    /// The signature is well formed but matches no secret.
    #[error("signature does not match the body")]
    Mismatch,
    /// The signature header holds more than [`MAX_SIGNATURE_ENTRIES`] entries (refused
    /// before any is checked: each costs a verification).
    #[error("the signature header holds more than {MAX_SIGNATURE_ENTRIES} entries")]
    TooManyEntries,
}

impl SignatureError {
    /// A short, stable name of the reason (`missing`, `missing_header`, `malformed`,
    /// `bad_timestamp`, `outside_tolerance`, `mismatch`, `too_many_entries`, or a
    /// configuration problem), for metrics labels and log fields.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::MissingHeader(_) => "missing_header",
            Self::Malformed(_) => "malformed",
            Self::BadTimestamp => "bad_timestamp",
            Self::OutsideTolerance { .. } => "outside_tolerance",
            Self::InvalidSecret { .. } => "invalid_secret",
            Self::NoSecret => "no_secret",
            Self::WeakSecret { .. } => "weak_secret",
            Self::InsecureScheme(_) => "insecure_scheme",
            Self::Unsupported(_) => "unsupported",
            Self::Mismatch => "mismatch",
            Self::TooManyEntries => "too_many_entries",
        }
    }
}

/// The headers of one signed delivery ([`SignatureScheme::sign_delivery`]): the id and
/// timestamp headers the scheme has, then the signature header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    headers: Vec<(&'static str, String)>,
}

impl SignedHeaders {
    /// Every header, as `(name, value)`.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
    }

    /// The value of header `name` (ignoring ASCII case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    }

    /// The request these headers sign, to verify it ([`SignatureScheme::verify_request`]).
    pub fn request<'a>(&'a self, scheme: &SignatureScheme, body: &'a [u8]) -> SignedRequest<'a> {
        let part = |name: &str| (!name.is_empty()).then(|| self.get(name)).flatten();
        SignedRequest {
            signature: self.get(scheme.header),
            id: part(scheme.id_header),
            timestamp: part(scheme.timestamp_header),
            body,
        }
    }
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
    /// carry it; signed parts that could be split another way (two variable parts with no
    /// text between them, a timestamp beside digits); a timestamp tolerance when the
    /// signature does not cover the timestamp (an old delivery would replay with a fresh
    /// timestamp), of 0, or over [`MAX_TOLERANCE_SECONDS`]; a timestamp entry in a header
    /// of one entry; header names that are not HTTP tokens; a separator the encoding's
    /// alphabet or the prefix holds; a key format that is not the algorithm's.
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
        if let Some(reason) = template_ambiguity(self.signed) {
            return insecure(reason);
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
        match self.tolerance_seconds {
            Some(_) if !self.signs(SignedPart::Timestamp) => {
                return insecure(
                    "a timestamp tolerance, but the signature does not cover the timestamp",
                );
            }
            None if self.signs(SignedPart::Timestamp) => {
                return insecure("a signed timestamp needs a tolerance, or it stops no replay");
            }
            Some(0) => return insecure("a tolerance of 0 s refuses every delivery"),
            Some(t) if t > MAX_TOLERANCE_SECONDS => {
                return insecure("a tolerance over an hour lets captured deliveries replay");
            }
            _ => {}
        }
        if !self.timestamp_entry.is_empty() && self.separator.is_none() {
            return insecure("a timestamp entry needs a separator between the header's entries");
        }
        if !is_header_name(self.header) {
            return insecure("the signature header's name is empty or not an HTTP token");
        }
        for name in [self.id_header, self.timestamp_header] {
            if !name.is_empty() && !is_header_name(name) {
                return insecure("an id or timestamp header's name is not an HTTP token");
            }
        }
        if ![self.prefix, self.timestamp_entry]
            .iter()
            .all(|text| text.bytes().all(|b| (b' '..=b'~').contains(&b)))
        {
            return insecure("a prefix or timestamp entry holds what no header value can");
        }
        if !self.timestamp_entry.is_empty() && self.prefix.starts_with(self.timestamp_entry) {
            return insecure("the prefix starts with the timestamp entry");
        }
        if let Some(separator) = self.separator {
            if !(separator == ' ' || separator.is_ascii_graphic()) {
                return insecure("the separator is not a space or a visible ASCII character");
            }
            if self.prefix.contains(separator) {
                return insecure("the prefix holds the separator");
            }
            let in_alphabet = match self.encoding {
                Encoding::Hex => separator.is_ascii_hexdigit(),
                Encoding::Base64 => {
                    separator.is_ascii_alphanumeric() || matches!(separator, '+' | '/' | '=')
                }
            };
            if in_alphabet {
                return insecure("the separator is a character of the signature's encoding");
            }
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

    /// Refuses a rotation list this scheme cannot verify with: none at all, or any entry
    /// weak or not in the scheme's format (the error names the entry).
    pub fn check_secrets(&self, secrets: &[&[u8]]) -> Result<(), SignatureError> {
        self.check()?;
        if secrets.is_empty() {
            return Err(SignatureError::NoSecret);
        }
        secrets.iter().enumerate().try_for_each(|(entry, secret)| {
            self.verifying_key(secret)
                .map(drop)
                .map_err(|e| e.at_entry(entry))
        })
    }

    /// Refuses a secret this scheme cannot sign with (for Ed25519, a public key).
    pub fn check_signing_secret(&self, secret: &[u8]) -> Result<(), SignatureError> {
        self.check()?;
        self.signing_key(secret).map(drop)
    }

    /// Every header one delivery of `body` needs, signed with `secret`: the scheme's id
    /// and timestamp headers (with `id` and `timestamp`) where it has them, then the
    /// signature. What senders, the test helpers and `hookgen sign` send.
    pub fn sign_delivery(
        &self,
        secret: &[u8],
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> Result<SignedHeaders, SignatureError> {
        let signature = self.sign_message(secret, id, timestamp, body)?;
        let mut headers = Vec::with_capacity(3);
        if !self.id_header.is_empty() {
            headers.push((self.id_header, id.to_owned()));
        }
        if !self.timestamp_header.is_empty() {
            headers.push((self.timestamp_header, timestamp.to_string()));
        }
        headers.push((self.header, signature));
        Ok(SignedHeaders { headers })
    }

    /// [`Self::sign_delivery`] with a fresh message id and the current time.
    pub fn sign_now(&self, secret: &[u8], body: &[u8]) -> Result<SignedHeaders, SignatureError> {
        self.sign_delivery(
            secret,
            &crate::unique::message_id(),
            SystemClock.now_unix(),
            body,
        )
    }

    /// Whether the scheme signs the body alone (no id, no timestamp), so that
    /// [`Self::sign`] is all a sender needs.
    pub fn signs_body_alone(&self) -> bool {
        !self.signs(SignedPart::Id) && !self.signs(SignedPart::Timestamp)
    }

    /// The header value that signs `body` with `secret` (for schemes that sign the body
    /// alone; a scheme that also signs an id or a timestamp needs [`Self::sign_delivery`]).
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
    /// A header of more than [`MAX_SIGNATURE_ENTRIES`] entries is refused before any
    /// signature is computed.
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
        for (entry, secret) in secrets.iter().enumerate() {
            self.verifying_key(secret).map_err(|e| e.at_entry(entry))?;
        }
        let value = request
            .signature
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(SignatureError::Missing)?;
        if self.entries(value).nth(MAX_SIGNATURE_ENTRIES).is_some() {
            return Err(SignatureError::TooManyEntries);
        }
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

    /// A key that identifies one delivery for replay protection, bound to the receiver
    /// that verified it: its `scope` (its spec) and the identity of its `secret` (the
    /// first of its rotation list; a MAC of a fixed text under the key, or the Ed25519
    /// public key, never the key itself). Within that, the message id when the signature
    /// covers one (it stays the same when a provider retries), otherwise a SHA-256 digest
    /// of everything signed (body, timestamp and fixed text).
    ///
    /// Nothing in it can be changed without breaking the signature, so a replayed
    /// delivery, however its headers are rearranged (one of two rotation signatures
    /// dropped), has the key of the original; and two receivers with different secrets
    /// sharing one guard never share a key, so whoever can sign for one cannot pre-empt
    /// the other's deliveries. The key that matched is not used (dropping a signature
    /// would change it), nor the request path (it is not signed). Call it after
    /// [`verify_request`](Self::verify_request) succeeded.
    pub fn replay_key(
        &self,
        scope: &str,
        secret: &[u8],
        request: &SignedRequest<'_>,
    ) -> Result<[u8; 32], SignatureError> {
        let covered = self.covered(request)?;
        let identity = self.key_identity(secret)?;
        let mut digest = Sha256::new();
        // Each variable-length part is preceded by its length: no two (scope, id) pairs
        // feed the same bytes.
        digest.update(b"hookgen replay key v2\0");
        digest.update((scope.len() as u64).to_be_bytes());
        digest.update(scope.as_bytes());
        digest.update(identity);
        if self.signs(SignedPart::Id) {
            digest.update(b"id\0");
            digest.update(covered.id.as_bytes());
        } else {
            digest.update(b"signed\0");
            self.feed(&covered, request.body, |part| digest.update(part));
        }
        Ok(digest.finalize().into())
    }

    /// What identifies a key without revealing it: the HMAC of a fixed text under a MAC
    /// key, the public key of an Ed25519 key.
    fn key_identity(&self, secret: &[u8]) -> Result<[u8; 32], SignatureError> {
        match self.verifying_key(secret)? {
            VerifyingKey::Mac(key) => {
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                mac.update(b"hookgen replay key identity");
                Ok(mac.finalize().into_bytes().into())
            }
            #[cfg(feature = "ed25519")]
            VerifyingKey::Ed25519(key) => Ok(key.to_bytes()),
        }
    }

    /// The id and timestamp the signature covers, read from the request (empty and
    /// `None` when the scheme does not sign them).
    fn covered<'a>(&self, request: &SignedRequest<'a>) -> Result<Covered<'a>, SignatureError> {
        let id = if self.signs(SignedPart::Id) {
            let id = request
                .id
                .filter(|v| !v.is_empty())
                .ok_or(SignatureError::MissingHeader(self.id_header))?;
            // Text beside the id must delimit it, or its bytes could be read as part of
            // its neighbour's (see `template_ambiguity`).
            if !self.delimits_id(id) {
                return Err(SignatureError::Malformed(
                    "the id holds the text that delimits it in what is signed",
                ));
            }
            id
        } else {
            ""
        };
        let timestamp = if self.signs(SignedPart::Timestamp) {
            let raw = if self.timestamp_entry.is_empty() {
                request
                    .timestamp
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::MissingHeader(self.timestamp_header))?
            } else {
                self.entries(request.signature.unwrap_or_default())
                    .find_map(|entry| entry.strip_prefix(self.timestamp_entry))
                    .filter(|v| !v.is_empty())
                    .ok_or(SignatureError::Malformed("no timestamp entry"))?
            };
            let value = parse_timestamp(raw).ok_or(SignatureError::BadTimestamp)?;
            Some((raw, value))
        } else {
            None
        };
        Ok(Covered { id, timestamp })
    }

    /// Whether `id` holds none of the fixed texts next to the id in what is signed.
    fn delimits_id(&self, id: &str) -> bool {
        let signed = self.signed;
        let text_at = |i: usize| match signed.get(i) {
            Some(SignedPart::Text(text)) => Some(*text),
            _ => None,
        };
        signed.iter().enumerate().all(|(i, part)| {
            if *part != SignedPart::Id {
                return true;
            }
            // The nearest non-empty text on each side, if the neighbour is text.
            let left = (0..i).rev().map(text_at).find(|t| t != &Some(""));
            let right = (i + 1..signed.len()).map(text_at).find(|t| t != &Some(""));
            [left, right]
                .into_iter()
                .flatten()
                .flatten()
                .all(|text| !id.contains(text))
        })
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

    /// The key a secret verifies with. A weak key is refused, however it was written.
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
                        .map_err(|_| invalid("not an Ed25519 public key"))?;
                    if key.is_weak() {
                        return Err(weak("a weak (small-order) Ed25519 public key"));
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
                    return Err(invalid(
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

    /// The MAC key of a secret: its bytes, or decoded from base64 for `whsec_` secrets;
    /// refused when it is weak (see [`SignatureError::WeakSecret`]).
    fn mac_key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SignatureError> {
        let key = match self.secret_format {
            SecretFormat::WhsecBase64 => {
                let encoded = secret.strip_prefix(b"whsec_").unwrap_or(secret);
                BASE64
                    .decode(encoded)
                    .map(Cow::Owned)
                    .map_err(|_| invalid("not base64 after `whsec_`"))?
            }
            _ => Cow::Borrowed(secret),
        };
        if let Some(reason) = key_weakness(&key, MIN_SECRET_BYTES) {
            return Err(weak(reason));
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
        .map_err(|_| invalid("an Ed25519 key is not base64"))?;
    if let Some(reason) = key_weakness(&decoded, 1) {
        return Err(weak(reason));
    }
    decoded
        .try_into()
        .map_err(|_| invalid("an Ed25519 key is not 32 bytes"))
}

/// Why a key's bytes (after decoding) cannot be a secret: empty, shorter than
/// [`MIN_SECRET_BYTES`] (an Ed25519 key's length is checked as its format), one byte
/// repeated (all zeros, sixteen spaces), or nothing but whitespace and control bytes
/// (`" \t\n…"`: a random key is that with a probability of about 10⁻¹⁴).
fn key_weakness(key: &[u8], min: usize) -> Option<&'static str> {
    match key {
        [] => Some("it is empty"),
        _ if key.len() < min => Some("it is shorter than 16 bytes"),
        [first, rest @ ..] if rest.iter().all(|b| b == first) => Some("it is one byte repeated"),
        _ if key.iter().all(|b| *b <= b' ' || *b == 0x7f) => {
            Some("it is only whitespace and control characters")
        }
        _ => None,
    }
}

/// A weak secret, at entry 0 until [`SignatureError::at_entry`] says which.
fn weak(reason: &'static str) -> SignatureError {
    SignatureError::WeakSecret { entry: 0, reason }
}

/// A secret not in the scheme's format, at entry 0 until [`SignatureError::at_entry`].
fn invalid(reason: &'static str) -> SignatureError {
    SignatureError::InvalidSecret { entry: 0, reason }
}

impl SignatureError {
    /// The same error about the secret at `entry` of a rotation list.
    fn at_entry(self, entry: usize) -> Self {
        match self {
            Self::WeakSecret { reason, .. } => Self::WeakSecret { entry, reason },
            Self::InvalidSecret { reason, .. } => Self::InvalidSecret { entry, reason },
            other => other,
        }
    }
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
    /// A key strong enough to be accepted, and another.
    const KEY: &[u8] = b"a test key, 27 bytes long.";
    const OTHER_KEY: &[u8] = b"another test key, 30 bytes..";

    #[test]
    fn malformed_signatures_say_how() {
        let malformed = |scheme: &SignatureScheme, header: &str| {
            scheme.verify_request(&[KEY], &request(Some(header), None, None, b"{}"), &Fixed(0))
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
        let scheme = STANDARD_WEBHOOKS;
        let header = scheme.sign_message(good, "m", 10, b"{}").unwrap();
        let signed = request(Some(&header), Some("m"), Some("10"), b"{}");
        assert_eq!(scheme.verify_request(&[good], &signed, &Fixed(10)), Ok(()));
        assert_eq!(
            scheme.verify_request(&[good, b"whsec_not base64!"], &signed, &Fixed(10)),
            Err(SignatureError::InvalidSecret {
                entry: 1,
                reason: "not base64 after `whsec_`"
            })
        );
    }

    #[test]
    fn a_header_of_too_many_entries_is_refused_before_any_signature_is_computed() {
        let secret = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = b"{}";
        let good = STANDARD_WEBHOOKS
            .sign_message(secret, "m", 10, body)
            .unwrap();
        // 200 000 malformed or foreign entries before the good one: refused after reading
        // nine of them, before any signature is computed.
        let junk = "v1,??? v2,abc ".repeat(100_000);
        let request = |signature| SignedRequest {
            signature: Some(signature),
            id: Some("m"),
            timestamp: Some("10"),
            body,
        };
        let scheme = STANDARD_WEBHOOKS;
        let too_many = Err(SignatureError::TooManyEntries);
        let with_good = format!("{junk}{good}");
        assert_eq!(
            scheme.verify_request(&[secret], &request(&with_good), &Fixed(10)),
            too_many
        );
        // Eight entries are read, the good one last; a ninth is one too many.
        let eight = format!("{}{good}", "v1,??? ".repeat(7));
        assert_eq!(
            scheme.verify_request(&[secret], &request(&eight), &Fixed(10)),
            Ok(())
        );
        let nine = format!("{}{good}", "v1,??? ".repeat(8));
        assert_eq!(
            scheme.verify_request(&[secret], &request(&nine), &Fixed(10)),
            too_many
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

    /// GitHub's published example (docs: "Validating webhook deliveries"). RFC 4231's
    /// vectors all use keys this module refuses as weak (one byte repeated, 4 bytes, or
    /// bytes 0x01 to 0x19, nothing but control characters).
    const GITHUB_SECRET: &[u8] = b"It's a Secret to Everybody";
    const GITHUB_BODY: &[u8] = b"Hello, World!";

    #[test]
    fn githubs_published_example() {
        assert_eq!(
            HEX.sign(GITHUB_SECRET, GITHUB_BODY),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn verify_accepts_uppercase_and_surrounding_whitespace() {
        let sig = HEX.sign(KEY, b"body").to_uppercase();
        assert_eq!(HEX.verify(KEY, &format!(" {sig}\t"), b"body"), Ok(()));
    }

    #[test]
    fn verify_rejects_each_malformation() {
        let sig = HEX.sign(KEY, b"body");
        assert_eq!(HEX.verify(KEY, "", b"body"), Err(SignatureError::Missing));
        assert_eq!(
            HEX.verify_header(KEY, None, b"body"),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            HEX.verify(KEY, &sig[..62], b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(KEY, &sig[..63], b"body"),
            Err(SignatureError::Malformed("not hexadecimal"))
        );
        assert_eq!(
            HEX.verify(KEY, &format!("{sig}00"), b"body"),
            Err(SignatureError::Malformed("wrong signature length"))
        );
        assert_eq!(
            HEX.verify(OTHER_KEY, &sig, b"body"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn prefix_is_written_and_required() {
        let scheme = SignatureScheme {
            prefix: "sha256=",
            ..HEX
        };
        let sig = scheme.sign(KEY, b"b");
        assert!(sig.starts_with("sha256="));
        assert_eq!(scheme.verify(KEY, &sig, b"b"), Ok(()));
        assert_eq!(
            scheme.verify(KEY, &sig["sha256=".len()..], b"b"),
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
        let sig = scheme.sign(GITHUB_SECRET, GITHUB_BODY);
        // GitHub's example, base64 (Python: base64.b64encode(bytes.fromhex(...))).
        assert_eq!(sig, "sha256=dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=");
        assert_eq!(scheme.verify(GITHUB_SECRET, &sig, GITHUB_BODY), Ok(()));
        assert_eq!(
            scheme.verify(GITHUB_SECRET, "sha256=!!!", b"x"),
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
            unsigned_timestamp.verify_request(&[KEY], &request, &Fixed(1000)),
            insecure
        );
        assert_eq!(
            unsigned_timestamp.sign_message(KEY, "", 0, b"b"),
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

    /// Keys anyone could guess or compute, or that are a configuration mistake, in the
    /// scheme's own format (text secrets, `whsec_` base64, Ed25519 base64).
    fn weak_keys() -> impl proptest::strategy::Strategy<Value = (SecretFormat, Vec<u8>)> {
        use proptest::prelude::*;
        let short_text = proptest::collection::vec(any::<u8>(), 0..MIN_SECRET_BYTES);
        let repeated = (any::<u8>(), 16usize..64).prop_map(|(b, n)| vec![b; n]);
        let blank = proptest::collection::vec(
            prop::sample::select(vec![0u8, b' ', b'\n', b'\r', b'\t', 0x0b, 0x0c, 0x1b, 0x7f]),
            0..64,
        );
        let text = prop_oneof![short_text, repeated.clone(), blank]
            .prop_map(|key| (SecretFormat::Bytes, key));
        let decoded = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..MIN_SECRET_BYTES),
            repeated,
        ];
        let whsec = (decoded, any::<bool>()).prop_map(|(key, prefixed)| {
            let encoded = BASE64.encode(key);
            let text = if prefixed {
                format!("whsec_{encoded}")
            } else {
                encoded
            };
            (SecretFormat::WhsecBase64, text.into_bytes())
        });
        let ed25519 = (
            any::<u8>(),
            prop::sample::select(vec!["", "whpk_", "whsk_"]),
        )
            .prop_map(|(b, prefix)| {
                let key = format!("{prefix}{}", BASE64.encode([b; 32]));
                (SecretFormat::Ed25519Base64, key.into_bytes())
            });
        prop_oneof![text, whsec, ed25519]
    }

    proptest::proptest! {
        /// No weak key verifies, signs, or passes a check, alone or anywhere in a rotation
        /// list, and the error names its entry.
        #[test]
        fn a_weak_key_verifies_nothing((format, weak_key) in weak_keys(), at in 0usize..3) {
            let scheme = match format {
                SecretFormat::Ed25519Base64 => STANDARD_WEBHOOKS_V1A,
                format => SignatureScheme { secret_format: format, ..HEX },
            };
            let good: &[u8] = match format {
                SecretFormat::Ed25519Base64 => b"whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwUv1hr41lYWo=",
                SecretFormat::WhsecBase64 => VECTOR_SECRET,
                SecretFormat::Bytes => KEY,
            };
            // Whatever the attacker sends, a MAC under the weak key among the candidates:
            let forged = if format == SecretFormat::Ed25519Base64 {
                "v1a,AAAA".to_owned()
            } else {
                let key = scheme.mac_key(&weak_key).map(|k| k.into_owned()).unwrap_or_default();
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
                mac.update(b"body");
                hex::encode(mac.finalize().into_bytes())
            };
            let request = SignedRequest { signature: Some(&forged), id: Some("m"), timestamp: Some("1"), body: b"body" };
            let mut secrets = vec![good; 2];
            secrets.insert(at, weak_key.as_slice());
            let verdict = scheme.verify_request(&secrets, &request, &Fixed(1));
            #[cfg(feature = "ed25519")]
            let named = matches!(
                verdict,
                Err(SignatureError::WeakSecret { entry, .. } | SignatureError::InvalidSecret { entry, .. }) if entry == at
            );
            #[cfg(not(feature = "ed25519"))]
            let named = verdict.is_err();
            proptest::prop_assert!(named, "{:?}: {:?}", String::from_utf8_lossy(&weak_key), verdict);
            proptest::prop_assert!(scheme.check_secret(&weak_key).is_err());
            proptest::prop_assert!(scheme.check_signing_secret(&weak_key).is_err());
            proptest::prop_assert_eq!(scheme.sign(&weak_key, b"body"), "");
        }
    }

    #[test]
    fn the_weakest_keys_are_refused_with_their_reason() {
        for (key, reason) in [
            (&b""[..], "it is empty"),
            (b" ", "it is shorter than 16 bytes"),
            (b"\0", "it is shorter than 16 bytes"),
            (b"a", "it is shorter than 16 bytes"),
            (b"0000000000000000", "it is one byte repeated"),
            (
                b" \t\n\r \t\n\r \t\n\r \t\n\r",
                "it is only whitespace and control characters",
            ),
        ] {
            assert_eq!(
                HEX.check_secret(key),
                Err(SignatureError::WeakSecret { entry: 0, reason }),
                "{key:?}"
            );
        }
        let whsec = SignatureScheme {
            secret_format: SecretFormat::WhsecBase64,
            ..HEX
        };
        assert_eq!(
            whsec.check_secret(b"whsec_"),
            Err(SignatureError::WeakSecret {
                entry: 0,
                reason: "it is empty"
            })
        );
        // 12 bytes of base64 text, 9 after decoding:
        assert_eq!(
            whsec.check_secret(b"whsec_c2VjcmV0c2VjcmV0"),
            Err(SignatureError::WeakSecret {
                entry: 0,
                reason: "it is shorter than 16 bytes"
            })
        );
        assert_eq!(HEX.check_secret(KEY), Ok(()));
        let message = HEX
            .verify_request(
                &[KEY, b"short"],
                &request(Some("00"), None, None, b""),
                &Fixed(0),
            )
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "secret 2 (of the rotation list, counting from 1) is not a secret: it is shorter than 16 bytes"
        );
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
            assert!(scheme.sign_message(KEY, "i", 1, b"{}").is_err());
        }
    }

    #[test]
    fn settings_that_can_never_verify_or_verify_too_much_are_refused() {
        let refused = |scheme: SignatureScheme, why: &str| match scheme.check() {
            Err(SignatureError::InsecureScheme(reason)) => {
                assert!(reason.contains(why), "{why}: {reason}");
            }
            other => panic!("{why}: {other:?} for {scheme:?}"),
        };
        let base64 = SignatureScheme {
            encoding: Encoding::Base64,
            separator: Some(','),
            ..HEX
        };
        assert_eq!(base64.check(), Ok(()));
        for c in ['=', '+', '/', 'A', '0'] {
            refused(
                SignatureScheme {
                    separator: Some(c),
                    ..base64
                },
                "encoding",
            );
        }
        for c in ['\n', '\0', '\u{7f}', 'é'] {
            refused(
                SignatureScheme {
                    separator: Some(c),
                    ..base64
                },
                "visible ASCII",
            );
        }
        refused(SignatureScheme { header: "", ..HEX }, "header's name");
        refused(
            SignatureScheme {
                header: "X Sig",
                ..HEX
            },
            "header's name",
        );
        refused(
            SignatureScheme {
                id_header: "web hook-id",
                ..STANDARD_WEBHOOKS
            },
            "not an HTTP token",
        );
        refused(
            SignatureScheme {
                prefix: "v1\n",
                ..HEX
            },
            "no header value",
        );
        for tolerance in [MAX_TOLERANCE_SECONDS + 1, u64::MAX] {
            refused(
                SignatureScheme {
                    tolerance_seconds: Some(tolerance),
                    ..STANDARD_WEBHOOKS
                },
                "over an hour",
            );
        }
        refused(
            SignatureScheme {
                tolerance_seconds: Some(0),
                ..STANDARD_WEBHOOKS
            },
            "0 s",
        );
        let longest = SignatureScheme {
            tolerance_seconds: Some(MAX_TOLERANCE_SECONDS),
            ..STANDARD_WEBHOOKS
        };
        assert_eq!(longest.check(), Ok(()));
    }

    #[test]
    fn signed_parts_that_could_be_split_another_way_are_refused() {
        use SignedPart::{Body, Id, Text, Timestamp};
        let ambiguous: [&[SignedPart]; 6] = [
            &[Id, Timestamp, Body],
            &[Id, Text(""), Timestamp, Text("."), Body],
            &[Timestamp, Body],
            &[Body, Id],
            &[Timestamp, Text("1"), Body],
            &[Id, Text("."), Timestamp, Text("00"), Body],
        ];
        for signed in ambiguous {
            assert!(template_ambiguity(signed).is_some(), "{signed:?}");
        }
        for signed in [
            SignedPart::ID_TIMESTAMP_BODY,
            SignedPart::BODY,
            &[Text("v0:"), Timestamp, Text(":"), Body],
            &[Timestamp, Text("."), Body],
            &[Text("a"), Text("b"), Body],
        ] {
            assert_eq!(template_ambiguity(signed), None, "{signed:?}");
        }
        let scheme = SignatureScheme {
            signed: &[Id, Timestamp, Body],
            ..STANDARD_WEBHOOKS
        };
        assert!(matches!(
            scheme.check(),
            Err(SignatureError::InsecureScheme(_))
        ));
        // An id holding the text that delimits it is refused when it arrives: `evt.1` +
        // `.5` could be read as `evt` + `.1.5…`.
        let header = STANDARD_WEBHOOKS
            .sign_message(VECTOR_SECRET, "evt.1", 5, b"{}")
            .unwrap();
        let request = SignedRequest {
            signature: Some(&header),
            id: Some("evt.1"),
            timestamp: Some("5"),
            body: b"{}",
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &request, &Fixed(5)),
            Err(SignatureError::Malformed(
                "the id holds the text that delimits it in what is signed"
            ))
        );
    }

    #[test]
    fn timestamps_are_read_strictly() {
        for good in ["0", "5", "1614265330", "9223372036854775807"] {
            assert!(parse_timestamp(good).is_some(), "{good}");
        }
        for bad in [
            "",
            "01614265330",
            "00",
            "+1614265330",
            "-1",
            " 1",
            "1 ",
            "1_000",
            "1e9",
            "1.0",
            "9223372036854775808",
            "١٢٣",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        // The same instant written with a leading zero does not verify, so it cannot be a
        // fresh replay key over the same signed bytes.
        let zeroed = SignedRequest {
            timestamp: Some("01614265330"),
            ..vector_request(VECTOR_SIGNATURE)
        };
        assert_eq!(
            STANDARD_WEBHOOKS.verify_request(&[VECTOR_SECRET], &zeroed, &Fixed(VECTOR_TIMESTAMP)),
            Err(SignatureError::BadTimestamp)
        );
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
        let (old, new): (&[u8], &[u8]) = (b"the old secret, 22 b", b"the new secret, 22 b");
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
            ROTATING.replay_key("spec", old, &request).unwrap()
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
        assert_ne!(
            ROTATING.replay_key("spec", old, &other).unwrap(),
            key(&first)
        );
        let later = ROTATING.sign_message(old, "", 101, b"{}").unwrap();
        assert_ne!(key(&later), key(&first));
        // With a signed id, the id is the delivery: a retry at another time is a replay.
        let at = |timestamp: i64| {
            let header = STANDARD_WEBHOOKS
                .sign_message(VECTOR_SECRET, "msg_1", timestamp, b"{}")
                .unwrap();
            let ts = timestamp.to_string();
            STANDARD_WEBHOOKS
                .replay_key(
                    "spec",
                    VECTOR_SECRET,
                    &SignedRequest {
                        signature: Some(&header),
                        id: Some("msg_1"),
                        timestamp: Some(&ts),
                        body: b"{}",
                    },
                )
                .unwrap()
        };
        assert_eq!(at(100), at(200));
    }

    #[test]
    fn receivers_with_different_secrets_or_specs_never_share_a_replay_key() {
        let other: &[u8] = b"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        let key = |scope: &str, secret: &[u8]| {
            let header = STANDARD_WEBHOOKS
                .sign_message(secret, "msg_1", 100, b"{}")
                .unwrap();
            let request = SignedRequest {
                signature: Some(&header),
                id: Some("msg_1"),
                timestamp: Some("100"),
                body: b"{}",
            };
            STANDARD_WEBHOOKS
                .replay_key(scope, secret, &request)
                .unwrap()
        };
        // The same `webhook-id`, signed by whoever holds another receiver's secret:
        assert_ne!(key("spec", VECTOR_SECRET), key("spec", other));
        assert_ne!(key("spec", VECTOR_SECRET), key("other", VECTOR_SECRET));
        // Scope and id are length-prefixed: ("ab", "c…") is not ("a", "bc…").
        assert_ne!(key("specs", VECTOR_SECRET), key("spec", VECTOR_SECRET));
        assert_eq!(key("spec", VECTOR_SECRET), key("spec", VECTOR_SECRET));
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
            Err(SignatureError::InvalidSecret {
                entry: 0,
                reason: "not base64 after `whsec_`"
            })
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
